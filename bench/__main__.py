"""`make bench`: the platform's speed and memory figures, measured, against targets.

- cold start: importing each Lambda entry point in a fresh interpreter (what a cold
  container pays before the first event), wall time and peak RSS, median of N runs;
- warm request: GET /me through the schedule handler on moto, p50/p95 over N calls.

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

ROOT = Path(__file__).resolve().parent.parent
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "5"))
WARM_CALLS = int(os.environ.get("BENCH_WARM_CALLS", "300"))
COLD_START_TARGET_MS = 1000.0  # import of one entry point (Powertools + pydantic + boto3 + models)
COLD_START_RSS_TARGET_MB = 128.0
WARM_P95_TARGET_MS = 25.0  # handler + moto in-process; real DynamoDB adds network time

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


def warm_requests() -> tuple[float, float]:
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
    if missed:
        print("missed targets: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
