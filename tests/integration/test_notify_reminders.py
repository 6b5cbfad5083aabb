"""Session stream records -> reminders and notices -> minute sweep -> sender -> SES/SNS, on moto.

The clock is driven by passing `now` into the stream handler's logic, the sweep and the
sender; moto keeps what SES and SNS "sent".
"""

from __future__ import annotations

import email
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.responses import DynamoHandler
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from functions.common import aws
from functions.common.dynamo import from_item, to_item
from functions.common.models import utc_now
from functions.common.streams import to_change
from functions.notify import events, send, sweep
from functions.notify.logic import caps
from functions.notify.logic.followups import followup_id
from functions.notify.logic.reminders import notice_id, reminder_id
from functions.notify.models import Choices, MessageRecord, PreferencesRecord, SmsConsent
from functions.notify.store import Applied, NotifyStore
from functions.notify.vocabulary import Channel, Language, MessageKind, MessageStatus
from functions.schedule.models import MakeupOfferRecord, MakeupOption, SessionRecord
from functions.schedule.publish import translate
from functions.schedule.vocabulary import MakeupKind, SessionEvent, SessionStatus, SessionType
from tests.integration.conftest import _ATOMIC, deliver, publish, stream_records
from tests.support import context, drain_queue, published, sqs_records

LA = "America/Los_Angeles"
PT = ZoneInfo(LA)
ALEX, JAMIE, CLIN = "per_alex00001", "per_jamie0001", "per_clin00001"
ALEX_PHONE = "+15125550101"
SESSION = "ses_couples0001"


