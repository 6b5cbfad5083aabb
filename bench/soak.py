"""The local runtime's memory under a long run of mixed traffic (`make bench`, or
`python -m bench.soak` alone).

Starts the real `python -m local` on free ports and drives it with `BENCH_SOAK_CLIENTS`
clients for `BENCH_SOAK_SECONDS` (30 minutes by default): bookings (some colliding, so 409s),
cancels, reads across the three domains, and 404s. Every `BENCH_SOAK_SAMPLE_SECONDS` it samples
the resident memory of the runtime's whole process tree (the main process with moto and the
gateway, and the function workers). After the warm-up (the first `BENCH_SOAK_WARMUP_FRACTION`
of the run) the tree's RSS must stay within `RSS_GROWTH_TARGET` times its level at the end of
the warm-up. The stored data grows with the traffic (sessions, audit entries, messages); the
report prints how much, and the rate of requests the target was met at.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

SOAK_SECONDS = float(os.environ.get("BENCH_SOAK_SECONDS", "1800"))
CLIENTS = int(os.environ.get("BENCH_SOAK_CLIENTS", "8"))
THINK_SECONDS = float(os.environ.get("BENCH_SOAK_THINK_SECONDS", "0.05"))
"""Each client's pause between requests."""
SAMPLE_SECONDS = float(os.environ.get("BENCH_SOAK_SAMPLE_SECONDS", "10"))
WARMUP_FRACTION = float(os.environ.get("BENCH_SOAK_WARMUP_FRACTION", "0.2"))
RSS_GROWTH_TARGET = 1.5
PAIRS = 4
"""Clinician/participant pairs the bookings spread over."""
SLOTS = [(week, day, hour) for week in range(2, 6) for day in range(7) for hour in range(7, 19)]


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory (MB) of `pid` and of all of its descendants together."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[1])
        kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), "0")
        rss[int(entry.name)] = int(kb)
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, p in parents.items() if p == parent and child not in tree]
        tree.update(children)
        frontier.extend(children)
    return rss.get(pid, 0) / 1024, sum(rss.get(p, 0) for p in tree) / 1024


@dataclass
class Traffic:
    api: str
    coordinator: str
    participant: str
    pairs: list[tuple[str, str]]
    people: list[str]
    booked: list[tuple[str, str]] = field(default_factory=list)
    """(session id, its ETag) of bookings not cancelled yet."""
    outcomes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, session: requests.Session, label: str, method: str, path: str, **kwargs: Any) -> Any:
        token = kwargs.pop("token", self.coordinator)
        headers = {"Authorization": token, **kwargs.pop("headers", {})}
        reply = session.request(method, self.api + path, headers=headers, timeout=60, **kwargs)
        with self.lock:
            self.outcomes[f"{label} {reply.status_code}"] += 1
        return reply

    def one(self, session: requests.Session, rng: random.Random) -> None:
        from tests.e2e.support import booking, chicago_slot

        roll = rng.random()
        if roll < 0.3:
            clinician, participant = rng.choice(self.pairs)
            reply = self.request(
                session,
                "book",
                "POST",
                "/sessions",
                json=booking(clinician, participant, chicago_slot(*rng.choice(SLOTS))),
            )
            if reply.status_code == 201:
                with self.lock:
                    self.booked.append((reply.json()["session_id"], reply.headers["ETag"]))
        elif roll < 0.45:
            with self.lock:
                picked = self.booked.pop(rng.randrange(len(self.booked))) if self.booked else None
            if picked is not None:
                session_id, etag = picked
                self.request(
                    session,
                    "cancel",
                    "POST",
                    f"/sessions/{session_id}/cancel",
                    json={},
                    headers={"If-Match": etag},
                )
        elif roll < 0.6:
            self.request(session, "person", "GET", f"/people/{rng.choice(self.people)}")
        elif roll < 0.7:
            self.request(session, "schedule", "GET", "/me/schedule", token=self.participant)
        elif roll < 0.8:
            self.request(session, "estimate", "GET", "/participants/per_demoalex/estimates/week")
        elif roll < 0.9:
            self.request(session, "notifications", "GET", "/me/notifications", token=self.participant)
        else:
            self.request(session, "missing", "GET", f"/people/per_missing{rng.randrange(10**6)}")


