"""`make bench`: the platform's speed and memory figures, measured, against targets.

- cold start: importing each Lambda entry point in a fresh interpreter (what a cold
  container pays before the first event), wall time and peak RSS, median of N runs;
- warm request: GET /me through the schedule handler on moto, p50/p95 over N calls;
- booking latency as the tables grow: POST /sessions through the schedule handler on moto as
  the local runtime changes it (`local.moto_dynamodb`), with the demo program only and again
  with `BENCH_FILLER_ITEMS` more items in the schedule and audit tables;
- the local runtime's memory under a long soak of mixed traffic (`bench.soak`, 30 minutes by
  default: `BENCH_SOAK_SECONDS`; 0 skips it).

Shared machines are noisy: medians, not single runs; exit 1 when a target is missed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.soak import SOAK_SECONDS, soak

ROOT = Path(__file__).resolve().parent.parent
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "5"))
WARM_CALLS = int(os.environ.get("BENCH_WARM_CALLS", "300"))
COLD_START_TARGET_MS = 1000.0  # import of one entry point (Powertools + pydantic + boto3 + models)
COLD_START_RSS_TARGET_MB = 128.0
WARM_P95_TARGET_MS = 25.0  # handler + moto in-process; real DynamoDB adds network time
BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "20"))
FILLER_ITEMS = int(os.environ.get("BENCH_FILLER_ITEMS", "20000"))
BOOKING_GROWTH_TARGET = 1.5
"""Median booking latency with the filler over without it."""

_PROBE = """
import json, resource, sys, time
started = time.perf_counter()
import importlib
importlib.import_module(sys.argv[1])
elapsed = (time.perf_counter() - started) * 1000
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"ms": elapsed, "rss_mb": rss_mb}))
"""


def cold_start(module: str) -> tuple[float, float]:
    # Tracing stays on, as in Lambda: the X-Ray SDK import and boto patching are part of the cost.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
    samples = []
    for _ in range(COLD_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, module],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return statistics.median(s["ms"] for s in samples), statistics.median(s["rss_mb"] for s in samples)


def _moto_environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    import warnings

    warnings.filterwarnings("ignore")


def warm_requests() -> tuple[float, float]:
    _moto_environment()
    import boto3
    from moto import mock_aws

    from functions.common import aws
    from functions.common.audit import AuditWriter
    from functions.common.models import utc_now
    from functions.common.tables import ALL_TABLES
    from local import seed
    from local.provision import create_tables
    from tests.support import api_event, claims, context

    with mock_aws():
        aws.reset_clients()
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        names = create_tables(dynamodb)
        for table in ALL_TABLES:
            os.environ[table.env_var] = names[table.key]
        from functions.schedule.handler import lambda_handler
        from functions.schedule.store import ScheduleStore

        person = seed.PEOPLE[6]
        audit = AuditWriter(names["audit"], dynamodb, request_id="bench")
        ScheduleStore(names["schedule"], dynamodb).create_person(
            seed.person_record(person, now=utc_now()),
            audit.transact_put(audit.entry(seed.SEED_ACTOR, "person.create", person.person_id, "success")),
        )
        event = api_event("GET", "/me", caller=claims(person.person_id, "participant"))
        ctx = context("bench")
        for _ in range(20):  # warm up
            assert lambda_handler(event, ctx)["statusCode"] == 200
        timings = []
        for _ in range(WARM_CALLS):
            started = time.perf_counter()
            lambda_handler(event, ctx)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def booking_scaling() -> tuple[float, float]:
    """Median ms of a booking through the schedule handler: demo program only, then with
    `FILLER_ITEMS` more items in the schedule and audit tables."""
    _moto_environment()
    from datetime import UTC, datetime, timedelta
    from datetime import time as wall_time
    from zoneinfo import ZoneInfo

    import boto3
    from moto import mock_aws

    from functions.common import aws
    from functions.common.audit import AuditWriter
    from functions.common.tables import ALL_TABLES
    from local import moto_dynamodb, seed
    from local.provision import create_tables
    from tests.support import api_event, claims, context

    chicago = ZoneInfo("America/Chicago")
    today = datetime.now(chicago).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=3)
    slots = iter(
        datetime.combine(monday + timedelta(weeks=w, days=d), wall_time(h), tzinfo=chicago).isoformat()
        for w in range(8)
        for d in range(5)
        for h in range(8, 17, 2)
    )
    with mock_aws(), moto_dynamodb.installed():
        aws.reset_clients()
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        names = create_tables(dynamodb)
        for table in ALL_TABLES:
            os.environ[table.env_var] = names[table.key]
        from functions.schedule.handler import lambda_handler
        from functions.schedule.store import ScheduleStore

        store = ScheduleStore(names["schedule"], dynamodb)
        seed.seed_schedule(
            store, AuditWriter(names["audit"], dynamodb, request_id="bench"), now=datetime.now(UTC)
        )
        coordinator = claims("per_democoordinator", "coordinator")
        ctx = context("bench")

        def median_booking_ms() -> float:
            timings = []
            for _ in range(BOOKINGS):
                body = {
                    "type": "individual",
                    "start": next(slots),
                    "clinician_id": "per_demotherapist1",
                    "attendee_ids": ["per_demoalex"],
                }
                event = api_event("POST", "/sessions", caller=coordinator, body=body)
                started = time.perf_counter()
                reply = lambda_handler(event, ctx)
                timings.append((time.perf_counter() - started) * 1000)
                assert reply["statusCode"] == 201, reply["body"]
            return statistics.median(timings)

        small = median_booking_ms()
        for n in range(FILLER_ITEMS):
            for key in ("schedule", "audit"):
                dynamodb.put_item(
                    TableName=names[key],
                    Item={
                        "pk": {"S": f"FILLER#{n}"},
                        "sk": {"S": "FILLER"},
                        "gsi1pk": {"S": f"FILLER#{n % 50}"},
                        "gsi1sk": {"S": f"{n:08d}"},
                        "actor_pk": {"S": f"FILLER#{n % 50}"},
                    },
                )
        large = median_booking_ms()
    return small, large


def main() -> int:
    from functions.catalog import ENTRYPOINTS

    missed: list[str] = []
    print(
        f"cold start (median of {COLD_RUNS} fresh interpreters; targets {COLD_START_TARGET_MS:.0f} ms, "
        f"{COLD_START_RSS_TARGET_MB:.0f} MB)"
    )
    for entry in ENTRYPOINTS:
        ms, rss = cold_start(entry.module)
        flag = "ok"
        if ms > COLD_START_TARGET_MS or rss > COLD_START_RSS_TARGET_MB:
            flag = "OVER"
            missed.append(entry.id)
        print(f"  {entry.id:<16} {ms:8.0f} ms  {rss:7.1f} MB  {flag}")
    p50, p95 = warm_requests()
    flag = "ok" if p95 <= WARM_P95_TARGET_MS else "OVER"
    if flag == "OVER":
        missed.append("warm GET /me")
    print(
        f"warm GET /me through the schedule handler on moto ({WARM_CALLS} calls): "
        f"p50 {p50:.2f} ms, p95 {p95:.2f} ms (target p95 {WARM_P95_TARGET_MS:.0f} ms)  {flag}"
    )
    small, large = booking_scaling()
    flag = "ok" if large <= small * BOOKING_GROWTH_TARGET else "OVER"
    if flag == "OVER":
        missed.append("booking latency as the tables grow")
    print(
        f"booking through the schedule handler on moto (median of {BOOKINGS}): {small:.1f} ms with the demo "
        f"program, {large:.1f} ms with {FILLER_ITEMS} more items per table "
        f"({large / small:.2f}x; target {BOOKING_GROWTH_TARGET}x)  {flag}"
    )
    if SOAK_SECONDS > 0 and soak() != 0:
        missed.append("local runtime memory under the soak")
    if missed:
        print("missed targets: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
