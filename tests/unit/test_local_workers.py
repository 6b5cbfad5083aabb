"""The local runtime's function workers (`local.workers`): processes that run one event at a
time each, as Lambda containers do, killed on timeout, replaced when they die, recycled."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from functions.catalog import Entrypoint
from functions.openapi import load_committed
from local import gateway as gw
from local.workers import FunctionError, FunctionTimeout, WorkerPool
from tests.e2e.support import alive

MODULE = "tests.unit.local_worker_functions"


def entry(function: str, timeout: int = 30) -> Entrypoint:
    return Entrypoint(
        id=f"Test{function.title()}",
        domain="schedule",
        handler=f"{MODULE}.{function}",
        trigger="api",
        timeout_seconds=timeout,
    )


@pytest.fixture
def pool_of(request: pytest.FixtureRequest) -> Iterator[Any]:
    pools: list[WorkerPool] = []
    log: list[str] = []

    def make(size: int, **kwargs: Any) -> WorkerPool:
        pool = WorkerPool(size, [MODULE], log.append, **kwargs)
        pool.start(timeout=120)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.stop()


def test_events_run_side_by_side_in_separate_processes_each_one_at_a_time(pool_of, tmp_path):
    pool = pool_of(2)
    results: list[dict[str, Any]] = []
    # When two invocations each wait for the other to arrive
    threads = [
        threading.Thread(
            target=lambda: results.append(
                pool.invoke(entry("rendezvous"), {"dir": str(tmp_path), "expect": 2})
            )
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then they met: two workers, two processes, neither of them this one
    assert [r["met"] for r in results] == [2, 2]
    pids = {r["pid"] for r in results}
    assert len(pids) == 2
    assert os.getpid() not in pids


def test_a_worker_keeps_its_state_between_events_like_a_warm_container(pool_of):
    pool = pool_of(1)
    first = pool.invoke(entry("pid"), {"n": 1})
    second = pool.invoke(entry("pid"), {"n": 2})
    assert first["pid"] == second["pid"]
    assert second["seen"] == [1, 2]
    assert second["function"] == "tandem-local-TestPid"


def test_a_handler_error_comes_back_as_lambda_reports_it_and_the_worker_stays(pool_of):
    pool = pool_of(1)
    before = pool.invoke(entry("pid"), {})["pid"]
    with pytest.raises(FunctionError) as failed:
        pool.invoke(entry("fail"), {})
    assert (failed.value.error_type, str(failed.value)) == ("ValueError", "boom")
    assert pool.invoke(entry("pid"), {})["pid"] == before


def test_a_timed_out_invocation_kills_its_worker_and_a_fresh_one_takes_its_place(pool_of):
    pool = pool_of(1)
    before = pool.invoke(entry("pid"), {})["pid"]
    started = time.monotonic()
    with pytest.raises(FunctionTimeout):
        pool.invoke(entry("sleep", timeout=1), {"seconds": 60})
    assert time.monotonic() - started < 30
    assert not alive(before)
    after = pool.invoke(entry("pid"), {})
    assert after["pid"] != before
    assert after["seen"] == [0]  # a cold container


def test_a_worker_that_dies_is_replaced(pool_of):
    pool = pool_of(1)
    with pytest.raises(FunctionError) as died:
        pool.invoke(entry("crash"), {})
    assert died.value.error_type == "Runtime.ExitError"
    assert pool.invoke(entry("pid"), {})["seen"] == [0]


def test_a_worker_is_recycled_after_max_events(pool_of):
    pool = pool_of(1, max_events=3)
    pids = [pool.invoke(entry("pid"), {"n": n})["pid"] for n in range(4)]
    assert pids[0] == pids[1] == pids[2] != pids[3]


def test_stop_ends_even_a_busy_worker_at_once(pool_of):
    pool = pool_of(2)
    workers = pool.pids()
    outcome: list[BaseException] = []

    def busy() -> None:
        try:
            pool.invoke(entry("sleep"), {"seconds": 60})
        except FunctionError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=busy)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    pool.stop()
    thread.join(timeout=10)
    assert time.monotonic() - started < 5
    assert len(outcome) == 1
    assert [pid for pid in workers if alive(pid)] == []
    with pytest.raises(FunctionError):
        pool.invoke(entry("pid"), {})


def test_a_function_that_cannot_be_imported_fails_the_start():
    pool = WorkerPool(1, ["tests.unit.no_such_module"], print)
    with pytest.raises(RuntimeError, match="failed to import"):
        pool.start(timeout=120)
    pool.stop()


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (FunctionTimeout("Sandbox.Timedout", "Task timed out"), 504),
        (FunctionError("ValueError", "boom"), 502),
    ],
)
def test_the_gateway_answers_a_timed_out_function_504_and_a_failed_one_502(failure, status):
    def invoker(entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
        raise failure

    gateway = gw.Gateway(
        document=load_committed(),
        verifier=gw.TokenVerifier("http://127.0.0.1:9", "us-east-1", "pool", "client"),
        api_url="http://127.0.0.1:9",
        invoker=invoker,
    )
    answered, headers, body = gw.handle(gateway, "GET", "/health", [], None)
    assert answered == status
    assert dict(headers)["Content-Type"] == "application/problem+json"
    assert json.loads(body)["instance"] == "/health"