def _stored(runtime: Any) -> str:
    dynamodb = runtime.client("dynamodb")
    counts = {
        key: dynamodb.describe_table(TableName=name)["Table"]["ItemCount"]
        for key, name in runtime.state["tables"].items()
    }
    return ", ".join(f"{key} {count}" for key, count in counts.items())


def soak() -> int:
    from tests.e2e.conftest import start_runtime, stop_runtime
    from tests.e2e.support import new_clinician, new_participant

    with tempfile.TemporaryDirectory(prefix="tandem-soak-") as state_dir:
        runtime = start_runtime(Path(state_dir))
        try:
            coordinator = runtime.id_token("coordinator")
            traffic = Traffic(
                api=runtime.api,
                coordinator=coordinator,
                participant=runtime.id_token("participant"),
                pairs=[
                    (
                        new_clinician(runtime, coordinator),
                        new_participant(runtime, coordinator, email_changes=True),
                    )
                    for _ in range(PAIRS)
                ],
                people=[u["person_id"] for u in runtime.state["users"]],
            )
            return _run(runtime.process.pid, traffic, runtime)
        finally:
            stop_runtime(runtime)


def _run(pid: int, traffic: Traffic, runtime: Any) -> int:
    halt = threading.Event()
    tokens_at = time.monotonic()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with requests.Session() as session:
            while not halt.is_set():
                try:
                    traffic.one(session, rng)
                except requests.RequestException as exc:  # counted: the soak fails on any
                    with traffic.lock:
                        traffic.outcomes[f"error {type(exc).__name__}"] += 1
                halt.wait(THINK_SECONDS)

    threads = [threading.Thread(target=client, args=(seed,), daemon=True) for seed in range(CLIENTS)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    warmup_end = started + SOAK_SECONDS * WARMUP_FRACTION
    samples: list[tuple[float, float, float]] = []
    print(
        f"soak: {CLIENTS} clients, {SOAK_SECONDS:.0f} s, warm-up {SOAK_SECONDS * WARMUP_FRACTION:.0f} s, "
        f"sample every {SAMPLE_SECONDS:.0f} s",
        flush=True,
    )
    for tick in itertools.count(1):
        if halt.wait(max(0.0, started + tick * SAMPLE_SECONDS - time.monotonic())):
            break
        now = time.monotonic()
        main_mb, tree_mb = tree_rss_mb(pid)
        samples.append((now - started, main_mb, tree_mb))
        count = sum(traffic.outcomes.values())
        print(
            f"  {now - started:6.0f} s  main {main_mb:7.1f} MB  all {tree_mb:7.1f} MB  {count} requests",
            flush=True,
        )
        if warmup_end <= now < warmup_end + SAMPLE_SECONDS:
            print(f"  stored items at the end of the warm-up: {_stored(runtime)}", flush=True)
        if now - tokens_at > 45 * 60:  # ID tokens last an hour
            traffic.coordinator = runtime.id_token("coordinator")
            traffic.participant = runtime.id_token("participant")
            tokens_at = now
        if now - started >= SOAK_SECONDS:
            halt.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    total = sum(traffic.outcomes.values())
    after = [s for s in samples if s[0] >= warmup_end - started]
    warm = [s for s in samples if s[0] < warmup_end - started]
    if not warm or not after:
        print("soak too short to judge (no samples before or after the warm-up)")
        return 1
    baseline = warm[-1][2]
    peak = max(s[2] for s in after)
    print(f"requests: {total} in {elapsed:.0f} s ({total / elapsed:.1f}/s)")
    for label, count in sorted(traffic.outcomes.items()):
        print(f"  {label:<22} {count}")
    print(
        f"RSS of the runtime's processes: {baseline:.0f} MB after warm-up, peak {peak:.0f} MB after it "
        f"({peak / baseline:.2f}x; median {statistics.median(s[2] for s in after):.0f} MB), "
        f"main process {warm[-1][1]:.0f} -> {max(s[1] for s in after):.0f} MB; target {RSS_GROWTH_TARGET}x"
    )
    print(f"stored items: {_stored(runtime)}")
    server_errors = sum(
        count for label, count in traffic.outcomes.items() if label.rsplit(" ", 1)[1] >= "500"
    )
    ok = peak <= baseline * RSS_GROWTH_TARGET and server_errors == 0
    if server_errors:
        print(f"{server_errors} server errors")
    print("ok" if ok else "OVER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(soak())