def pt(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    """A Los Angeles wall time in 2027, as UTC. 1 June 2027 is a Tuesday (ISO week 22)."""
    return datetime(2027, month, day, hour, minute, tzinfo=PT).astimezone(UTC)


NOW = pt(1, 9)


# --- the world -----------------------------------------------------------------------------------


@pytest.fixture
def atomic(atomic_dynamodb: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """`atomic_dynamodb`, and moto's UpdateItem response handler under the same lock: it
    deep-copies the stored item before calling the backend, and a concurrent update
    mutating that item meanwhile fails the copy (a moto artefact; DynamoDB has none)."""
    original = DynamoHandler.update_item

    def locked(self: Any) -> Any:
        with _ATOMIC:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "update_item", locked)


def store() -> NotifyStore:
    return NotifyStore(os.environ["NOTIFY_TABLE"], aws.client("dynamodb"))


def save_prefs(
    person_id: str,
    *,
    email_address: str | None = None,
    sms: bool = False,
    offsets: list[int] | None = None,
    sms_offsets: tuple[int, ...] = (120,),
    language: Language = Language.EN,
    zone: str = LA,
) -> None:
    store().put_preferences(
        PreferencesRecord(
            person_id=person_id,
            preferences=Choices(sms_enabled=sms, reminder_offsets_minutes=offsets or [1440]),
            updated_at=NOW,
            version=1,
            email=email_address,
            phone=ALEX_PHONE if sms else None,
            time_zone=zone,
            language=language,
            sms_consent=SmsConsent(granted_at=NOW, source="web") if sms else None,
            sms_reminder_offsets_minutes=sms_offsets,
        ),
        expected_version=0,
    )


@pytest.fixture
def couple(moto_env: dict[str, Any]) -> dict[str, Any]:
    """Alex (email a day before, SMS two hours before, consented), Jamie (Spanish, email
    only) and their couples therapist (email an hour before, in Denver)."""
    save_prefs(ALEX, email_address="alex@example.com", sms=True)
    save_prefs(JAMIE, email_address="jamie@example.com", language=Language.ES)
    save_prefs(CLIN, email_address="dr.lee@example.com", offsets=[60], zone="America/Denver")
    return moto_env


def couples_session(start: datetime, *, session_id: str = SESSION, minutes: int = 60) -> SessionRecord:
    return SessionRecord(
        session_id=session_id,
        type=SessionType.COUPLES,
        start=start,
        end=start + timedelta(minutes=minutes),
        clinician_ids=(CLIN,),
        attendee_ids=(ALEX, JAMIE),
        couple_id="cpl_0000000001",
        time_zones={ALEX: LA, JAMIE: LA, CLIN: "America/Denver"},
        created_by=CLIN,
        updated_at=NOW,
    )


def individual_session(start: datetime, session_id: str) -> SessionRecord:
    return couples_session(start, session_id=session_id).model_copy(
        update={"type": SessionType.INDIVIDUAL, "attendee_ids": (ALEX,), "couple_id": None}
    )


def rescheduled(session: SessionRecord, start: datetime) -> SessionRecord:
    return session.model_copy(
        update={
            "start": start,
            "end": start + (session.end - session.start),
            "event": SessionEvent.RESCHEDULED,
            "version": session.version + 1,
        }
    )


def cancelled(session: SessionRecord, *, late: bool = False) -> SessionRecord:
    return session.model_copy(
        update={
            "status": SessionStatus.LATE_CANCELLED if late else SessionStatus.CANCELLED,
            "event": SessionEvent.CANCELLED,
            "version": session.version + 1,
        }
    )


def stream_record(new: SessionRecord, old: SessionRecord | None = None, sequence: int = 1) -> dict[str, Any]:
    return {
        "eventID": f"evt{sequence}",
        "eventName": "INSERT" if old is None else "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": to_item(SessionRecord.key(new.session_id)),
            "NewImage": to_item(new.to_attributes()),
            **({"OldImage": to_item(old.to_attributes())} if old else {}),
            "SequenceNumber": f"{sequence:021d}",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/test-schedule/stream/x",
    }


def apply(new: SessionRecord, old: SessionRecord | None = None, *, now: datetime = NOW) -> Applied | None:
    """The stream handler's work for one record, at `now`."""
    return events.apply_session_change(published(stream_record(new, old)), store(), now=now)


# --- the outbox and the channels -------------------------------------------------------------------


def receive_all(moto_env: dict[str, Any]) -> list[dict[str, Any]]:
    return drain_queue(moto_env["sqs"], moto_env["queue_url"], attributes=True)


def sqs_event(messages: list[dict[str, Any]], *, receive_count: int = 1) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": str(receive_count)},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:test-notify-send",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def sweep_at(moto_env: dict[str, Any], moment: datetime) -> list[dict[str, Any]]:
    sweep.sweep(store(), moto_env["sqs"], moto_env["queue_url"], now=moment)
    return receive_all(moto_env)


def send_at(messages: list[dict[str, Any]], moment: datetime, *, receive_count: int = 1) -> dict[str, Any]:
    if not messages:
        return {"batchItemFailures": []}
    event = sqs_event(messages, receive_count=receive_count)
    return send.process_batch(event, context("send"), clock=lambda: moment)


def run_at(moto_env: dict[str, Any], moment: datetime) -> list[str]:
    """One minute of the background loops at `moment`: sweep, then send what it queued."""
    queued = sweep_at(moto_env, moment)
    assert send_at(queued, moment) == {"batchItemFailures": []}
    return [json.loads(m["Body"])["message_id"] for m in queued]


def queued_ids(messages: list[dict[str, Any]]) -> list[str]:
    return [json.loads(m["Body"])["message_id"] for m in messages]


def sent_emails() -> list[tuple[list[str], EmailMessage]]:
    """(recipients, message) of every email SES took."""
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    parsed: list[tuple[list[str], EmailMessage]] = []
    for m in sent:
        message = email.message_from_string(m.raw_data, policy=default_policy)
        assert isinstance(message, EmailMessage)
        parsed.append((list(m.destinations), message))
    return parsed


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def status_of(message_id: str) -> MessageStatus | None:
    message = store().get_message(message_id)
    return message.status if message else None


def reminder_ids(version: int = 1, session_id: str = SESSION) -> dict[str, str]:
    return {
        "alex_email": reminder_id(session_id, version, ALEX, Channel.EMAIL, 1440),
        "alex_sms": reminder_id(session_id, version, ALEX, Channel.SMS, 120),
        "jamie_email": reminder_id(session_id, version, JAMIE, Channel.EMAIL, 1440),
        "clin_email": reminder_id(session_id, version, CLIN, Channel.EMAIL, 60),
    }


# --- 1. reminders from the stream ----------------------------------------------------------------


def test_booking_creates_reminders_for_both_partners_and_the_clinician(couple):
    # Given a couples session on Thursday at 18:00 PT, booked on Tuesday morning
    session = couples_session(pt(3, 18))
    # When notify consumes its stream record
    assert apply(session) is Applied.APPLIED
    # Then each of the three has their reminders, per their own offsets and channels
    ids = reminder_ids()
    found = store().get_messages(ids.values())
    assert set(found) == set(ids.values())
    assert found[ids["alex_email"]].due_at == pt(2, 18)
    assert found[ids["alex_sms"]].due_at == pt(3, 16)
    assert found[ids["jamie_email"]].due_at == pt(2, 18)
    assert found[ids["clin_email"]].due_at == pt(3, 17)
    for reminder in found.values():
        assert reminder.status is MessageStatus.PENDING
        assert reminder.kind is MessageKind.REMINDER
        assert (reminder.session_id, reminder.start, reminder.session_version) == (SESSION, pt(3, 18), 1)
        assert reminder.to is None
        assert reminder.text is None
    # And the session's marker holds exactly them
    marker = store().get_session_notices(SESSION)
    assert marker is not None
    assert (marker.version, marker.times_version, marker.status) == (1, 1, "booked")
    assert set(marker.reminder_ids) == set(ids.values())
    # And everyone is told about the booking on each of their channels, at once
    notices = store().get_messages(
        [
            notice_id(SESSION, 1, ALEX, Channel.EMAIL),
            notice_id(SESSION, 1, ALEX, Channel.SMS),
            notice_id(SESSION, 1, JAMIE, Channel.EMAIL),
            notice_id(SESSION, 1, CLIN, Channel.EMAIL),
        ]
    )
    assert len(notices) == 4
    assert {n.kind for n in notices.values()} == {MessageKind.BOOKED}
    assert {n.due_at for n in notices.values()} == {NOW}


def test_an_event_delivered_three_times_creates_each_message_once(couple):
    # Given the booking's event, delivered three times in one batch and twice more
    # (the handler runs on the real clock here)
    start = (utc_now() + timedelta(days=3)).replace(minute=0, second=0)
    event = published(stream_record(couples_session(start)))
    for batch in ([event, event, event], [event], [event]):
        # When the subscriber takes it off its queue
        result = events.lambda_handler(sqs_records(batch), context("events"))
        assert result == {"batchItemFailures": []}
    # Then the sweep, run when everything is due, queues each planned message exactly once
    queued = queued_ids(sweep_at(couple, start - timedelta(minutes=1)))
    marker = store().get_session_notices(SESSION)
    assert marker is not None
    assert len(queued) == len(set(queued))
    notices = [q for q in queued if q.startswith("ntc.")]
    assert len(notices) == 4  # Alex by email and SMS, Jamie, the clinician
    assert {q for q in queued if q.startswith("rem.")} <= set(marker.reminder_ids)


def test_rescheduling_moves_the_reminders(couple):
    # Given a booked session with its reminders
    booked = couples_session(pt(3, 18))
    apply(booked)
    old_ids = reminder_ids(1)
    # When it moves to Friday 10:00 PT
    moved = rescheduled(booked, pt(4, 10))
    assert apply(moved, booked, now=NOW + timedelta(hours=1)) is Applied.APPLIED
    # Then the old reminders are gone and new ones follow the new time
    assert store().get_messages(old_ids.values()) == {}
    new = store().get_messages(reminder_ids(2).values())
    assert {m.due_at for m in new.values()} == {pt(3, 10), pt(4, 8), pt(4, 9)}
    assert all(m.start == pt(4, 10) and m.status is MessageStatus.PENDING for m in new.values())
    # And everyone hears of the move, with the old time
    notice = store().get_message(notice_id(SESSION, 2, JAMIE, Channel.EMAIL))
    assert notice is not None
    assert (notice.kind, notice.previous_start, notice.start) == (
        MessageKind.RESCHEDULED,
        pt(3, 18),
        pt(4, 10),
    )
    # And a sweep at the old reminders' times finds nothing of theirs
    assert not set(queued_ids(sweep_at(couple, pt(2, 18)))) & set(old_ids.values())


def test_a_cancelled_sessions_reminders_never_send(couple):
    # Given a booked session whose booking notices went out
    booked = couples_session(pt(3, 18))
    apply(booked)
    run_at(couple, NOW)
    # And a day before it, the sweep has just queued the day-before reminders
    in_flight = sweep_at(couple, pt(2, 18))
    assert sorted(queued_ids(in_flight)) == sorted(
        [reminder_ids()["alex_email"], reminder_ids()["jamie_email"]]
    )
    emails_before, sms_before = len(sent_emails()), len(sent_sms())
    # When the session is cancelled before the sender gets to them
    assert apply(cancelled(booked, late=True), booked, now=pt(2, 18, 1)) is Applied.APPLIED
    # Then the pending reminders are gone, and the queued ones are cancelled at send time
    assert status_of(reminder_ids()["alex_sms"]) is None
    assert status_of(reminder_ids()["clin_email"]) is None
    assert send_at(in_flight, pt(2, 18, 2)) == {"batchItemFailures": []}
    assert status_of(reminder_ids()["alex_email"]) is MessageStatus.CANCELLED
    assert status_of(reminder_ids()["jamie_email"]) is MessageStatus.CANCELLED
    assert (len(sent_emails()), len(sent_sms())) == (emails_before, sms_before)
    # And running the loops through the session's time sends only the cancellation notices
    sent = run_at(couple, pt(2, 18, 3)) + run_at(couple, pt(3, 17, 59))
    assert sorted(sent) == sorted(
        notice_id(SESSION, 2, who, channel)
        for who, channel in (
            (ALEX, Channel.EMAIL),
            (ALEX, Channel.SMS),
            (JAMIE, Channel.EMAIL),
            (CLIN, Channel.EMAIL),
        )
    )
    assert not [m for _, m in sent_emails() if str(m["Subject"]).startswith(("Reminder", "Recordatorio"))]
    assert not [text for _, text in sent_sms() if text.startswith("Reminder")]


def test_a_stale_record_never_resurrects_reminders(couple):
    # Given a session booked, moved, then cancelled
    booked = couples_session(pt(3, 18))
    moved = rescheduled(booked, pt(4, 18))
    gone = cancelled(moved)
    apply(booked)
    apply(moved, booked)
    apply(gone, moved)
    # When older records arrive again (a retried stream batch)
    assert apply(moved, booked) is None
    assert apply(booked) is None
    # Then no reminder of any version exists, and the marker stays where it was
    for version in (1, 2):
        assert store().get_messages(reminder_ids(version).values()) == {}
    marker = store().get_session_notices(SESSION)
    assert marker is not None
    assert (marker.version, marker.status, marker.reminder_ids) == (3, "cancelled", ())
    # And no extra notices were planned by the replays
    assert store().get_message(notice_id(SESSION, 1, ALEX, Channel.EMAIL)) is not None
    assert len(queued_ids(sweep_at(couple, pt(4, 17)))) == 12  # 4 booked + 4 moved + 4 cancelled


def test_a_stale_record_out_of_order_is_ignored(couple):
    # Given the reschedule (v2) processed before a late copy of the booking (v1)
    booked = couples_session(pt(3, 18))
    moved = rescheduled(booked, pt(4, 18))
    apply(moved, booked)
    # When the booking record arrives after it
    assert apply(booked) is None
    # Then only the moved session's reminders exist
    assert store().get_messages(reminder_ids(1).values()) == {}
    assert len(store().get_messages(reminder_ids(2).values())) == 4


# --- 2. notices, sent ----------------------------------------------------------------------------


def test_both_partners_and_the_clinician_are_told_and_a_redelivered_message_sends_once(couple):
    # Given a couples session just booked, its notices queued by the sweep
    apply(couples_session(pt(3, 18)))
    queued = sweep_at(couple, NOW)
    assert len(queued) == 4
    # When SQS delivers the same messages three times
    for _ in range(3):
        assert send_at(queued, NOW) == {"batchItemFailures": []}
    # Then each went out exactly once: three emails and one text
    emails = sent_emails()
    assert sorted(to for dest, _ in emails for to in dest) == [
        "alex@example.com",
        "dr.lee@example.com",
        "jamie@example.com",
    ]
    assert sent_sms() == [
        (
            ALEX_PHONE,
            "Tandem Care: you have a new appointment on Thu Jun 3 at 6:00 PM PT. "
            "See the app: https://app.tandem.health Reply STOP to opt out.",
        )
    ]
    # And each email is in its reader's language and zone, with the calendar invitation
    by_address = {dest[0]: message for dest, message in emails}
    assert (
        by_address["alex@example.com"]["Subject"] == "Your couples session is booked: Thu Jun 3 at 6:00 PM PT"
    )
    assert by_address["jamie@example.com"]["Subject"] == (
        "Su sesión de pareja está reservada: jue 3 jun a las 18:00 PT"
    )
    assert by_address["dr.lee@example.com"]["Subject"] == (
        "Your couples session is booked: Thu Jun 3 at 7:00 PM MT"
    )
    assert "Tandem Care" in str(by_address["alex@example.com"]["From"])
    (invite,) = [p for p in by_address["alex@example.com"].iter_attachments()]
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == "REQUEST"
    ics = invite.get_content()
    ics_text = ics.decode() if isinstance(ics, bytes) else str(ics)
    assert f"UID:{SESSION}@tandem.health" in ics_text
    assert "DTSTART:20270604T010000Z" in ics_text
    # And every notice records how it went
    for message_id in queued_ids(queued):
        message = store().get_message(message_id)
        assert message is not None
        assert message.status is MessageStatus.SENT
        assert message.provider_message_id
        assert [a.outcome for a in message.attempt_log] == ["sent"]
        assert message.attempts == 1


def test_a_cancellation_email_carries_a_calendar_cancel(couple):
    booked = couples_session(pt(3, 18))
    apply(booked)
    run_at(couple, NOW)
    apply(cancelled(booked), booked, now=NOW + timedelta(minutes=5))
    run_at(couple, NOW + timedelta(minutes=5))
    cancel = [m for dest, m in sent_emails() if dest == ["alex@example.com"]][-1]
    assert str(cancel["Subject"]).startswith("Your couples session is cancelled")
    (invite,) = list(cancel.iter_attachments())
    assert invite.get_param("method") == "CANCEL"


# --- 3. quiet hours and limits ---------------------------------------------------------------------


def test_a_reminder_due_in_quiet_hours_goes_out_when_they_end(couple):
    # Given a session at 08:30 PT: Alex's SMS reminder two hours before falls at 06:30, in quiet hours
    apply(couples_session(pt(3, 8, 30)))
    run_at(couple, NOW)  # the booking notices
    sms_id = reminder_ids()["alex_sms"]
    sms = store().get_message(sms_id)
    assert sms is not None
    assert sms.due_at == pt(3, 8)
    # When the sweep runs at 06:30 and at 07:59
    assert sms_id not in run_at(couple, pt(3, 6, 30))
    assert sms_id not in run_at(couple, pt(3, 7, 59))
    # Then nothing has gone yet; at 08:00 it goes
    assert status_of(sms_id) is MessageStatus.PENDING
    assert sms_id in run_at(couple, pt(3, 8))
    assert status_of(sms_id) is MessageStatus.SENT
    assert sent_sms()[-1] == (
        ALEX_PHONE,
        "Reminder from Tandem Care: you have an appointment today, Thu Jun 3, at 8:30 AM PT. "
        "See the app: https://app.tandem.health Reply C to confirm. Reply STOP to opt out.",
    )


def test_a_reminder_reaching_the_sender_in_quiet_hours_waits_for_their_end(couple):
    # Given a text reminder 14 hours before a 10:00 session: due at 20:00 the evening before
    save_prefs("per_sam0000001", email_address=None, sms=True, sms_offsets=(840,))
    apply(
        individual_session(pt(4, 10), "ses_sam0000001").model_copy(
            update={"attendee_ids": ("per_sam0000001",)}
        )
    )
    text_id = reminder_id("ses_sam0000001", 1, "per_sam0000001", Channel.SMS, 840)
    # When the sweep was down from 19:55 and catches up at 21:30, in quiet hours
    assert text_id in run_at(couple, pt(3, 21, 30))
    # Then the sender defers it to 08:00, and it goes then
    deferred = store().get_message(text_id)
    assert deferred is not None
    assert (deferred.status, deferred.due_at) == (MessageStatus.PENDING, pt(4, 8))
    assert text_id not in run_at(couple, pt(4, 7, 59))
    assert text_id in run_at(couple, pt(4, 8))
    sent = store().get_message(text_id)
    assert sent is not None
    assert sent.status is MessageStatus.SENT
    assert [a.outcome for a in sent.attempt_log] == ["deferred", "sent"]


def test_a_reminder_quiet_hours_would_delay_past_the_start_is_dropped(couple):
    apply(couples_session(pt(3, 7, 30)))
    sms = store().get_message(reminder_ids()["alex_sms"])
    assert sms is not None
    assert sms.status is MessageStatus.DROPPED_QUIET_HOURS
    assert reminder_ids()["alex_sms"] not in run_at(couple, pt(3, 8))


def test_sms_reminder_limits_hold_per_day_and_per_week_while_email_still_goes(couple):
    # Given Alex (texts two hours before, email one hour before) with six sessions:
    # Tue, Wed, Thu 10:00 and 15:00, Fri (ISO week 22), and the next Monday (week 23)
    save_prefs("per_sam0000001", email_address="sam@example.com", sms=True, offsets=[60])
    starts = [pt(1, 15), pt(2, 15), pt(3, 10), pt(3, 15), pt(4, 15), pt(7, 15)]
    sessions = [
        individual_session(start, f"ses_sam{i:07d}").model_copy(update={"attendee_ids": ("per_sam0000001",)})
        for i, start in enumerate(starts)
    ]
    for s in sessions:
        apply(s)
    run_at(couple, NOW)
    # When the loops run at every reminder's due time
    outcomes: dict[str, MessageStatus | None] = {}
    for s in sessions:
        text = reminder_id(s.session_id, 1, "per_sam0000001", Channel.SMS, 120)
        mail = reminder_id(s.session_id, 1, "per_sam0000001", Channel.EMAIL, 60)
        run_at(couple, s.start - timedelta(hours=2))
        run_at(couple, s.start - timedelta(hours=1))
        outcomes[s.start.isoformat()] = status_of(text)
        assert status_of(mail) is MessageStatus.SENT  # email is never capped
    # Then one text a day and three a week went; the others were skipped and say why
    assert list(outcomes.values()) == [
        MessageStatus.SENT,
        MessageStatus.SENT,
        MessageStatus.SENT,
        MessageStatus.SKIPPED_CAP,  # second on Thursday
        MessageStatus.SKIPPED_CAP,  # fourth in the week
        MessageStatus.SENT,  # a new week
    ]
    thursday = store().get_message(reminder_id("ses_sam0000003", 1, "per_sam0000001", Channel.SMS, 120))
    friday = store().get_message(reminder_id("ses_sam0000004", 1, "per_sam0000001", Channel.SMS, 120))
    assert thursday is not None
    assert thursday.status_reason == "SMS reminder limit per day reached"
    assert friday is not None
    assert friday.status_reason == "SMS reminder limit per week reached"
    day, week = caps.sms_reminder_counters(pt(3, 13), LA)
    assert store().sms_cap_count("per_sam0000001", day) == 1
    assert store().sms_cap_count("per_sam0000001", week) == 3
    reminders_texted = [text for phone, text in sent_sms() if text.startswith("Reminder")]
    assert len(reminders_texted) == 4


def test_concurrent_senders_cannot_exceed_the_daily_limit(couple, atomic):
    # Given two SMS reminders of one person for one day, queued together
    save_prefs("per_sam0000001", email_address=None, sms=True)
    for i, start in enumerate((pt(3, 12), pt(3, 12, 30))):
        apply(
            individual_session(start, f"ses_sam{i:07d}").model_copy(
                update={"attendee_ids": ("per_sam0000001",)}
            )
        )
    queued = [m for m in sweep_at(couple, pt(3, 10, 30)) if ".sms." in m["Body"]]
    assert len(queued) == 2
    # When two sender invocations handle them at the same moment
    threads = [threading.Thread(target=send_at, args=([m], pt(3, 10, 30))) for m in queued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one was sent and the other skipped for the limit
    statuses = sorted(str(status_of(json.loads(m["Body"])["message_id"])) for m in queued)
    assert statuses == ["sent", "skipped_cap"]


# --- 5. the sweep and the sender -------------------------------------------------------------------


def _due_reminder(i: int, due: datetime) -> MessageRecord:
    return MessageRecord(
        message_id=f"rem.ses_load{i:07d}.v1.per_sam0000001.email.60",
        person_id="per_sam0000001",
        channel=Channel.EMAIL,
        kind=MessageKind.REMINDER,
        due_at=due - timedelta(seconds=i % 300),
        session_id=f"ses_load{i:07d}",
        start=due + timedelta(hours=1),
        end=due + timedelta(hours=2),
    )


def test_two_concurrent_sweeps_queue_each_of_500_due_reminders_exactly_once(moto_env, atomic):
    # Given 500 due reminders, some in yesterday's bucket
    outbox = store()
    moment = pt(2, 17, 2)  # 00:02 UTC on 3 June
    for i in range(500):
        outbox.put_message(_due_reminder(i, moment))
    # When two sweeps run at the same time
    counts: list[int] = []

    def run() -> None:
        counts.append(sweep.sweep(store(), moto_env["sqs"], moto_env["queue_url"], now=moment))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then between them they queued every reminder, none twice
    queued = queued_ids(receive_all(moto_env))
    assert sum(counts) == 500
    assert len(queued) == 500
    assert set(queued) == {_due_reminder(i, moment).message_id for i in range(500)}
    # And a third sweep finds nothing left to queue
    assert sweep.sweep(store(), moto_env["sqs"], moto_env["queue_url"], now=moment) == 0


def test_the_sweep_catches_up_on_days_it_missed(couple):
    # Given a notice due three days ago that no sweep saw (the sweep was down)
    outbox = store()
    outbox.put_message(
        MessageRecord(
            message_id="ntc.ses_old0000001.v1.per_alex00001.email",
            person_id=ALEX,
            channel=Channel.EMAIL,
            kind=MessageKind.CANCELLED,
            due_at=NOW - timedelta(days=3),
            session_id="ses_old0000001",
            start=NOW + timedelta(days=1),
            end=NOW + timedelta(days=1, hours=1),
        )
    )
    # When the sweep runs again
    # Then it finds and sends it
    assert run_at(couple, NOW) == ["ntc.ses_old0000001.v1.per_alex00001.email"]
    assert status_of("ntc.ses_old0000001.v1.per_alex00001.email") is MessageStatus.SENT


def test_a_claim_lost_before_queueing_is_queued_again_after_the_lease(couple):
    # Given a due notice claimed by a sweep that died before its SQS call
    apply(couples_session(pt(3, 18)))
    lost = notice_id(SESSION, 1, JAMIE, Channel.EMAIL)
    assert store().claim(lost, NOW)
    # When the next sweeps run: within the lease nothing happens, after it the claim is taken over
    assert lost not in queued_ids(sweep_at(couple, NOW + timedelta(minutes=1)))
    retried = [m for m in sweep_at(couple, NOW + timedelta(minutes=11)) if lost in m["Body"]]
    assert len(retried) == 1
    # Then the sender sends it once
    assert send_at(retried, NOW + timedelta(minutes=11)) == {"batchItemFailures": []}
    assert status_of(lost) is MessageStatus.SENT
    assert [dest for dest, _ in sent_emails()] == [["jamie@example.com"]]


def test_a_message_that_keeps_failing_is_recorded_failed_on_its_last_delivery(couple, monkeypatch):
    # Given a queued notice and an SES that keeps rejecting the sender
    apply(couples_session(pt(3, 18)))
    queued = [m for m in sweep_at(couple, NOW) if "per_jamie0001.email" in m["Body"]]
    monkeypatch.setenv("SENDER_EMAIL", "unverified@nowhere.test")
    message_id = queued_ids(queued)[0]
    # When SQS delivers it for the fourth time, it fails and stays queued for a retry
    with pytest.raises(Exception, match="All records failed"):
        send_at(queued, NOW, receive_count=4)
    assert status_of(message_id) is MessageStatus.QUEUED
    # And on the fifth (the queue's last before the DLQ) it is recorded as failed, with the reason
    with pytest.raises(Exception, match="All records failed"):
        send_at(queued, NOW, receive_count=5)
    failed = store().get_message(message_id)
    assert failed is not None
    assert failed.status is MessageStatus.FAILED
    assert failed.status_reason == "MessageRejected"  # the code only: SES's text can quote addresses
    assert [a.outcome for a in failed.attempt_log] == ["failed", "failed"]
    assert failed.attempts == 2


def test_withdrawn_consent_stops_the_next_text(couple):
    # Given Alex's SMS reminder planned while Alex had consented
    apply(couples_session(pt(3, 18)))
    run_at(couple, NOW)
    # When Alex withdraws consent before it is due
    current = store().get_preferences(ALEX)
    assert current is not None
    revoked = current.model_copy(
        update={
            "sms_consent": SmsConsent(granted_at=NOW, source="web", revoked_at=NOW + timedelta(hours=1)),
            "version": 2,
        }
    )
    store().put_preferences(revoked, expected_version=1)
    texts_before = len(sent_sms())
    run_at(couple, pt(3, 16))
    # Then the reminder is skipped and says why
    reminder = store().get_message(reminder_ids()["alex_sms"])
    assert reminder is not None
    assert (reminder.status, reminder.status_reason) == (MessageStatus.SKIPPED_NO_CONSENT, "no SMS consent")
    assert len(sent_sms()) == texts_before


def test_logs_carry_no_addresses_or_message_bodies(couple, caplog):
    # Given the loops logging at INFO
    caplog.set_level("INFO", logger="tandem")
    # When a booking's notices and a reminder go out
    apply(couples_session(pt(3, 18)))
    run_at(couple, NOW)
    run_at(couple, pt(3, 16))
    # Then no log record holds an address, a number or a message's words
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + json.dumps(record.__dict__, default=str)
        for secret in ("alex@example.com", "jamie@example.com", ALEX_PHONE, "Reminder from", "appointment"):
            assert secret not in text


# --- missed sessions ---------------------------------------------------------------------------------


def makeup_offer_record(person_id: str = ALEX) -> dict[str, Any]:
    offer = MakeupOfferRecord(
        person_id=person_id,
        missed_session_id=SESSION,
        missed_type="couples",
        week="2027-W22",
        options=[
            MakeupOption(
                kind=MakeupKind.MAKEUP_SESSION,
                clinician_id=CLIN,
                session_type=SessionType.COUPLES,
                attendee_ids=[ALEX, JAMIE],
                start=pt(4, 17),
                end=pt(4, 18),
            ),
            MakeupOption(kind=MakeupKind.CHECK_IN, clinician_id=CLIN),
        ],
        created_at=NOW,
    )
    return {
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": to_item(MakeupOfferRecord.key(person_id, SESSION)),
            "NewImage": to_item(offer.to_attributes()),
            "SequenceNumber": "1",
        },
    }


def test_a_missed_session_follow_up_offers_the_makeup_options_once(couple):
    # Given the makeup offer schedule made after Alex missed the couples session
    record = makeup_offer_record()
    # When its stream record arrives three times
    written = [events.apply_makeup_offer(published(record), store(), now=NOW) for _ in range(3)]
    # Then one follow-up per channel was planned, once
    assert written == [True, False, False]
    ids = [followup_id(SESSION, ALEX, channel) for channel in (Channel.EMAIL, Channel.SMS)]
    assert sorted(run_at(couple, NOW)) == sorted(ids)
    # And the email lists the options; the text only points to the app
    (email_message,) = [m for dest, m in sent_emails() if dest == ["alex@example.com"]]
    assert email_message["Subject"] == "We missed you: choose a makeup option"
    text = body_of(email_message)
    assert "- A makeup session on Fri Jun 4 at 5:00 PM PT" in text
    assert "- A one-on-one check-in" in text
    assert sent_sms()[-1] == (
        ALEX_PHONE,
        "Tandem Care: we missed you at your recent appointment. You can choose a makeup option in the app: "
        "https://app.tandem.health Reply STOP to opt out.",
    )
    # And the outbox kept no clinician or partner ids of the options
    stored = store().get_message(ids[0])
    assert stored is not None
    assert stored.detail == {
        "options": [{"kind": "makeup_session", "start": "2027-06-05T00:00:00Z"}, {"kind": "check_in"}]
    }


def test_an_accepted_offer_publishes_nothing_more(couple):
    record = makeup_offer_record()
    old = record["dynamodb"]["NewImage"]
    accepted = {**old, "status": {"S": "accepted"}}
    assert (
        translate(to_change({"eventName": "MODIFY", "dynamodb": {"NewImage": accepted, "OldImage": old}}))
        == []
    )


# --- the contract with schedule ----------------------------------------------------------------------


def test_the_seeded_programs_real_stream_records_become_notices_and_reminders(program, moto_env):
    # Given the demo program's bookings, as records on the schedule table's stream
    streams: Any = boto3.client("dynamodbstreams", region_name="us-east-1")
    records = stream_records(moto_env["dynamodb"], streams, moto_env["tables"]["schedule"])
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        image = from_item(record["dynamodb"].get("NewImage") or {})
        if image.get("entity") == "SESSION":
            latest[image["session_id"]] = image
    assert latest
    # When schedule publishes their events (twice, as a retried batch would) and notify takes
    # them off its queue on the topic
    for _ in range(2):
        publish(records)
        assert all(r == {"batchItemFailures": []} for r in deliver(moto_env, "NotifyEvents"))
    # Then notify's marker of every session has its latest status (attendance changes no marker)
    for session_id, image in latest.items():
        marker = store().get_session_notices(session_id)
        assert marker is not None, session_id
        assert marker.status == image["status"]
        assert marker.version <= image["version"]
