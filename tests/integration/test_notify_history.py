"""Notification history (a person's own) and the coordinators' view of failures, on moto."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from functions.common.dynamo import to_item
from functions.common.models import utc_now
from functions.notify.handler import lambda_handler
from functions.notify.logic.reminders import notice_id, reminder_id
from functions.notify.models import FailureRecord
from functions.notify.vocabulary import Channel, Language
from tests.integration.conftest import audit_entries, caller_of
from tests.integration.test_notify_reminders import (
    ALEX,
    ALEX_PHONE,
    CLIN,
    JAMIE,
    NOW,
    SESSION,
    apply,
    couples_session,
    pt,
    run_at,
    save_prefs,
    send_at,
    sweep_at,
)
from tests.support import claims
from tests.support import dynamodb_calls as counting

pytestmark = pytest.mark.clock  # reads "now" (months, due times, staleness)

call = caller_of(lambda_handler)
ALEX_CALLER = claims(ALEX, "participant")
JAMIE_CALLER = claims(JAMIE, "participant")
COORDINATOR = claims("per_coord0001", "coordinator")
READS = {"GetItem", "Query", "BatchGetItem", "Scan"}


@pytest.fixture
def couple(moto_env: dict[str, Any]) -> dict[str, Any]:
    """Alex (email a day before, a text two hours before, consented), Jamie (Spanish, email)
    and their couples therapist (email an hour before, in Denver)."""
    save_prefs(ALEX, email_address="alex@example.com", sms=True)
    save_prefs(JAMIE, email_address="jamie@example.com", language=Language.ES)
    save_prefs(CLIN, email_address="dr.lee@example.com", offsets=[60], zone="America/Denver")
    return moto_env


@pytest.fixture
def week(couple: dict[str, Any]) -> dict[str, Any]:
    """A couples session on Thursday 18:00 PT: booked on Tuesday (notices sent), Alex's
    day-before email and two-hours-before text sent, the clinician's hour-before email too."""
    apply(couples_session(pt(3, 18)))
    run_at(couple, NOW)
    run_at(couple, pt(2, 18))
    run_at(couple, pt(3, 16))
    run_at(couple, pt(3, 17))
    return couple


def test_a_person_reads_their_history_newest_first_without_words_or_addresses(week):
    # When Alex reads their notification history
    reply = call("GET", "/me/notifications", caller=ALEX_CALLER)
    # Then it lists Alex's messages only, newest first, with kind, channel, time and status
    assert reply.status == 200, reply
    items = reply.json["items"]
    assert [(i["kind"], i["channel"], i["status"]) for i in items] == [
        ("reminder", "sms", "sent"),
        ("reminder", "email", "sent"),
        ("booked", "sms", "sent"),  # sent in the same second as the email: by id, descending
        ("booked", "email", "sent"),
    ]
    assert [i["at"] for i in items][:2] == ["2027-06-03T23:00:00Z", "2027-06-03T01:00:00Z"]
    assert {i["message_id"] for i in items} >= {
        reminder_id(SESSION, 1, ALEX, Channel.SMS, 120),
        notice_id(SESSION, 1, ALEX, Channel.EMAIL),
    }
    assert reply.json["next_cursor"] is None
    # And it never carries an address or a message's words
    for secret in (ALEX_PHONE, "alex@example.com", "Reminder from", "appointment", "Tandem Care"):
        assert secret not in reply.text
    assert set(items[0]) == {"message_id", "kind", "channel", "status", "at", "reason"}
    # And the read is audited
    (entry,) = audit_entries(week, f"person/{ALEX}/notifications")
    assert (entry["action"], entry["outcome"]) == ("notify.history.read", "success")


def test_history_pages_with_an_opaque_cursor_that_only_its_owner_can_use(week):
    # When Alex reads three at a time
    first = call("GET", "/me/notifications?limit=3", caller=ALEX_CALLER).json
    second = call("GET", f"/me/notifications?limit=3&cursor={first['next_cursor']}", caller=ALEX_CALLER).json
    # Then the pages are the whole history once, in order
    everything = call("GET", "/me/notifications", caller=ALEX_CALLER).json["items"]
    assert first["items"] + second["items"] == everything
    assert len(first["items"]) == 3
    assert second["next_cursor"] is None
    # And Jamie cannot page through Alex's history with Alex's cursor
    stolen = call("GET", f"/me/notifications?cursor={first['next_cursor']}", caller=JAMIE_CALLER)
    assert stolen.status == 400
    assert [e["field"] for e in stolen.json["errors"]] == ["query.cursor"]
    # And a cursor that is not one is refused
    assert call("GET", "/me/notifications?cursor=bogus", caller=ALEX_CALLER).status == 400


def test_each_person_sees_their_own_and_skipped_messages_say_why(week):
    jamie = call("GET", "/me/notifications", caller=JAMIE_CALLER).json["items"]
    assert {i["message_id"].split(".")[3] for i in jamie} == {JAMIE}
    clinician = call("GET", "/me/notifications", caller=claims(CLIN, "clinician")).json["items"]
    assert [(i["kind"], i["status"]) for i in clinician] == [("reminder", "sent"), ("booked", "sent")]


