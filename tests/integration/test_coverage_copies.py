"""Coverage's own copy of what its API reads of the schedule, kept from schedule's events by its
subscriber: a week follows a session that moves, and an older event redelivered
never undoes a later one."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common import aws
from functions.coverage import copies
from functions.coverage.store import CoverageStore
from functions.schedule.models import SessionRecord
from functions.schedule.vocabulary import SessionEvent, SessionStatus, SessionType
from tests.integration.conftest import subscriber_handler
from tests.support import context, published_images, sqs_records

MONDAY = datetime(2027, 3, 8, 15, tzinfo=UTC)  # ISO week 2027-W10 in Chicago


def session(**changes: Any) -> SessionRecord:
    fields: dict[str, Any] = {
        "session_id": "ses_copy0001",
        "type": SessionType.INDIVIDUAL,
        "start": MONDAY,
        "end": MONDAY + timedelta(hours=1),
        "clinician_ids": ("per_clin00001",),
        "attendee_ids": ("per_alex00001",),
        "time_zones": {"per_alex00001": "America/Chicago", "per_clin00001": "America/Chicago"},
        "created_by": "per_coord0001",
        "updated_at": MONDAY - timedelta(days=7),
    }
    return SessionRecord.model_validate({**fields, **changes})


def hand(*events: Any) -> None:
    """Coverage's copy of the events (its subscriber makes it before the rest of its work)."""
    store = CoverageStore(os.environ["COVERAGE_TABLE"], aws.client("dynamodb"))
    for event in events:
        copies.apply(store, copies.copies_of(event, store, "America/Chicago"))


def week(moto_env: dict[str, Any], iso_week: str) -> list[dict[str, Any]]:
    """The sessions in Alex's copy of the week (less the markers of those that moved away)."""
    store = CoverageStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))
    items = store.schedule_week("per_alex00001", iso_week)
    return [i for i in items if i["entity"] == "WEEK_SESSION" and i["status"] != "moved"]


def test_a_session_moved_to_another_week_leaves_the_first_and_an_old_event_undoes_nothing(moto_env):
    # Given Alex's session booked on Monday of week 10, then moved to the next Monday
    booked = session()
    moved = session(
        start=MONDAY + timedelta(days=7),
        end=MONDAY + timedelta(days=7, hours=1),
        event=SessionEvent.RESCHEDULED,
        version=2,
    )
    first = published_images(booked.to_attributes())
    second = published_images(moved.to_attributes(), booked.to_attributes())
    # When coverage's copy takes both events
    hand(first, second)
    # Then the session is in week 11 only, at its new time and revision
    assert week(moto_env, "2027-W10") == []
    [copy] = week(moto_env, "2027-W11")
    assert (copy["start"], copy["revision"], copy["status"]) == ("2027-03-15T15:00:00Z", 2, "booked")
    # And the booking handed again (a redelivery) brings back nothing of week 10
    hand(first)
    assert week(moto_env, "2027-W10") == []
    assert [c["revision"] for c in week(moto_env, "2027-W11")] == [2]
    # And a cancellation follows into the copy, which estimates then leave out
    cancelled = moved.model_copy(
        update={"status": SessionStatus.CANCELLED, "event": SessionEvent.CANCELLED, "version": 3}
    )
    hand(published_images(cancelled.to_attributes(), moved.to_attributes()))
    assert [c["status"] for c in week(moto_env, "2027-W11")] == ["cancelled"]


def test_a_person_and_a_couple_are_known_to_coverage_once_published(moto_env):
    store = CoverageStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))
    assert store.person_kind("per_alex00001") is None
    person = {
        "pk": "PERSON#per_alex00001",
        "sk": "PROFILE",
        "entity": "PERSON",
        "person_id": "per_alex00001",
        "kind": "participant",
        "time_zone": "America/Chicago",
        "version": 1,
        "display_name": "Alex",
    }
    couple = {
        "pk": "COUPLE#cpl_1",
        "sk": "PROFILE",
        "entity": "COUPLE",
        "couple_id": "cpl_1",
        "partner_ids": ["per_alex00001", "per_jamie0001"],
        "version": 1,
    }
    # (through coverage's subscriber, as its queue hands them over)
    handler = subscriber_handler("CoverageEvents")
    events = sqs_records([published_images(person), published_images(couple)])
    assert handler(events, context("coverage-events")) == {"batchItemFailures": []}
    assert store.person_kind("per_alex00001") == "participant"
    assert store.couple_partners("cpl_1") == ["per_alex00001", "per_jamie0001"]
