"""Rules about notification preferences, contact details and SMS consent. No boto3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from functions.common.auth import Principal, Role
from functions.common.errors import FieldError, InvalidInput, NotFound
from functions.contracts.schedule import PersonData
from functions.notify.logic.contact import normalise_mobile
from functions.notify.models import (
    Choices,
    PreferencesIn,
    PreferencesOut,
    PreferencesRecord,
    SmsConsent,
    SmsConsentOut,
)
from functions.notify.vocabulary import DEFAULT_SMS_OFFSETS_MINUTES, ConsentSource, Language, Topic


def require_access(caller: Principal, person_id: str) -> None:
    """A person's preferences are theirs and the coordinators'; anyone else is told there is
    nothing there (404, never 403: the caller may not learn who has preferences)."""
    if caller.person_id != person_id and caller.role is not Role.COORDINATOR:
        raise NotFound("no such person")


def consent_source(caller: Principal, person_id: str) -> ConsentSource:
    return ConsentSource.WEB if caller.person_id == person_id else ConsentSource.COORDINATOR


def effective(person_id: str, record: PreferencesRecord | None) -> tuple[PreferencesOut, int]:
    """What applies to a person, and its version (0: the program defaults, never saved)."""
    if record is None:
        record = PreferencesRecord(
            person_id=person_id, preferences=Choices(), updated_at=datetime.min, version=0
        )
    consent = record.sms_consent
    out = PreferencesOut(
        person_id=person_id,
        **record.preferences.model_dump(exclude={"channels"}),
        channels={topic: list(record.preferences.channels_for(topic)) for topic in Topic},
        email=record.email,
        mobile_phone=record.phone,
        time_zone=record.time_zone,
        language=record.language,
        sms_reminder_offsets_minutes=list(record.sms_reminder_offsets_minutes),
        sms_consent=SmsConsentOut(active=consent.active, **consent.model_dump()) if consent else None,
        updated_at=record.updated_at if record.version else None,
    )
    return out, record.version


def _consent(
    new: PreferencesIn,
    current: SmsConsent | None,
    *,
    phone: str | None,
    phone_changed: bool,
    source: ConsentSource,
    now: datetime,
) -> SmsConsent | None:
    """Consent after this request. Granting needs a number; consent is given for a number,
    so a new number (or none) withdraws what was given for the old one."""
    active = current is not None and current.active
    wanted = new.sms_consent if new.given("sms_consent") else None
    if wanted is True:
        if phone is None:
            raise InvalidInput(
                "consent to texts needs a mobile number",
                errors=[FieldError("body.sms_consent", "no mobile number on file")],
            )
        if active and not phone_changed:
            return current
        return SmsConsent(granted_at=now, source=source.value)
    if active and current is not None and (wanted is False or phone_changed):
        return current.model_copy(update={"revoked_at": now, "revoked_source": source.value})
    return current


def replace(
    person_id: str,
    new: PreferencesIn,
    *,
    current: PreferencesRecord | None,
    now: datetime,
    source: ConsentSource = ConsentSource.WEB,
) -> PreferencesRecord:
    """The next version: the choices as sent; the contact details, channels and consent as
    sent where the request names them, else as they were."""
    was = current or PreferencesRecord(person_id=person_id, preferences=Choices(), updated_at=now, version=0)
    channels = dict(was.preferences.channels)
    if new.given("channels") and new.channels is not None:
        channels.update({topic: tuple(chosen) for topic, chosen in new.channels.items()})
    choices = Choices(**new.model_dump(include=set(Choices.model_fields) - {"channels"}), channels=channels)

    phone = new.mobile_phone if new.given("mobile_phone") else was.phone
    email = new.email if new.given("email") else was.email
    time_zone = new.time_zone if new.given("time_zone") and new.time_zone else was.time_zone
    language = new.language if new.given("language") and new.language else was.language
    sms_offsets = was.sms_reminder_offsets_minutes
    if new.given("sms_reminder_offsets_minutes"):
        chosen = new.sms_reminder_offsets_minutes
        sms_offsets = DEFAULT_SMS_OFFSETS_MINUTES if chosen is None else tuple(chosen)
    consent = _consent(
        new, was.sms_consent, phone=phone, phone_changed=phone != was.phone, source=source, now=now
    )
    return PreferencesRecord(
        person_id=person_id,
        preferences=choices,
        updated_at=now,
        version=was.version + 1,
        email=email,
        phone=phone,
        time_zone=time_zone,
        language=language or Language.EN,
        sms_consent=consent,
        sms_reminder_offsets_minutes=sms_offsets,
    )


def consent_change(
    current: PreferencesRecord | None, record: PreferencesRecord
) -> Literal["grant", "revoke"] | None:
    """Whether this change gave or withdrew consent to texts (each is audited as such)."""
    before = current.sms_consent if current else None
    after = record.sms_consent
    if after is not None and after.active and after != before:
        return "grant"
    if before is not None and before.active and not record.sms_consented:
        return "revoke"
    return None


@dataclass(frozen=True)
class ProfileContact:
    """What notify keeps of a person's profile (from schedule's `person.changed` events): the
    one source of their email and mobile number, and whether they are active."""

    person_id: str
    version: int
    email: str | None
    phone: str | None
    time_zone: str | None
    deactivated: bool

    @classmethod
    def from_event(cls, person: PersonData) -> ProfileContact:
        return cls(
            person_id=person.person_id,
            version=person.revision,
            email=person.email or None,
            phone=person.phone or None,
            time_zone=person.time_zone or None,
            deactivated=not person.active,
        )


def textable(phone: str | None) -> str | None:
    """The number if it can receive texts (a landline on a profile is no mobile number)."""
    if phone is None:
        return None
    try:
        return normalise_mobile(phone)
    except ValueError:
        return None


MIRROR_SOURCE = "profile"
"""How consent given for a number ends when the profile's number changes (`revoked_source`)."""