def test_a_message_never_sent_is_in_the_history_with_its_reason(couple):
    # Given a session at 07:30 PT: Alex's text two hours before would fall in quiet hours
    apply(couples_session(pt(3, 7, 30)))
    items = call("GET", "/me/notifications", caller=ALEX_CALLER).json["items"]
    assert [(i["kind"], i["channel"], i["status"], i["reason"]) for i in items] == [
        ("reminder", "sms", "dropped_quiet_hours", "session starts before quiet hours end")
    ]


def _fail_for_good(moto_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    """Jamie's booking email keeps bouncing off SES until its last delivery."""
    apply(couples_session(pt(3, 18)))
    queued = [m for m in sweep_at(moto_env, NOW) if "per_jamie0001.email" in m["Body"]]
    monkeypatch.setenv("SENDER_EMAIL", "unverified@nowhere.test")
    for receive in (1, 5):
        with pytest.raises(Exception, match="All records failed"):
            send_at(queued, NOW, receive_count=receive)
    return notice_id(SESSION, 1, JAMIE, Channel.EMAIL)


def test_coordinators_see_the_messages_that_failed_for_good(couple, monkeypatch):
    # Given a notice that failed on its last delivery before the dead-letter queue
    failed_id = _fail_for_good(couple, monkeypatch)
    # When a coordinator lists June's failures
    reply = call("GET", "/notifications/failures?month=2027-06", caller=COORDINATOR)
    # Then it is there, with the provider's error code and the attempts, and nothing else of it
    assert reply.status == 200, reply
    assert reply.json == {
        "month": "2027-06",
        "items": [
            {
                "message_id": failed_id,
                "person_id": JAMIE,
                "kind": "booked",
                "channel": "email",
                "failed_at": "2027-06-01T16:00:00Z",
                "reason": "MessageRejected",
                "attempts": 2,
            }
        ],
        "next_cursor": None,
    }
    # And Jamie's own history shows it failed
    jamie = call("GET", "/me/notifications", caller=JAMIE_CALLER).json["items"]
    assert (jamie[0]["message_id"], jamie[0]["status"], jamie[0]["reason"]) == (
        failed_id,
        "failed",
        "MessageRejected",
    )
    # And another month is empty, and the read is audited
    assert call("GET", "/notifications/failures?month=2027-05", caller=COORDINATOR).json["items"] == []
    (entry,) = audit_entries(couple, "notifications/failures/2027-06")
    assert (entry["actor_id"], entry["outcome"]) == ("per_coord0001", "success")


def test_failures_are_listed_newest_first_a_page_at_a_time(couple):
    # Given five failures on 10 June, a minute apart
    for minute in range(5):
        record = FailureRecord(
            message_id=f"ntc.ses_x.v1.per_p{minute}.email",
            person_id=f"per_p{minute}",
            channel=Channel.EMAIL,
            reason="Throttling",
            failed_at=pt(10, 9, minute),
            attempts=5,
        )
        couple["dynamodb"].put_item(
            TableName=os.environ["NOTIFY_TABLE"], Item=to_item(record.to_attributes())
        )
    # When a coordinator reads them two at a time
    first = call("GET", "/notifications/failures?month=2027-06&limit=2", caller=COORDINATOR).json
    rest = call(
        "GET", f"/notifications/failures?month=2027-06&cursor={first['next_cursor']}", caller=COORDINATOR
    ).json
    # Then they come newest first, each once
    people = [i["person_id"] for i in first["items"] + rest["items"]]
    assert people == ["per_p4", "per_p3", "per_p2", "per_p1", "per_p0"]
    # And a cursor of one month is no good for another
    other = call(
        "GET", f"/notifications/failures?month=2027-07&cursor={first['next_cursor']}", caller=COORDINATOR
    )
    assert other.status == 400


@pytest.mark.parametrize("who", [ALEX_CALLER, claims(CLIN, "clinician")], ids=["participant", "clinician"])
def test_only_coordinators_see_failures(couple, who):
    reply = call("GET", "/notifications/failures", caller=who)
    assert reply.status == 403
    entries = audit_entries(couple, f"notifications/failures/{utc_now().strftime('%Y-%m')}")
    assert [e["outcome"] for e in entries] == ["denied"]


@pytest.mark.parametrize("month", ["2027-13", "27-06", "2027-6", "june"])
def test_a_month_that_is_not_one_is_refused(couple, month):
    reply = call("GET", f"/notifications/failures?month={month}", caller=COORDINATOR)
    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["query.month"]


@pytest.fixture
def dynamodb_calls(moto_env: dict[str, Any]) -> Iterator[Counter[str]]:
    with counting() as counts:
        yield counts


@pytest.mark.parametrize(
    ("caller", "path"),
    [
        (ALEX_CALLER, "/me/notifications"),
        (ALEX_CALLER, "/me/notifications?limit=1"),
        (COORDINATOR, "/notifications/failures?month=2027-06"),
    ],
    ids=["history", "history page", "failures"],
)
def test_history_routes_are_one_query_and_never_scan(week, dynamodb_calls, caller, path):
    dynamodb_calls.clear()
    assert call("GET", path, caller=caller).status == 200
    reads = {op: n for op, n in dynamodb_calls.items() if op in READS}
    assert reads == {"Query": 1}
