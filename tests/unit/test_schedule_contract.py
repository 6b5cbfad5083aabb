"""Schedule's published events: the committed schemas are the code's, the translator says what
the contract says (and no more), and each consumer subscribes to what it handles."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions.catalog import ENTRYPOINTS, PUBLISHED_ENTITIES
from functions.common.dynamo import to_item
from functions.common.streams import to_change
from functions.contracts import __main__ as schemas
from functions.contracts import schedule as contract
from functions.schedule.publish import TRANSLATORS, translate
from tests.contracts import check_event

ROOT = Path(__file__).resolve().parent.parent.parent
SESSION = {
    "pk": "SESSION#ses_1",
    "sk": "SESSION",
    "entity": "SESSION",
    "session_id": "ses_1",
    "type": "couples",
    "status": "booked",
    "event": "booked",
    "start": "2027-01-04T23:30:00Z",  # Monday 17:30 in Chicago, Tuesday 08:30 in Tokyo
    "end": "2027-01-05T00:30:00Z",
    "clinician_ids": ["per_clin"],
    "attendee_ids": ["per_alex", "per_jamie"],
    "couple_id": "cpl_1",
    "time_zones": {"per_alex": "America/Chicago", "per_jamie": "Asia/Tokyo", "per_clin": "America/Chicago"},
    "attendance": {},
    "cancel_reason": "a note nobody else needs",
    "created_by": "per_coord",
    "updated_at": "2027-01-01T12:00:00Z",
    "version": 1,
}


def published(
    new: dict[str, Any] | None, old: dict[str, Any] | None = None, *, name: str = "MODIFY"
) -> list[Any]:
    images: dict[str, Any] = {"SequenceNumber": "000123"}
    if new is not None:
        images["NewImage"] = to_item(new)
    if old is not None:
        images["OldImage"] = to_item(old)
    found = translate(
        to_change({"eventName": name, "dynamodb": images}), occurred_at=datetime(2027, 1, 1, tzinfo=UTC)
    )
    for event in found:
        check_event(json.loads(event.model_dump_json()))
    return found


def test_the_committed_schemas_are_the_codes():
    # Given the schemas the code defines, When compared with the committed files, Then they agree
    # (`make contracts` writes them)
    assert schemas.main(["--check"]) == 0
    committed = sorted(p.name for p in (ROOT / "contracts" / "schedule").glob("*.json"))
    assert committed == sorted(f"{t}.v{contract.VERSION}.json" for t in contract.TYPES)


def test_a_booking_is_published_with_each_persons_week_and_without_what_others_need_not_know():
    (event,) = published(SESSION, name="INSERT")
    assert (event.type, event.subject, event.id) == (
        "session.booked",
        "session/ses_1",
        "000123-session.booked",
    )
    assert event.data.weeks == {"per_alex": "2027-W01", "per_jamie": "2027-W01", "per_clin": "2027-W01"}
    assert event.data.previous is None
    body = event.model_dump_json()
    for private in ("cancel_reason", "a note nobody else needs", "created_by", "per_coord"):
        assert private not in body


def test_a_reschedule_says_what_the_session_was():
    moved = {
        **SESSION,
        "event": "rescheduled",
        "version": 2,
        "start": "2027-01-10T23:30:00Z",  # Sunday in Chicago, Monday in Tokyo: weeks differ
        "end": "2027-01-11T00:30:00Z",
    }
    (event,) = published(moved, SESSION)
    assert event.type == "session.rescheduled"
    assert event.data.previous is not None
    assert event.data.previous.start == datetime(2027, 1, 4, 23, 30, tzinfo=UTC)
    assert event.data.weeks == {"per_alex": "2027-W01", "per_jamie": "2027-W02", "per_clin": "2027-W01"}


def test_a_rewrite_of_the_same_revision_and_a_removal_publish_nothing():
    assert published(SESSION, SESSION) == []
    assert published(None, SESSION, name="REMOVE") == []


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("booked", "session.booked"),
        ("rescheduled", "session.rescheduled"),
        ("cancelled", "session.cancelled"),
        ("attendance_recorded", "attendance.recorded"),
    ],
)
def test_each_session_lifecycle_change_is_its_own_event_type(event, kind):
    status = "cancelled" if event == "cancelled" else "booked"
    (found,) = published({**SESSION, "event": event, "status": status, "version": 2}, SESSION)
    assert found.type == kind


def test_a_profile_is_published_without_the_persons_name_or_care_details():
    person = {
        "pk": "PERSON#per_alex",
        "sk": "PROFILE",
        "entity": "PERSON",
        "person_id": "per_alex",
        "kind": "participant",
        "display_name": "Alex Rivera",
        "email": "alex@example.com",
        "phone": "+15125550101",
        "time_zone": "America/Chicago",
        "state": "TX",
        "treatment_plan": {"individual_per_week": 2},
        "version": 3,
        "deactivated_at": None,
    }
    (event,) = published(person)
    assert (event.type, event.data.revision, event.data.active) == ("person.changed", 3, True)
    body = event.model_dump_json()
    for private in ("Alex Rivera", "display_name", "treatment_plan", "TX"):
        assert private not in body
    (gone,) = published({**person, "deactivated_at": "2027-01-02T00:00:00Z", "version": 4}, person)
    assert gone.data.active is False


def test_a_consent_is_published_without_its_purpose_or_document():
    consent = {
        "pk": "PERSON#per_alex",
        "sk": "CONSENT#con_1",
        "entity": "PART2_CONSENT",
        "consent_id": "con_1",
        "participant_id": "per_alex",
        "recipient_ids": ["per_coord2", "per_coord1"],
        "purpose": "care coordination with the county",
        "document_reference": "s3://somewhere",
        "expires_on": "2027-06-30",
        "revoked_at": None,
        "version": 1,
    }
    (event,) = published(consent)
    assert event.data.recipient_ids == ("per_coord1", "per_coord2")
    body = event.model_dump_json()
    assert "county" not in body
    assert "s3://" not in body


def test_the_publisher_reads_exactly_the_entities_it_translates():
    assert set(PUBLISHED_ENTITIES) == set(TRANSLATORS)


SUBSCRIBERS = [e for e in ENTRYPOINTS if e.trigger == "subscription"]


@pytest.mark.parametrize("entry", SUBSCRIBERS, ids=lambda e: e.id)
def test_each_subscriber_handles_exactly_the_published_types_it_subscribes_to(entry):
    module = __import__(entry.module, fromlist=["HANDLERS"])
    assert set(entry.subscribes) <= set(contract.TYPES)
    assert set(entry.subscribes) == set(module.HANDLERS)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


READS_PENDING = {
    "coverage": {
        ("CoverageApi", "participant_week"),  # a participant's week, for estimates
        ("CoverageApi", "COUPLE#"),  # a couple's partners: whose plan bills their sessions
        ("CoverageApi", "PERSON#"),  # whether a person is a participant (their kind alone)
    },
    "notify": {("NotifyApi", "PERSON#")},  # whether a person exists (their kind alone)
}
"""The API reads of schedule's table the subscribing domains still make (issue 17, part 1, still
open: each keeps its own projection of them from `person.changed`, `couple.changed`, the session
events and `group_week.planned`). Exact, so the list can only shrink."""


@pytest.mark.parametrize("domain", ["notify", "coverage"])
def test_a_subscribing_domain_never_reads_schedules_items(domain):
    """It takes schedule's data from the published events alone: no stream consumer, no grant on
    schedule's table (but the reads still pending), no import of schedule's code or of the
    stream's raw records."""
    entries = [e for e in ENTRYPOINTS if e.domain == domain]
    assert not [e.id for e in entries if e.trigger == "stream"]
    reads = {
        (e.id, g.index or g.partition or "the whole table")
        for e in entries
        for g in e.grants
        if g.table.key == "schedule"
    }
    assert reads == READS_PENDING[domain]
    for path in (ROOT / "functions" / domain).rglob("*.py"):
        imported = _imports(path)
        assert not {m for m in imported if m.startswith("functions.schedule")}, path
        assert "functions.common.streams" not in imported, path
