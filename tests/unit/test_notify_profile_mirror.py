"""Contact details have one source, the person's profile: notify mirrors its email, mobile number
and deactivation into the preferences (`logic/preferences.mirror_profile`), keeping the person's
choices, and refuses a preferences change that would make them differ. No AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.notify.logic import preferences
from functions.notify.logic.preferences import ProfileContact, mirror_profile
from functions.notify.models import Choices, PreferencesIn, PreferencesRecord, SmsConsent

NOW = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)


def contact(version: int = 1, **changes: object) -> ProfileContact:
    fields: dict[str, object] = {
        "person_id": "per_river",
        "version": version,
        "email": "river@example.com",
        "phone": "+15125550188",
        "time_zone": "America/Chicago",
        "deactivated": False,
    }
    return ProfileContact(**{**fields, **changes})  # type: ignore[arg-type]


def saved(**changes: object) -> PreferencesRecord:
    fields: dict[str, object] = {
        "person_id": "per_river",
        "preferences": Choices(sms_enabled=False, quiet_hours_start="22:00"),
        "updated_at": NOW - timedelta(days=1),
        "version": 4,
        "email": "river@example.com",
        "phone": "+15125550188",
        "time_zone": "America/Denver",
        "sms_consent": SmsConsent(granted_at=NOW - timedelta(days=2), source="web"),
        "profile_version": 1,
    }
    return PreferencesRecord(**{**fields, **changes})


def test_a_new_persons_profile_becomes_their_contact_details():
    # Given a person created with an email and a mobile number, no preferences saved
    record = mirror_profile(contact(), None, now=NOW)
    # Then notify has both, the profile's zone, the program's default choices, no consent
    assert record is not None
    assert (record.email, record.phone, record.time_zone) == (
        "river@example.com",
        "+15125550188",
        "America/Chicago",
    )
    assert record.preferences == Choices()
    assert record.sms_consent is None
    assert (record.version, record.profile_version, record.deactivated) == (1, 1, False)


def test_a_changed_number_keeps_the_choices_and_ends_the_consent_given_for_the_old_one():
    record = mirror_profile(contact(2, phone="+15125550199"), saved(), now=NOW)
    assert record is not None
    assert record.phone == "+15125550199"
    assert record.preferences == saved().preferences
    assert record.time_zone == "America/Denver"  # the person's own choice of zone stays
    assert record.sms_consent is not None
    assert record.sms_consent.revoked_at == NOW
    assert record.sms_consent.revoked_source == "profile"
    assert record.version == 5


def test_a_landline_is_no_mobile_number():
    # 800 numbers are toll-free: they cannot receive texts
    record = mirror_profile(contact(2, phone="+18005550100"), saved(sms_consent=None), now=NOW)
    assert record is not None
    assert record.phone is None


def test_a_stale_or_repeated_profile_record_changes_nothing():
    assert mirror_profile(contact(1), saved(profile_version=1), now=NOW) is None
    assert mirror_profile(contact(1), saved(profile_version=3), now=NOW) is None


def test_a_profile_change_notify_does_not_keep_leaves_the_preferences_version():
    # (a new display name: nothing notify keeps changed, so a client's If-Match stays good)
    record = mirror_profile(contact(2), saved(), now=NOW)
    assert record is not None
    assert (record.version, record.updated_at, record.profile_version) == (4, saved().updated_at, 2)


def test_deactivation_is_mirrored():
    record = mirror_profile(contact(2, deactivated=True), saved(), now=NOW)
    assert record is not None
    assert record.deactivated is True
    back = mirror_profile(contact(3), record, now=NOW)
    assert back is not None
    assert back.deactivated is False


def test_contact_details_that_differ_from_the_profile_are_refused():
    body = PreferencesIn.model_validate({"email": "other@example.com", "mobile_phone": "+15125550177"})
    errors = preferences.contact_conflicts(body, saved())
    assert [e.field for e in errors] == ["body.email", "body.mobile_phone"]
    # the same values, or none named, are fine; nor is anything refused before a profile is mirrored
    same = PreferencesIn.model_validate({"email": "river@example.com", "mobile_phone": "+15125550188"})
    assert preferences.contact_conflicts(same, saved()) == []
    assert preferences.contact_conflicts(PreferencesIn(), saved()) == []
    assert preferences.contact_conflicts(body, saved(profile_version=None)) == []
