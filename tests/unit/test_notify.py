"""Notification preferences and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from functions.notify import keys
from functions.notify.logic import outbox, preferences
from functions.notify.models import Choices, MessageRecord, PreferencesIn, PreferencesRecord, SmsConsent
from functions.notify.vocabulary import (
    DEFAULT_REMINDER_OFFSETS_MINUTES,
    MAX_RECEIVES,
    Channel,
    Language,
    MessageStatus,
)

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

# --- PreferencesIn -------------------------------------------------------------------------------


def test_defaults():
    prefs = PreferencesIn()
    assert prefs.email_enabled is True
    assert prefs.sms_enabled is False
    assert prefs.quiet_hours_start == time(21, 0)
    assert prefs.quiet_hours_end == time(8, 0)
    assert prefs.reminder_offsets_minutes == list(DEFAULT_REMINDER_OFFSETS_MINUTES)


def test_offsets_are_sorted_descending():
    prefs = PreferencesIn.model_validate({"reminder_offsets_minutes": [15, 1440, 60]})
    assert prefs.reminder_offsets_minutes == [1440, 60, 15]


@pytest.mark.parametrize("offsets", [[5], [10080], [5, 10080], []])
def test_offsets_at_the_bounds_are_accepted(offsets):
    assert sorted(PreferencesIn(reminder_offsets_minutes=offsets).reminder_offsets_minutes) == sorted(offsets)


@pytest.mark.parametrize(
    "offsets",
    [
        [60, 60],
        [4],
        [0],
        [-10],
        [10081],
        [60, 4],
        [15, 30, 60, 120],
    ],
)
def test_bad_offsets_are_rejected(offsets):
    with pytest.raises(ValidationError):
        PreferencesIn.model_validate({"reminder_offsets_minutes": offsets})


def test_duplicate_offsets_message():
    with pytest.raises(ValidationError, match="distinct"):
        PreferencesIn.model_validate({"reminder_offsets_minutes": [30, 30]})


def test_preferences_forbid_extra_fields():
    with pytest.raises(ValidationError):
        PreferencesIn.model_validate({"email_enabled": True, "cell": "+15125550100"})


# --- preferences logic -----------------------------------------------------------------------


def test_effective_without_record_is_defaults_at_version_zero():
    prefs, version = preferences.effective("per_1", None)
    assert version == 0
    assert prefs.updated_at is None
    defaults = PreferencesIn().model_dump(include=set(Choices.model_fields) - {"channels"})
    assert prefs.model_dump(include=set(defaults)) == defaults
    assert prefs.channels == {
        "reminders": ["email", "sms"],
        "changes": ["email", "sms"],
        "follow_ups": ["email", "sms"],
        "digests": ["email"],
        "alerts": ["email"],
    }
    assert (prefs.mobile_phone, prefs.sms_consent, prefs.sms_reminder_offsets_minutes) == (None, None, [120])


def test_effective_with_record():
    saved = Choices(sms_enabled=True, reminder_offsets_minutes=[30])
    record = PreferencesRecord(person_id="per_1", preferences=saved, updated_at=NOW, version=4)
    prefs, version = preferences.effective("per_1", record)
    assert version == 4
    assert prefs.sms_enabled is True
    assert prefs.reminder_offsets_minutes == [30]
    assert prefs.updated_at == NOW


def test_first_save_is_version_one():
    new = PreferencesIn(email_enabled=False)
    record = preferences.replace("per_1", new, current=None, now=NOW)
    assert record.version == 1
    assert record.person_id == "per_1"
    assert record.preferences == Choices(email_enabled=False)
    assert record.updated_at == NOW


@pytest.mark.parametrize("current", [1, 7])
def test_replace_increments_version_and_keeps_contact_data(current):
    consent = SmsConsent(granted_at=NOW, source="web")
    saved = PreferencesRecord(
        person_id="per_1",
        preferences=Choices(sms_enabled=True),
        updated_at=NOW,
        version=current,
        email="alex@example.com",
        phone="+15125550100",
        time_zone="America/Chicago",
        language=Language.ES,
        sms_consent=consent,
    )
    new = PreferencesIn(email_enabled=False)
    later = NOW + timedelta(hours=1)
    record = preferences.replace("per_1", new, current=saved, now=later)
    assert record.version == current + 1
    assert record.preferences == Choices(email_enabled=False)
    assert record.updated_at == later
    assert (record.email, record.phone, record.time_zone) == (
        "alex@example.com",
        "+15125550100",
        "America/Chicago",
    )
    assert record.language is Language.ES
    assert record.sms_consent == consent


def test_preferences_record_round_trip():
    record = PreferencesRecord(
        person_id="per_1",
        preferences=Choices(sms_enabled=True, reminder_offsets_minutes=[1440, 15]),
        updated_at=NOW,
        version=2,
    )
    attributes = record.to_attributes()
    assert attributes["pk"] == "PERSON#per_1"
    assert attributes["sk"] == "PREFERENCES"
    assert attributes["updated_at"] == "2025-05-01T12:00:00Z"
    assert PreferencesRecord.from_attributes(attributes) == record


# --- MessageRecord ---------------------------------------------------------------------------


def _message(**overrides: Any) -> MessageRecord:
    fields = {
        "message_id": "msg_1",
        "person_id": "per_1",
        "channel": Channel.SMS,
        "to": "+15125550100",
        "text": "Reminder: couples session tomorrow",
        "due_at": datetime(2025, 5, 1, 23, 30, 15, tzinfo=UTC),
    }
    fields.update(overrides)
    return MessageRecord(**fields)


def test_pending_message_is_in_the_due_index():
    attributes = _message().to_attributes()
    assert attributes["pk"] == "MESSAGE#msg_1"
    assert attributes["sk"] == "MESSAGE"
    assert attributes["status"] == "pending"
    assert attributes["due_at"] == "2025-05-01T23:30:15Z"
    assert attributes["gsi1pk"] == "DUE#2025-05-01"
    assert attributes["gsi1sk"] == "2025-05-01T23:30:15Z#msg_1"


def test_a_queued_message_is_in_no_index():
    attributes = _message(status=MessageStatus.QUEUED).to_attributes()
    assert "gsi1pk" not in attributes
    assert "gsi1sk" not in attributes


@pytest.mark.parametrize(
    "status", [MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.DROPPED_QUIET_HOURS]
)
def test_a_finished_message_joins_its_persons_history(status):
    finished = datetime(2025, 5, 2, 8, 0, tzinfo=UTC)
    attributes = _message(status=status, finished_at=finished).to_attributes()
    assert attributes["gsi1pk"] == "HIST#per_1"
    assert attributes["gsi1sk"] == "2025-05-02T08:00:00Z#msg_1"
    assert attributes["finished_at"] == "2025-05-02T08:00:00Z"


def test_a_message_planned_finished_dates_its_history_from_its_creation():
    attributes = _message(status=MessageStatus.DROPPED_QUIET_HOURS, created_at=NOW).to_attributes()
    assert attributes["gsi1sk"] == "2025-05-01T12:00:00Z#msg_1"


def test_due_bucket_is_the_utc_day():
    assert keys.due_bucket(datetime(2025, 5, 1, 0, 0, tzinfo=UTC)) == "DUE#2025-05-01"
    # 20:00 in Chicago (CDT, UTC-5) on 1 May is 01:00 UTC on 2 May
    chicago = datetime(2025, 5, 1, 20, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert keys.due_bucket(chicago) == "DUE#2025-05-02"
    # and east of UTC the day can go back
    tokyo = datetime(2025, 5, 2, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert keys.due_bucket(tokyo) == "DUE#2025-05-01"


def test_message_due_index_uses_utc_for_aware_local_times():
    due = datetime(2025, 5, 1, 20, 0, tzinfo=ZoneInfo("America/Chicago"))
    attributes = _message(due_at=due).to_attributes()
    assert attributes["gsi1pk"] == "DUE#2025-05-02"
    assert attributes["due_at"] == "2025-05-02T01:00:00Z"


def test_message_round_trip():
    message = _message(subject="Hello", channel=Channel.EMAIL, to="alex@example.com")
    assert MessageRecord.from_attributes(message.to_attributes()) == message


# --- outbox --------------------------------------------------------------------------------


def test_chunks_split_into_sqs_batches():
    items = list(range(23))
    batches = list(outbox.chunks(items))
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [x for b in batches for x in b] == items


@pytest.mark.parametrize(("count", "sizes"), [(0, []), (1, [1]), (10, [10]), (11, [10, 1]), (20, [10, 10])])
def test_chunk_sizes(count, sizes):
    assert [len(b) for b in outbox.chunks(list(range(count)))] == sizes


def test_chunks_with_custom_size():
    assert [list(b) for b in outbox.chunks("abcde", 2)] == [["a", "b"], ["c", "d"], ["e"]]


def test_sweep_days_reach_back_a_week_oldest_first():
    now = datetime(2025, 5, 1, 0, 0, 30, tzinfo=UTC)
    days = outbox.sweep_days(now)
    assert days[0] == now - timedelta(days=outbox.CATCH_UP_DAYS)
    assert days[-2:] == [now - timedelta(days=1), now]
    assert [keys.due_bucket(d) for d in days] == [f"DUE#2025-04-{d}" for d in range(24, 31)] + [
        "DUE#2025-05-01"
    ]


def test_lease_days_end_a_lease_before_now():
    now = datetime(2025, 5, 1, 0, 5, tzinfo=UTC)
    days = outbox.lease_days(now)
    assert days[-1] == now - outbox.LEASE
    assert keys.lease_bucket(days[-1]) == "LEASE#2025-04-30"


def test_preferences_record_keeps_contact_data_and_consent():
    record = PreferencesRecord(
        person_id="per_1",
        preferences=Choices(sms_enabled=True),
        updated_at=NOW,
        version=1,
        email="alex@example.com",
        phone="+15125550100",
        time_zone="America/Los_Angeles",
        language=Language.ES,
        sms_consent=SmsConsent(granted_at=NOW, source="web"),
        sms_reminder_offsets_minutes=(90,),
    )
    attributes = record.to_attributes()
    assert attributes["sms_consent"] == {
        "granted_at": "2025-05-01T12:00:00Z",
        "source": "web",
        "revoked_at": None,
        "revoked_source": None,
    }
    assert PreferencesRecord.from_attributes(attributes) == record
    assert record.sms_consented
    revoked = record.model_copy(
        update={"sms_consent": SmsConsent(granted_at=NOW, source="web", revoked_at=NOW)}
    )
    assert not revoked.sms_consented


def test_max_receives_matches_the_queue_redrive_policy():
    from infra.messaging import MAX_RECEIVE_COUNT

    assert MAX_RECEIVES == MAX_RECEIVE_COUNT
