"""42 CFR Part 2 beyond the schedule function: every read route of coverage and notify, taken
from the resolvers (the generated OpenAPI document), called as every reader on the seeded
program. Whoever may not see Alex's substance-use care never finds it named (its session, type,
procedure codes or counselor), and a body that names it to anyone but Alex carries the notice.

A new read fails `test_every_read_beyond_the_schedule_is_called_here` until it is given path
values below, so no route joins the API unchecked. (The schedule function's reads are checked
reader by reader in `test_part2_visibility.py`; coverage's restricted lines in detail in
`test_part2_billing.py`.)
"""

from __future__ import annotations

import pytest

from functions.common.part2 import REDISCLOSURE_HEADER, REDISCLOSURE_NOTICE
from functions.coverage.handler import lambda_handler as coverage_handler
from functions.notify.handler import lambda_handler as notify_handler
from functions.openapi import FUNCTION_KEY, generate
from tests.integration.conftest import caller_of, copy_schedule_into_coverage
from tests.integration.scheduling import COORDINATOR, seeded_week
from tests.integration.test_estimates import coverage  # noqa: F401 - the fixture
from tests.integration.test_part2_visibility import PART2_SESSION, READERS, values
from tests.support import Reply

pytestmark = pytest.mark.usefixtures("coverage")  # the seeded program, its plans and prices

HANDLERS = {
    "coverage": caller_of(coverage_handler, before=copy_schedule_into_coverage),
    "notify": caller_of(notify_handler),
}
NAMES = ("substance_use_counseling", "H0004", "H0005", "H0015", PART2_SESSION, "per_democounselor")
"""What would say Alex is in substance-use care: his counseling session, its type, the codes
that bill it, the counselor who delivers it."""
PATH_VALUES = {
    "participant_id": "per_demoalex",
    "person_id": "per_demoalex",
    "session_id": PART2_SESSION,
    "plan_id": "pln_demorivera01",
    "check_id": "chk_demo0001",
    "payer_id": "DEMO",
}


def reads() -> list[tuple[str, str]]:
    document = generate()
    return sorted(
        (operations["get"][FUNCTION_KEY], path)
        for path, operations in document["paths"].items()
        if operations.get("get", {}).get(FUNCTION_KEY) in HANDLERS
    )


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"give {path} its path values"
    week = seeded_week()
    return f"{path}?week={week}" if "estimate" in path else path


def names_it(reply: Reply, reader: dict[str, str]) -> bool:
    if reply.status >= 400:
        return False  # (a problem's `instance` echoes the path asked for)
    text = reply.text if "json" not in reply.content_type else " ".join(map(str, values(reply.json)))
    own = reader["custom:person_id"]  # the counselor's own records name the counselor
    return any(name in text for name in NAMES if name != own)


def test_every_read_beyond_the_schedule_is_called_here():
    for _, path in reads():
        concrete(path)


def test_no_read_beyond_the_schedule_names_alexs_part2_care_to_whom_may_not_see_it():
    named_to: dict[str, set[str]] = {}
    for domain, path in reads():
        for name, reader in READERS.items():
            reply = HANDLERS[domain]("GET", concrete(path), caller=reader)
            assert reply.status < 500, (path, name, reply)
            notice = reply.headers.get(REDISCLOSURE_HEADER.lower())
            if names_it(reply, reader):
                named_to.setdefault(path, set()).add(name)
                # Only Alex, and the coordinators (all of them by default), ever read it
                assert name in {"alex", "coordinator"}, (path, name)
                assert notice == (None if name == "alex" else REDISCLOSURE_NOTICE), (path, name)
            else:
                assert notice is None, (path, name)
    # The check is not vacuous: Alex's week estimate names his counseling to him and to coordinators
    assert named_to.get("/participants/{participant_id}/estimates/week") == {"alex", "coordinator"}, named_to


def alexs_week_estimate(reader: dict[str, str]) -> Reply:
    path = concrete("/participants/{participant_id}/estimates/week")
    return HANDLERS["coverage"]("GET", path, caller=reader)


def test_a_coordinator_the_program_does_not_name_reads_no_part2_care_anywhere(
    monkeypatch: pytest.MonkeyPatch,
):
    # Given a program that names another coordinator for Part 2
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    # Then no coverage or notify read names Alex's substance-use care to this one
    for domain, path in reads():
        reply = HANDLERS[domain]("GET", concrete(path), caller=COORDINATOR)
        assert reply.status < 500, (path, reply)
        assert not names_it(reply, COORDINATOR), path
        assert REDISCLOSURE_HEADER.lower() not in reply.headers, path
    # And the week estimate still answers, its lines restricted
    reply = alexs_week_estimate(COORDINATOR)
    assert reply.status == 200, reply
    assert any(line.get("restricted") for line in reply.json["lines"]), reply.json
