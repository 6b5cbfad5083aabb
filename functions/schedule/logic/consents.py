"""Part 2 consents: recorded, checked and revoked. No boto3.

A consent holds the elements 42 CFR 2.31 asks for: who may receive (named staff, or positions
on the participant's care team), what (the Part 2 schedule items), why, until when (a date, an
event, or both), and the signature (the participant's attestation, timed by the server's
clock; or, on paper, the document's reference and date, recorded by a coordinator). It is
never deleted: a revocation stamps it, and takes effect at the next read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from functions.common.auth import Principal
from functions.common.errors import FieldError, InvalidInput
from functions.schedule.logic.sensitivity import consent_status
from functions.schedule.models import (
    PaperPart2ConsentIn,
    Part2ConsentIn,
    Part2ConsentOut,
    Part2ConsentRecord,
    PersonRecord,
)
from functions.schedule.vocabulary import ConsentSource, PersonKind

LONGEST = timedelta(days=2 * 366)
"""A consent's date runs at most two years ahead (ask again after that)."""
OLDEST_PAPER = timedelta(days=366)
"""A paper consent is recorded within a year of its signature."""
RECIPIENT_KINDS = frozenset({PersonKind.CLINICIAN, PersonKind.COORDINATOR})


def new_consent_id() -> str:
    return "cns_" + uuid.uuid4().hex


def _check_terms(
    terms: Part2ConsentIn | PaperPart2ConsentIn, *, people: dict[str, PersonRecord], today: date
) -> list[FieldError]:
    errors = []
    if not terms.recipient_ids and not terms.recipient_roles:
        errors.append(
            FieldError("body.recipient_ids", "name at least one recipient (or a recipient_roles entry)")
        )
    for index, recipient_id in enumerate(terms.recipient_ids):
        person = people.get(recipient_id)
        if person is None or person.kind not in RECIPIENT_KINDS:
            errors.append(FieldError(f"body.recipient_ids.{index}", "not a clinician or coordinator"))
    if terms.expires_on is None and terms.expiry_event is None:
        errors.append(FieldError("body.expires_on", "give expires_on, expiry_event or both"))
    elif terms.expires_on is not None and terms.expires_on < today:
        errors.append(FieldError("body.expires_on", "already past"))
    elif terms.expires_on is not None and terms.expires_on > today + LONGEST:
        errors.append(FieldError("body.expires_on", "at most two years ahead"))
    return errors


def _record(
    terms: Part2ConsentIn | PaperPart2ConsentIn,
    *,
    participant_id: str,
    principal: Principal,
    now: datetime,
    source: ConsentSource,
    document_reference: str | None = None,
    signed_on: date | None = None,
) -> Part2ConsentRecord:
    return Part2ConsentRecord(
        consent_id=new_consent_id(),
        participant_id=participant_id,
        recipient_ids=list(dict.fromkeys(terms.recipient_ids)),
        recipient_roles=list(dict.fromkeys(terms.recipient_roles)),
        scope=terms.scope,
        purpose=terms.purpose,
        expires_on=terms.expires_on,
        expiry_event=terms.expiry_event,
        source=source,
        document_reference=document_reference,
        signed_on=signed_on,
        attested_at=now,
        recorded_by=principal.person_id,
    )


def signed_in_app(
    terms: Part2ConsentIn,
    *,
    principal: Principal,
    people: dict[str, PersonRecord],
    now: datetime,
    today: date,
) -> Part2ConsentRecord:
    """The caller's own consent (`today` is their date); 422 naming each field at fault."""
    errors = _check_terms(terms, people=people, today=today)
    if errors:
        raise InvalidInput("the consent is not complete", errors=errors)
    return _record(
        terms,
        participant_id=principal.person_id,
        principal=principal,
        now=now,
        source=ConsentSource.ELECTRONIC,
    )


def signed_on_paper(
    terms: PaperPart2ConsentIn,
    *,
    participant_id: str,
    principal: Principal,
    people: dict[str, PersonRecord],
    now: datetime,
    today: date,
) -> Part2ConsentRecord:
    """A paper consent a coordinator records for `participant_id` (`today` is the participant's date)."""
    errors = _check_terms(terms, people=people, today=today)
    if terms.signed_on > today:
        errors.append(FieldError("body.signed_on", "in the future"))
    elif terms.signed_on < today - OLDEST_PAPER:
        errors.append(FieldError("body.signed_on", "more than a year ago: ask the participant to sign again"))
    elif terms.expires_on is not None and terms.signed_on > terms.expires_on:
        errors.append(FieldError("body.signed_on", "after expires_on"))
    if errors:
        raise InvalidInput("the consent is not complete", errors=errors)
    return _record(
        terms,
        participant_id=participant_id,
        principal=principal,
        now=now,
        source=ConsentSource.PAPER,
        document_reference=terms.document_reference,
        signed_on=terms.signed_on,
    )


def revoked(consent: Part2ConsentRecord, *, principal: Principal, now: datetime) -> Part2ConsentRecord:
    """The consent revoked now by `principal` (a revoked one stays as it was)."""
    if consent.revoked_at is not None:
        return consent
    return consent.model_copy(
        update={"revoked_at": now, "revoked_by": principal.person_id, "version": consent.version + 1}
    )


def out(consent: Part2ConsentRecord, today: date) -> Part2ConsentOut:
    return Part2ConsentOut(
        consent_id=consent.consent_id,
        participant_id=consent.participant_id,
        recipient_ids=consent.recipient_ids,
        recipient_roles=consent.recipient_roles,
        scope=consent.scope,
        purpose=consent.purpose,
        expires_on=consent.expires_on,
        expiry_event=consent.expiry_event,
        source=consent.source,
        document_reference=consent.document_reference,
        signed_on=consent.signed_on,
        attested_at=consent.attested_at,
        recorded_by=consent.recorded_by,
        revoked_at=consent.revoked_at,
        revoked_by=consent.revoked_by,
        status=consent_status(consent, today),
    )
