"""Contact details, consent, channels per topic, upcoming sessions and two-way SMS: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from functions.common.auth import Principal, Role
from functions.common.errors import InvalidInput, NotFound
from functions.notify.logic import delivery, inbound, preferences
from functions.notify.logic.contact import normalise_mobile
from functions.notify.logic.inbound import (
    Answer,
    Confirmed,
    InboundSms,
    Intent,
    answer_for,
    answer_text,
    intent_of,
)
from functions.notify.logic.reminders import Recipient, SessionSnapshot, plan_session_change
from functions.notify.models import (
    Choices,
    FailureRecord,
    MessageRecord,
    PreferencesIn,
    PreferencesRecord,
    SessionNotices,
    SmsConsent,
    UpcomingSession,
)
from functions.notify.vocabulary import (
    TOPIC_OF,
    Channel,
    ConsentSource,
    Language,
    MessageKind,
    MessageStatus,
    Topic,
)
from tests.unit.test_notify_templates import DIAGNOSIS_WORDS, SESSION_TYPE_WORDS

PT = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 6, 1, 16, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
ALEX, JAMIE, CLIN = "per_alex00001", "per_jamie0001", "per_clin00001"
PHONE = "+15125550101"


def pt(day: int, hour: int) -> datetime:
    return datetime(2027, 6, day, hour, tzinfo=PT).astimezone(UTC)


# --- mobile numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["(512) 555-0101", "512-555-0101", "512.555.0101", "5125550101", "+1 512 555 0101", "1 (512) 555-0101"],
)
def test_us_numbers_as_people_type_them_become_e164(typed):
    assert normalise_mobile(typed) == PHONE


def test_numbers_abroad_keep_their_country():
    assert normalise_mobile("+44 7911 123456") == "+447911123456"
    assert normalise_mobile("+52 55 1234 5678") == "+525512345678"


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("12345", "not a valid phone number"),
        ("call me", "not a phone number"),
        ("+1 512 555", "not a valid phone number"),
        ("+44 20 7946 0000", "not a mobile number"),
        ("+1 800 555 0100", "not a mobile number"),
    ],
)
def test_what_cannot_receive_texts_is_refused(typed, why):
    with pytest.raises(ValueError, match=why):
        normalise_mobile(typed)


def test_the_preferences_input_names_the_bad_number():
    with pytest.raises(ValidationError) as caught:
        PreferencesIn.model_validate({"mobile_phone": "555"})
    assert [e["loc"] for e in caught.value.errors()] == [("mobile_phone",)]


# --- replacing preferences: contact details and consent ---------------------------------------------


def record(**overrides: Any) -> PreferencesRecord:
    fields: dict[str, Any] = {
        "person_id": ALEX,
        "preferences": Choices(sms_enabled=True),
        "updated_at": NOW,
        "version": 3,
        "email": "alex@example.com",
        "phone": PHONE,
        "time_zone": "America/Los_Angeles",
        "language": Language.ES,
        "sms_consent": SmsConsent(granted_at=NOW, source="web"),
        "sms_reminder_offsets_minutes": (90,),
    }
    fields.update(overrides)
    return PreferencesRecord(**fields)


def replace(body: dict[str, Any], current: PreferencesRecord | None = None, **kw: Any) -> PreferencesRecord:
    return preferences.replace(ALEX, PreferencesIn.model_validate(body), current=current, now=LATER, **kw)


def test_fields_left_out_keep_what_is_on_file_and_null_removes_an_address():
    kept = replace({"sms_enabled": True}, record())
    assert (kept.email, kept.phone, kept.time_zone, kept.language) == (
        "alex@example.com",
        PHONE,
        "America/Los_Angeles",
        Language.ES,
    )
    assert kept.sms_reminder_offsets_minutes == (90,)
    assert kept.sms_consent == record().sms_consent
    assert kept.version == 4
    removed = replace({"email": None}, record())
    assert removed.email is None


def test_the_original_choices_are_replaced_as_sent():
    changed = replace({"quiet_hours_start": "22:30"}, record(preferences=Choices(sms_enabled=True)))
    assert changed.preferences.sms_enabled is False  # left out: the program default, as always


def test_channels_sent_for_some_topics_leave_the_others_as_they_were():
    current = record(preferences=Choices(channels={Topic.DIGESTS: ()}))
    changed = replace({"channels": {"reminders": ["sms"]}}, current)
    assert changed.preferences.channels_for(Topic.REMINDERS) == (Channel.SMS,)
    assert changed.preferences.channels_for(Topic.DIGESTS) == ()
    assert changed.preferences.channels_for(Topic.CHANGES) == (Channel.EMAIL, Channel.SMS)


def test_text_reminder_offsets_empty_means_none_and_null_means_the_default():
    assert replace({"sms_reminder_offsets_minutes": []}, record()).sms_reminder_offsets_minutes == ()
    assert replace({"sms_reminder_offsets_minutes": None}, record()).sms_reminder_offsets_minutes == (120,)


def test_granting_consent_records_when_and_where():
    granted = replace({"mobile_phone": "(512) 555-0101", "sms_consent": True}, None)
    assert granted.sms_consent == SmsConsent(granted_at=LATER, source="web")
    by_coordinator = replace(
        {"mobile_phone": PHONE, "sms_consent": True}, None, source=ConsentSource.COORDINATOR
    )
    assert by_coordinator.sms_consent is not None
    assert by_coordinator.sms_consent.source == "coordinator"


def test_granting_again_keeps_the_original_grant():
    assert replace({"sms_consent": True}, record()).sms_consent == record().sms_consent


def test_withdrawing_records_when_and_how():
    revoked = replace({"sms_consent": False}, record())
    assert revoked.sms_consent == SmsConsent(
        granted_at=NOW, source="web", revoked_at=LATER, revoked_source="web"
    )
    assert not revoked.sms_consented
    assert replace({"sms_consent": False}, revoked).sms_consent == revoked.sms_consent


def test_a_new_number_withdraws_consent_unless_given_again_with_it():
    moved = replace({"mobile_phone": "+15125550199"}, record())
    assert moved.sms_consent is not None
    assert moved.sms_consent.revoked_at == LATER
    regiven = replace({"mobile_phone": "+15125550199", "sms_consent": True}, record())
    assert regiven.sms_consent == SmsConsent(granted_at=LATER, source="web")
    same = replace({"mobile_phone": "512 555 0101"}, record())
    assert same.sms_consent == record().sms_consent


def test_consent_needs_a_number():
    with pytest.raises(InvalidInput) as caught:
        replace({"sms_consent": True, "mobile_phone": None}, record())
    assert [e.field for e in caught.value.errors] == ["body.sms_consent"]


def test_consent_changes_are_named_for_the_audit():
    assert preferences.consent_change(None, replace({"mobile_phone": PHONE, "sms_consent": True})) == "grant"
    assert preferences.consent_change(record(), replace({"sms_consent": False}, record())) == "revoke"
    assert preferences.consent_change(record(), replace({"email": None}, record())) is None
    assert (
        preferences.consent_change(record(), replace({"mobile_phone": "+15125550199"}, record())) == "revoke"
    )
    moved = replace({"mobile_phone": "+15125550199", "sms_consent": True}, record())
    assert preferences.consent_change(record(), moved) == "grant"


@pytest.mark.parametrize(
    ("role", "person", "allowed"),
    [
        (Role.PARTICIPANT, ALEX, True),
        (Role.PARTICIPANT, JAMIE, False),
        (Role.CLINICIAN, JAMIE, False),
        (Role.COORDINATOR, JAMIE, True),
    ],
)
def test_only_the_person_and_coordinators_reach_preferences(role, person, allowed):
    caller = Principal(person_id=ALEX, role=role, username="u")
    if allowed:
        preferences.require_access(caller, person)
    else:
        with pytest.raises(NotFound):
            preferences.require_access(caller, person)


def test_effective_shows_every_topic_and_the_consent():
    out, version = preferences.effective(ALEX, record())
    assert version == 3
    assert set(out.channels) == set(Topic)
    assert out.sms_consent is not None
    assert out.sms_consent.active is True
    assert out.mobile_phone == PHONE


# --- channels per topic ----------------------------------------------------------------------------


def test_every_kind_has_a_topic():
    assert set(TOPIC_OF) == set(MessageKind)


def test_a_person_hears_each_topic_on_the_channels_they_chose():
    chosen = Choices(
        sms_enabled=True, channels={Topic.REMINDERS: (Channel.SMS,), Topic.CHANGES: (Channel.EMAIL,)}
    )
    person = Recipient.of(ALEX, record(preferences=chosen), fallback_zone="UTC")
    assert person.channels_for(MessageKind.REMINDER) == (Channel.SMS,)
    assert person.channels_for(MessageKind.BOOKED) == (Channel.EMAIL,)
    assert person.channels_for(MessageKind.MISSED_SESSION) == (Channel.EMAIL, Channel.SMS)
    no_texts = Recipient.of(ALEX, record(preferences=chosen, sms_consent=None), fallback_zone="UTC")
    assert no_texts.channels_for(MessageKind.REMINDER) == ()


def session(**overrides: Any) -> SessionSnapshot:
    fields: dict[str, Any] = {
        "session_id": "ses_couples0001",
        "version": 1,
        "status": "booked",
        "event": "booked",
        "type": "couples",
        "start": pt(3, 18),
        "end": pt(3, 19),
        "clinician_ids": (CLIN,),
        "attendee_ids": (ALEX, JAMIE),
        "time_zones": {ALEX: "America/Los_Angeles", JAMIE: "America/Los_Angeles", CLIN: "America/Denver"},
    }
    fields.update(overrides)
    return SessionSnapshot(**fields)


def test_planning_follows_the_topics():
    chosen = Choices(sms_enabled=True, channels={Topic.REMINDERS: (Channel.SMS,), Topic.CHANGES: ()})
    alex = Recipient.of(ALEX, record(preferences=chosen), fallback_zone="UTC")
    plan = plan_session_change(session(), old=None, marker=None, recipients=[alex], now=NOW)
    assert plan is not None
    assert [(m.kind, m.channel) for m in plan.messages] == [(MessageKind.REMINDER, Channel.SMS)]


def test_a_channel_dropped_from_a_topic_after_planning_is_skipped_when_due():
    message = MessageRecord(
        message_id="ntc.ses_couples0001.v1.per_alex00001.email",
        person_id=ALEX,
        channel=Channel.EMAIL,
        kind=MessageKind.BOOKED,
        due_at=NOW,
        status=MessageStatus.QUEUED,
    )
    chosen = Choices(channels={Topic.CHANGES: (Channel.SMS,)})
    decision = delivery.decide(message, record(preferences=chosen), None, NOW)
    assert decision == delivery.Skip(MessageStatus.SKIPPED_NO_CONSENT, "email not chosen for changes")


# --- upcoming sessions --------------------------------------------------------------------------------


def test_a_booking_gives_everyone_an_upcoming_session_item_in_their_zone():
    plan = plan_session_change(session(), old=None, marker=None, recipients=[], now=NOW)
    assert plan is not None
    assert [(u.person_id, u.time_zone) for u in plan.upcoming] == [
        (ALEX, "America/Los_Angeles"),
        (JAMIE, "America/Los_Angeles"),
        (CLIN, "America/Denver"),
    ]
    assert plan.marker.people == (ALEX, JAMIE, CLIN)
    assert plan.leave == ()
    attributes = plan.upcoming[0].to_attributes()
    assert (attributes["pk"], attributes["sk"]) == (f"PERSON#{ALEX}", "UPCOMING#ses_couples0001")
    assert (attributes["gsi1pk"], attributes["gsi1sk"]) == (
        f"NEXT#{ALEX}",
        "2027-06-04T01:00:00Z#ses_couples0001",
    )


def _marker(**overrides: Any) -> SessionNotices:
    fields: dict[str, Any] = {
        "session_id": "ses_couples0001",
        "version": 1,
        "times_version": 1,
        "status": "booked",
        "start": pt(3, 18),
        "end": pt(3, 19),
        "people": (ALEX, JAMIE, CLIN),
    }
    fields.update(overrides)
    return SessionNotices(**fields)


def test_a_move_rewrites_the_items_and_a_cancellation_removes_them():
    moved = session(version=2, event="rescheduled", start=pt(4, 18), end=pt(4, 19))
    plan = plan_session_change(moved, old=None, marker=_marker(), recipients=[], now=NOW)
    assert plan is not None
    assert {u.start for u in plan.upcoming} == {pt(4, 18)}
    assert plan.leave == ()
    gone = session(version=2, event="cancelled", status="cancelled")
    plan = plan_session_change(gone, old=None, marker=_marker(), recipients=[], now=NOW)
    assert plan is not None
    assert (plan.upcoming, plan.leave, plan.marker.people) == ((), (ALEX, JAMIE, CLIN), ())


def test_someone_no_longer_in_a_moved_session_loses_the_item():
    moved = session(version=2, event="rescheduled", start=pt(4, 18), end=pt(4, 19), attendee_ids=(ALEX,))
    plan = plan_session_change(moved, old=None, marker=_marker(), recipients=[], now=NOW)
    assert plan is not None
    assert plan.leave == (JAMIE,)


def test_a_session_already_begun_has_nothing_left_to_confirm():
    plan = plan_session_change(session(), old=None, marker=None, recipients=[], now=pt(3, 18))
    assert plan is not None
    assert plan.upcoming == ()


def test_failures_are_bucketed_by_utc_month():
    failure = FailureRecord(
        message_id="m",
        person_id=ALEX,
        channel=Channel.SMS,
        reason="x",
        failed_at=datetime(2027, 6, 30, 23, 30, tzinfo=UTC) + timedelta(hours=1),
    )
    assert failure.to_attributes()["pk"] == "FAILED#2027-07"


def test_upcoming_items_round_trip():
    item = UpcomingSession(
        person_id=ALEX, session_id="s", start=pt(3, 18), end=pt(3, 19), session_version=1, confirmed_at=NOW
    )
    assert UpcomingSession.from_attributes(item.to_attributes()) == item


# --- two-way SMS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("  sToP  ", Intent.STOP),
        ("STOP.", Intent.STOP),
        ("\tOpt   Out\n", Intent.STOP),
        ("STOPALL", Intent.STOP),
        ("unsubscribe", Intent.STOP),
        ("Cancelar", Intent.STOP),
        ("start", Intent.START),
        ("UNSTOP", Intent.START),
        ("Help", Intent.HELP),
        ("¡Ayuda!", Intent.HELP),
        ("c", Intent.CONFIRM),
        (" C ", Intent.CONFIRM),
        ("confirm", Intent.CONFIRM),
        ("please stop", Intent.OTHER),
        ("stop it now", Intent.OTHER),
        ("cc", Intent.OTHER),
        ("", Intent.OTHER),
    ],
)
def test_what_a_reply_means(body, intent):
    assert intent_of(body) is intent


@pytest.mark.parametrize(
    ("intent", "consented", "confirmed", "answer"),
    [
        (Intent.STOP, True, None, Answer.STOPPED),
        (Intent.STOP, False, None, Answer.STOPPED),
        (Intent.START, False, None, Answer.STARTED),
        (Intent.HELP, False, None, Answer.HELP),
        (Intent.CONFIRM, True, Confirmed(NOW, "UTC"), Answer.CONFIRMED),
        (Intent.CONFIRM, True, None, Answer.NOTHING_TO_CONFIRM),
        (Intent.CONFIRM, False, Confirmed(NOW, "UTC"), None),
        (Intent.OTHER, True, None, Answer.NOT_UNDERSTOOD),
        (Intent.OTHER, False, None, None),
    ],
)
def test_what_is_answered(intent, consented, confirmed, answer):
    assert answer_for(intent, consented=consented, confirmed=confirmed) == answer


def test_a_confirmation_names_the_time_in_the_readers_zone_and_language():
    confirmed = Confirmed(pt(3, 18), "America/Los_Angeles")
    assert answer_text(Answer.CONFIRMED, Language.EN, confirmed=confirmed) == (
        "Tandem Care: thank you, your appointment on Thu Jun 3 at 6:00 PM PT is confirmed. "
        "See the app: https://app.tandem.health"
    )
    assert answer_text(Answer.CONFIRMED, Language.ES, confirmed=confirmed) == (
        "Tandem Care: gracias, su cita del jue 3 jun a las 18:00 PT está confirmada. "
        "Vea la app: https://app.tandem.health"
    )


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("answer", list(Answer))
def test_no_answer_names_the_care(answer, language):
    text = answer_text(answer, language, confirmed=Confirmed(pt(3, 18), "America/Los_Angeles")).casefold()
    for word in (*SESSION_TYPE_WORDS, *DIAGNOSIS_WORDS):
        assert word not in text, word
    assert len(text) <= 320  # two SMS segments at most


def test_the_help_line_must_stay_neutral():
    assert inbound.check_neutral(inbound.DEFAULT_HELP_LINE) == inbound.DEFAULT_HELP_LINE
    with pytest.raises(ValueError, match="therap"):
        inbound.check_neutral("Tandem Care Couples Therapy: call us")


def test_the_inbound_notification_is_read_by_its_field_names():
    message = InboundSms.model_validate(
        {
            "originationNumber": PHONE,
            "destinationNumber": "+18885550100",
            "messageKeyword": "KEYWORD_1",
            "messageBody": "STOP",
            "inboundMessageId": "abc",
            "previousPublishedMessageId": "def",
        }
    )
    assert (message.origination_number, message.body, message.inbound_message_id) == (PHONE, "STOP", "abc")
    with pytest.raises(ValidationError):
        InboundSms.model_validate({"messageBody": "STOP"})