def mirror_profile(
    contact: ProfileContact, current: PreferencesRecord | None, *, now: datetime
) -> PreferencesRecord | None:
    """The preferences after a profile change: its email, mobile number and activity, the choices
    and consent kept (consent is given for a number: a new number ends it). None when the change
    is older than the one on file (a redelivered stream record). A change of nothing notify keeps
    (a new display name) only records the profile's version: the preferences' version, and so a
    client's `If-Match`, stays."""
    was = current or PreferencesRecord(
        person_id=contact.person_id, preferences=Choices(), updated_at=now, version=0
    )
    if was.profile_version is not None and contact.version <= was.profile_version:
        return None
    phone = textable(contact.phone)
    consent = was.sms_consent
    if phone != was.phone and consent is not None and consent.active:
        consent = consent.model_copy(update={"revoked_at": now, "revoked_source": MIRROR_SOURCE})
    kept: dict[str, Any] = {
        "email": contact.email,
        "phone": phone,
        "time_zone": was.time_zone or contact.time_zone,
        "sms_consent": consent,
        "deactivated": contact.deactivated,
    }
    update = {**kept, "profile_version": contact.version}
    if current is None or any(getattr(was, name) != value for name, value in kept.items()):
        update |= {"updated_at": now, "version": was.version + 1}
    return was.model_copy(update=update)


def contact_conflicts(new: PreferencesIn, current: PreferencesRecord | None) -> list[FieldError]:
    """A request changing the email or mobile number of someone whose profile is mirrored: those
    are the profile's (one source of truth), changed with `PATCH /people/{id}` (or `/me`)."""
    if current is None or current.profile_version is None:
        return []
    errors = []
    if new.given("email") and new.email != current.email:
        errors.append(FieldError("body.email", "the email is the profile's: change it on the profile"))
    if new.given("mobile_phone") and new.mobile_phone != current.phone:
        errors.append(
            FieldError("body.mobile_phone", "the mobile number is the profile's phone: change it there")
        )
    return errors
