"""What messages say: PHI-minimal SMS, fuller email, both languages, the .ics invitation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from functions.notify.logic.invite import session_invite
from functions.notify.logic.templates import RenderContext, clock, render, short_date, when, zone_label
from functions.notify.vocabulary import Channel, Language, MessageKind

PT = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=PT)
START = datetime(2026, 12, 1, 18, 0, tzinfo=PT)
END = datetime(2026, 12, 1, 19, 0, tzinfo=PT)

PARTICIPANT_NAMES = ("Alex", "Rivera", "Jamie", "Morgan")
SESSION_TYPE_WORDS = (
    "individual",
    "couples",
    "couple",
    "substance",
    "counsel",
    "medication",
    "medical",
    "consultation",
    "check-in",
    "check in",
    "psychoeducation",
    "cbt",
    "mindfulness",
    "peer support",
    "art therapy",
    "sober",
    "pareja",
    "consejer",
    "medicación",
    "médica",
)
DIAGNOSIS_WORDS = (
    "depression",
    "anxiety",
    "bipolar",
    "ptsd",
    "substance",
    "alcohol",
    "addiction",
    "opioid",
    "therapy",
    "therapist",
    "counseling",
    "psychiatr",
    "mental",
    "iop",
    "intensive outpatient",
    "couples",
    "group",
    "medication",
)

# Sample events: every session type, and the details the other kinds carry. A name sits
# wherever a careless template could pick one up.
SAMPLE_DETAIL: dict[str, Any] = {
    "count": 3,
    "week_start": "2026-12-07",
    "participant_name": "Alex Rivera",
    "display_name": "Jamie Morgan",
    "clinician_name": "Dr. Morgan",
    "diagnosis": "F32.1 major depression, alcohol use disorder",
    "options": [
        {"kind": "makeup_session", "start": "2026-12-03T01:00:00Z", "session_type": "couples"},
        {"kind": "check_in"},
        {"kind": "recording", "group_id": "grp_anxiety01"},
        {"kind": "group_occurrence", "start": "2026-12-04T02:00:00Z"},
    ],
    "items": [{"start": "2026-12-08T01:00:00Z", "type": "substance_use_counseling"}],
    "participant_id": "per_7f3k2m9q",
    "authorization_id": "aut_0001",
    "units_remaining": 2,
    "expires_on": "2026-12-31",
    "reason": "inactive coverage",
}
SESSION_TYPES = (
    "individual",
    "couples",
    "substance_use_counseling",
    "medication_management",
    "medical_consultation",
    "check_in",
)


def context(kind: MessageKind, channel: Channel, language: Language, **overrides: Any) -> RenderContext:
    fields: dict[str, Any] = {
        "kind": kind,
        "channel": channel,
        "language": language,
        "zone": "America/Los_Angeles",
        "now": NOW,
        "start": START,
        "end": END,
        "previous_start": datetime(2026, 11, 30, 17, 0, tzinfo=PT),
        "session_type": "couples",
        "clinician_name": "Dr. Morgan",
        "detail": SAMPLE_DETAIL,
    }
    fields.update(overrides)
    return RenderContext(**fields)


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(MessageKind))
@pytest.mark.parametrize("session_type", SESSION_TYPES)
def test_no_sms_names_the_person_the_session_type_or_a_diagnosis(kind, language, session_type):
    text = render(context(kind, Channel.SMS, language, session_type=session_type)).text
    lowered = text.lower()
    for name in PARTICIPANT_NAMES:
        assert name.lower() not in lowered, (kind, language, name)
    for word in (*SESSION_TYPE_WORDS, *DIAGNOSIS_WORDS):
        assert word not in lowered, (kind, language, word, text)
    assert "Tandem Care" in text  # the neutral sender
    assert "https://app.tandem.health" in text  # the authenticated app


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_email_renders_without_diagnoses_or_names_of_participants(kind, language):
    rendered = render(context(kind, Channel.EMAIL, language))
    assert rendered.subject
    everything = f"{rendered.subject}\n{rendered.text}".lower()
    for word in ("depression", "alcohol use", "f32", "alex", "rivera", "diagnos"):
        assert word not in everything, (kind, language, word)
    assert "$" not in everything  # nothing left unrendered


def test_the_reminder_sms_reads_as_the_issue_asks():
    text = render(context(MessageKind.REMINDER, Channel.SMS, Language.EN)).text
    assert text == (
        "Reminder from Tandem Care: you have an appointment tomorrow, Tue Dec 1, at 6:00 PM PT. "
        "See the app: https://app.tandem.health Reply C to confirm. Reply STOP to opt out."
    )


def test_the_reminder_sms_in_spanish():
    text = render(context(MessageKind.REMINDER, Channel.SMS, Language.ES)).text
    assert text.startswith("Recordatorio de Tandem Care: tiene una cita mañana, mar 1 dic, a las 18:00 PT.")
    assert "Responda STOP" in text


def test_a_rescheduled_sms_gives_the_new_and_the_old_time():
    text = render(context(MessageKind.RESCHEDULED, Channel.SMS, Language.EN)).text
    assert "moved to tomorrow, Tue Dec 1, at 6:00 PM PT (was Mon Nov 30 at 5:00 PM PT)" in text


def test_email_may_name_the_session_type_and_the_clinician():
    rendered = render(context(MessageKind.BOOKED, Channel.EMAIL, Language.EN))
    assert rendered.subject == "Your couples session is booked: Tue Dec 1 at 6:00 PM PT"
    assert "Tuesday, December 1, 2026 at 6:00 PM PT" in rendered.text
    assert "With: Dr. Morgan" in rendered.text
    assert "Length: 60 minutes." in rendered.text
    spanish = render(context(MessageKind.BOOKED, Channel.EMAIL, Language.ES, clinician_name=None))
    assert spanish.subject == "Su sesión de pareja está reservada: mar 1 dic a las 18:00 PT"
    assert "martes, 1 de diciembre de 2026 a las 18:00 PT" in spanish.text
    assert "Con:" not in spanish.text


def test_missed_session_email_lists_the_makeup_options():
    text = render(context(MessageKind.MISSED_SESSION, Channel.EMAIL, Language.EN, start=None, end=None)).text
    assert "We missed you at your recent couples session. Here is what you can do instead:" in text
    assert "- A makeup session on Wed Dec 2 at 5:00 PM PT" in text
    assert "- A one-on-one check-in" in text
    assert "- The workshop recording" in text


def test_weekly_digest_and_coordinator_alerts_use_their_facts():
    digest = render(context(MessageKind.WEEKLY_DIGEST, Channel.EMAIL, Language.EN, start=None, end=None))
    assert digest.subject == "Your week ahead: 3 appointment(s)"
    assert "- Mon Dec 7 at 5:00 PM PT: counseling session" in digest.text
    alert = render(context(MessageKind.AUTHORIZATION_LOW, Channel.EMAIL, Language.EN, start=None, end=None))
    assert "Units remaining: 2" in alert.text
    assert "Participant reference: per_7f3k2m9q" in alert.text


@pytest.mark.parametrize(
    ("zone", "moment", "label"),
    [
        ("America/Los_Angeles", datetime(2026, 7, 1, tzinfo=UTC), "PT"),
        ("America/New_York", datetime(2026, 1, 1, tzinfo=UTC), "ET"),
        ("America/Phoenix", datetime(2026, 7, 1, tzinfo=UTC), "MT"),
        ("Europe/Madrid", datetime(2026, 1, 1, tzinfo=UTC), "CET"),
        ("America/Sao_Paulo", datetime(2026, 1, 1, tzinfo=UTC), "UTC-03"),
    ],
)
def test_zone_labels(zone, moment, label):
    assert zone_label(moment, zone) == label


def test_dates_and_times_in_each_language():
    day = START.date()
    assert short_date(day, Language.EN) == "Tue Dec 1"
    assert short_date(day, Language.ES) == "mar 1 dic"
    assert clock(START, "America/Los_Angeles", Language.EN) == "6:00 PM PT"
    assert clock(START, "America/New_York", Language.EN) == "9:00 PM ET"
    assert clock(START, "America/Los_Angeles", Language.ES) == "18:00 PT"
    midnight = datetime(2026, 12, 1, 0, 5, tzinfo=PT)
    assert clock(midnight, "America/Los_Angeles", Language.EN) == "12:05 AM PT"
    later = datetime(2026, 12, 9, 18, 0, tzinfo=PT)
    assert when(later, "America/Los_Angeles", Language.EN, NOW) == "on Wed Dec 9 at 6:00 PM PT"
    assert when(later, "America/Los_Angeles", Language.ES, NOW) == "el mié 9 dic a las 18:00 PT"


def test_relative_days_are_the_readers_own():
    # 18:00 PT on 1 Dec is 11:00 on 2 Dec in Tokyo; "tomorrow" is counted on the reader's calendar.
    assert when(START, "America/Los_Angeles", Language.EN, NOW) == "tomorrow, Tue Dec 1, at 6:00 PM PT"
    assert when(START, "Asia/Tokyo", Language.EN, NOW) == "tomorrow, Wed Dec 2, at 11:00 AM JST"
    late_evening = datetime(2026, 11, 30, 23, 0, tzinfo=PT)  # already 1 Dec in New York
    assert when(START, "America/New_York", Language.EN, late_evening) == "today, Tue Dec 1, at 9:00 PM ET"


def test_invitation_is_a_calendar_request_the_calendar_can_update():
    ics = session_invite(
        session_id="ses_7f3k2m9q",
        sequence=3,
        start=START,
        end=END,
        method="REQUEST",
        organizer_email="no-reply@tandem.test",
        url="https://app.tandem.health",
        now=NOW,
    )
    calendar = Calendar.from_ical(ics)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "ses_7f3k2m9q@tandem.health"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == END
    assert str(event["SUMMARY"]) == "Tandem Care appointment"
    assert not re.search(r"couples|therapy|counsel", ics.decode(), re.IGNORECASE)
    cancel = Calendar.from_ical(
        session_invite(
            session_id="ses_7f3k2m9q",
            sequence=4,
            start=START,
            end=END,
            method="CANCEL",
            organizer_email="no-reply@tandem.test",
            url="https://app.tandem.health",
            now=NOW,
        )
    )
    assert cancel["METHOD"] == "CANCEL"
    assert str(cancel.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
