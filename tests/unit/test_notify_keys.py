"""Notify's table layout, spelled out: what `functions/notify/keys.py` builds is what is stored
(items written before it existed must still be found, so none of these may change)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from functions.notify import keys

AT = datetime(2027, 1, 1, 5, 30, tzinfo=timezone(timedelta(hours=6)))  # 2026-12-31T23:30Z
AT_ISO = "2026-12-31T23:30:00Z"

LAYOUT = [
    (keys.preferences_key("per_1"), {"pk": "PERSON#per_1", "sk": "PREFERENCES"}),
    (keys.zone_index("America/Chicago", "per_1"), {"gsi1pk": "ZONE#America/Chicago", "gsi1sk": "per_1"}),
    (keys.phone_key("+15125550100"), {"pk": "PHONE#+15125550100", "sk": "PERSONS"}),
    (keys.upcoming_key("per_1", "ses_1"), {"pk": "PERSON#per_1", "sk": "UPCOMING#ses_1"}),
    (keys.upcoming_index("per_1", AT, "ses_1"), {"gsi1pk": "NEXT#per_1", "gsi1sk": f"{AT_ISO}#ses_1"}),
    (
        keys.sms_cap_key("per_1", keys.sms_cap_day(date(2027, 6, 6))),
        {"pk": "PERSON#per_1", "sk": "SMSCAP#D#2027-06-06"},
    ),
    (
        keys.sms_cap_key("per_1", keys.sms_cap_week(2026, 3)),
        {"pk": "PERSON#per_1", "sk": "SMSCAP#W#2026-W03"},
    ),
    (keys.session_notices_key("ses_1"), {"pk": "SESSION#ses_1", "sk": "NOTICES"}),
    (keys.message_key("msg_1"), {"pk": "MESSAGE#msg_1", "sk": "MESSAGE"}),
    (keys.due_index(AT, "msg_1"), {"gsi1pk": "DUE#2026-12-31", "gsi1sk": f"{AT_ISO}#msg_1"}),
    (keys.history_index("per_1", AT, "msg_1"), {"gsi1pk": "HIST#per_1", "gsi1sk": f"{AT_ISO}#msg_1"}),
    (keys.failure_key(AT, "msg_1"), {"pk": "FAILED#2026-12", "sk": f"{AT_ISO}#msg_1"}),
    (keys.group_series_key("per_1", "grp_1"), {"pk": "PERSON#per_1", "sk": "GSERIES#grp_1"}),
    (keys.group_series_index("grp_1", "per_1"), {"gsi1pk": "GSERIES", "gsi1sk": "grp_1#per_1"}),
    (keys.job_run_key("digest", "2026-12-31T23"), {"pk": "JOB#digest", "sk": "HOUR#2026-12-31T23"}),
    (keys.dlq_incident_key("send-dlq"), {"pk": "ALERT#DLQ#send-dlq", "sk": "INCIDENT"}),
]


@pytest.mark.parametrize(("built", "stored"), LAYOUT, ids=[str(stored) for _, stored in LAYOUT])
def test_every_key_is_the_stored_layout(built, stored):
    assert built == stored


def test_buckets_and_bounds_read_the_utc_day_and_month():
    assert (keys.due_bucket(AT), keys.lease_bucket(AT)) == ("DUE#2026-12-31", "LEASE#2026-12-31")
    assert keys.lease_sort_key(AT, "msg_1") == f"{AT_ISO}#msg_1"
    assert keys.failures_pk("2026-12") == "FAILED#2026-12"
    assert (keys.next_bucket("per_1"), keys.history_bucket("per_1")) == ("NEXT#per_1", "HIST#per_1")
    # a range of `<time>#<id>` sort keys: from just before `since`'s, to just after `up_to`'s
    first, last = keys.due_sort_key(AT, "msg_0"), keys.due_sort_key(AT, "msg_~~~")
    assert keys.since(AT) < first <= last < keys.up_to(AT) < keys.due_sort_key(AT + timedelta(seconds=1), "m")
    assert keys.person_pk("per_1") == "PERSON#per_1"
    assert keys.group_series_key("per_1", "grp_1")["sk"].startswith(keys.GROUP_SERIES_PREFIX)


def test_a_due_sort_key_is_read_back_into_its_bucket():
    moment = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert keys.due_bucket_of(keys.due_sort_key(moment, "msg_1#x")) == keys.due_bucket(moment)


def test_a_cursor_lies_in_one_partition_only():
    start = {"pk": "MESSAGE#m", "sk": "MESSAGE", "gsi1pk": "HIST#per_1", "gsi1sk": "x"}
    assert keys.in_partition(start, "HIST#per_1", index=True)
    assert not keys.in_partition(start, "HIST#per_2", index=True)
    assert not keys.in_partition(start, "HIST#per_1", index=False)
    assert keys.index_sort_key(start) == "x"
