"""The local runtime as a real server: many clients at once, across the three domains, each
getting its own answer; a rejected transaction leaving no downstream trace."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalRuntime
from tests.e2e.support import booking, chicago_slot, eventually, history, new_clinician, new_participant, post

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CLIENTS = 50


def _booked(runtime: LocalRuntime, person_id: str) -> list[dict[str, Any]]:
    return [m for m in history(runtime, person_id) if m.get("kind") == "booked"]


def test_a_rejected_booking_leaves_no_trace_and_the_next_booking_gets_its_notice(local_runtime: LocalRuntime):
    coordinator = local_runtime.id_token("coordinator")
    # Given a clinician, and two participants told of bookings by email at any hour
    clinician = new_clinician(local_runtime, coordinator)
    first, second = (new_participant(local_runtime, coordinator, email_changes=True) for _ in range(2))
    taken = chicago_slot(3, 1, 10)
    post(local_runtime, "/sessions", coordinator, booking(clinician, first, taken))
    # When the second participant's booking of the clinician's taken hour is rejected
    rejected = requests.post(
        local_runtime.api + "/sessions",
        json=booking(clinician, second, taken),
        headers={"Authorization": coordinator},
        timeout=30,
    )
    assert rejected.status_code == 409, rejected.text
    # And then a booking of another hour succeeds
    session = post(
        local_runtime, "/sessions", coordinator, booking(clinician, second, chicago_slot(3, 1, 13))
    )
    # Then exactly that booking's notice reaches the second participant, none for the rejected one
    sent = eventually(lambda: [m for m in _booked(local_runtime, second) if m.get("status") == "sent"])
    assert [m["session_id"] for m in sent] == [session["session_id"]]
    assert [m["session_id"] for m in _booked(local_runtime, second)] == [session["session_id"]]
    # And the first participant got one notice, for their own booking
    assert len(eventually(lambda: _booked(local_runtime, first))) == 1


def test_fifty_concurrent_clients_across_domains_each_get_their_own_answers(local_runtime: LocalRuntime):
    coordinator = local_runtime.id_token("coordinator")
    people = [u["person_id"] for u in local_runtime.state["users"]]
    clinician = new_clinician(local_runtime, coordinator)
    participant = new_participant(local_runtime, coordinator)
    slot = chicago_slot(4, 2, 9)
    start = threading.Barrier(CLIENTS)
    answers: dict[int, list[tuple[str, str, requests.Response]]] = {}
    failures: list[BaseException] = []

    def client(index: int) -> None:
        # Each client: its own connection, one request to each domain, and all race for one slot
        calls: list[tuple[str, str, dict[str, Any] | None]] = [
            ("GET", f"/people/{people[index % len(people)]}", None),
            ("GET", f"/people/per_missing{index}", None),
            ("GET", f"/participants/per_missing{index}/plans/pln_missing{index}", None),
            ("PUT", f"/people/per_missing{index}/notification-preferences", None),
            ("POST", "/sessions", booking(clinician, participant, slot)),
        ]
        mine: list[tuple[str, str, requests.Response]] = []
        try:
            with requests.Session() as session:
                start.wait(timeout=60)
                for method, path, body in calls:
                    reply = session.request(
                        method,
                        local_runtime.api + path,
                        json=body,
                        headers={"Authorization": coordinator},
                        timeout=120,
                    )
                    mine.append((method, path, reply))
        except BaseException as exc:  # noqa: BLE001 - a connection error is what the test looks for
            failures.append(exc)
        answers[index] = mine

    # When 50 clients arrive at once
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then none was refused or reset, and every answer is the right one for its own request
    assert failures == []
    for index, calls in answers.items():
        (_, _, person), (_, missing_path, missing), (_, plan_path, plan), (_, prefs_path, prefs), _ = calls
        assert person.status_code == 200, person.text
        assert person.json()["person_id"] == people[index % len(people)]
        for path, reply, status in (
            (missing_path, missing, 404),
            (plan_path, plan, 404),
            (prefs_path, prefs, 422),
        ):
            assert reply.status_code == status, reply.text
            assert reply.headers["Content-Type"] == "application/problem+json"
            assert reply.json()["instance"] == path
    # And exactly one of the racing bookings won the slot
    outcomes = sorted(calls[-1][2].status_code for calls in answers.values())
    assert outcomes == [201] + [409] * (CLIENTS - 1)


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "PROPFIND", "CONNECT", "HEAD", "OPTIONS"])
def test_a_method_the_api_does_not_serve_is_a_problem_never_html(local_runtime: LocalRuntime, method: str):
    # TRACE/QUERY/... on a route that exists: 405 naming what it allows; elsewhere 404
    token = local_runtime.id_token("participant")
    there = requests.request(method, local_runtime.api + "/me", headers={"Authorization": token}, timeout=30)
    assert there.status_code == 405
    assert there.headers["Content-Type"] == "application/problem+json"
    assert there.headers["Allow"] == "GET"
    nowhere = requests.request(method, local_runtime.api + "/nowhere", timeout=30)
    assert nowhere.status_code == 404
    assert nowhere.headers["Content-Type"] == "application/problem+json"
    if method != "HEAD":
        assert there.json()["instance"] == "/me"
        assert nowhere.json()["status"] == 404
    docs = requests.request(method, local_runtime.api + "/openapi.json", timeout=30)
    if method == "HEAD":
        assert docs.status_code == 200
    else:
        assert docs.status_code == 405
        assert docs.headers["Allow"] == "GET, HEAD"
