"""Each read route issues at most two DynamoDB read calls (authorization included), and no
route ever scans: counted on the handlers' own client through botocore's events."""

from __future__ import annotations

import pytest

from tests.integration.scheduling import ALEX, COORDINATOR, SAM, at, book, call, next_week_day
from tests.support import claims
from tests.support import dynamodb_calls as counting

READS = {"GetItem", "Query", "BatchGetItem", "Scan"}
COUNSELOR = claims("per_democounselor", "clinician")  # facilitates the demo groups


@pytest.fixture
def dynamodb_calls(program):
    with counting() as counts:
        yield counts


def _week() -> str:
    year, week, _ = next_week_day(0).isocalendar()
    return f"{year}-W{week:02d}"


ROUTES = [
    ("participant reads own profile", ALEX, "/me", 1),
    ("coordinator reads a profile", COORDINATOR, "/people/per_demoalex", 1),
    ("clinician reads a caseload profile", SAM, "/people/per_demoalex", 2),
    ("coordinator lists participants", COORDINATOR, "/people?kind=participant&limit=5", 1),
    ("participant reads own care team", ALEX, "/participants/per_demoalex/care-team", 1),
    ("participant reads own couple", ALEX, "/couples/cpl_demorivera", 1),
    ("clinician reads availability", SAM, "/clinicians/per_demotherapist2/availability", 1),
    ("participant reads own week", ALEX, "/me/schedule?week={week}", 2),
    ("participant reads this week", ALEX, "/me/schedule", 2),
    ("participant reads own intensity", ALEX, "/participants/per_demoalex/intensity", 2),
    ("coordinator reads the program report", COORDINATOR, "/intensity", 2),
    ("participant browses groups", ALEX, "/groups", 1),
    ("clinician lists own caseload, by name", SAM, "/clinicians/per_demotherapist1/caseload", 2),
    ("facilitator reads a roster, by name", COUNSELOR, "/groups/grp_democbtevening/roster", 2),
    ("clinician reads a caseload week", SAM, "/people/per_demoalex/schedule?week={week}", 2),
    ("participant reads who saw their Part 2 items", ALEX, "/me/part2-access?from=2026-01-01", 2),
    (
        "coordinator reads a participant's Part 2 access list",
        COORDINATOR,
        "/participants/per_demoalex/part2-access",
        2,
    ),
]


@pytest.mark.parametrize(("label", "caller", "path", "bound"), ROUTES, ids=[r[0] for r in ROUTES])
def test_read_routes_stay_within_their_bound(dynamodb_calls, label, caller, path, bound):
    reply = call("GET", path.format(week=_week()), caller=caller)
    assert reply.status == 200, reply
    reads = sum(n for op, n in dynamodb_calls.items() if op in READS)
    assert dynamodb_calls["Scan"] == 0
    assert reads <= bound, f"{label}: {dict(dynamodb_calls)}"
    assert bound <= 2


def test_reading_a_session_is_one_get(program, dynamodb_calls):
    session = book(start=at(next_week_day(0), 10)).json
    dynamodb_calls.clear()
    assert call("GET", f"/sessions/{session['session_id']}", caller=ALEX).status == 200
    assert {op: n for op, n in dynamodb_calls.items() if op in READS} == {"GetItem": 1}


def test_booking_is_one_batch_read_and_one_transaction(program, dynamodb_calls):
    assert book(start=at(next_week_day(0), 10)).status == 201
    assert dynamodb_calls["BatchGetItem"] == 1
    assert dynamodb_calls["TransactWriteItems"] == 1
    assert dynamodb_calls["Scan"] == 0


def test_a_batch_read_splits_at_dynamodbs_limit_of_100_keys(program, dynamodb_calls):
    # Given 150 people to read (a long caseload or roster): one known, the rest unknown
    wanted = ["per_demoalex", *(f"per_nobody{i:03d}" for i in range(149))]
    # When their names are read, Then DynamoDB is asked twice (100 + 50 keys), not refused
    assert program.display_names(wanted) == {"per_demoalex": "Alex Rivera"}
    assert dynamodb_calls["BatchGetItem"] == 2
    # And no keys, no call
    dynamodb_calls.clear()
    assert program.display_names([]) == {}
    assert dynamodb_calls["BatchGetItem"] == 0
