"""The test clock: every test process (and the local runtime the e2e tests start) runs at a
chosen instant, never at whatever the wall clock happens to say.

`tests/conftest.py` starts it before any test module is imported, so module-level values
computed from "now" are controlled too. The instant is `TANDEM_TEST_NOW` (RFC 3339) when set,
else `DEFAULT`; the clock ticks from there (time-machine's `tick=True`), so timeouts, token
expiry and polling behave as they would in real time. `time.monotonic` and `perf_counter` are
never moved.

`make test-clock` runs the tests marked `clock` (those whose outcome depends on the instant)
again at each of `BOUNDARIES`: the instants where week, day, year and offset arithmetic breaks.

A child process agrees with the test that started it when it runs with
`child_environment()`: the instant as the test's clock reads it, the real time it was read at
(`TANDEM_TEST_EPOCH`: a process started later starts that much later on the test clock, so the
function workers the local runtime spawns and replaces agree with the runtime), and
`tests/clock_site` on `PYTHONPATH`, whose `sitecustomize` starts the clock before anything else
runs. `python -m tests.clock <module> [args]` runs a module under the clock by hand.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import time_machine
from time_machine import escape_hatch

ENV = "TANDEM_TEST_NOW"
EPOCH_ENV = "TANDEM_TEST_EPOCH"
SITE = Path(__file__).resolve().parent / "clock_site"
ROOT = SITE.parents[1]

DEFAULT = "2026-11-18T17:00:00+00:00"
"""An ordinary Wednesday afternoon in every US zone: no test relies on it being ordinary;
the boundaries below are run too."""

BOUNDARIES: dict[str, str] = {
    # Early Monday in UTC is still Sunday in every US zone: "this week" differs by zone.
    "monday-0030-utc": "2026-11-30T00:30:00+00:00",
    # The last minute of the ISO week in the furthest-west US zone (Monday 09:59 UTC).
    "sunday-2359-honolulu": "2026-11-29T23:59:00-10:00",
    # US DST starts: 01:59 CST, a minute before Chicago's clocks jump to 03:00.
    "dst-spring-forward": "2026-03-08T01:59:00-06:00",
    # US DST ends: 01:30 CDT, the first pass through the hour Chicago lives twice.
    "dst-fall-back": "2026-11-01T01:30:00-05:00",
    # 2026 has 53 ISO weeks: Thursday 2026-12-31 is in 2026-W53, next week is 2027-W01.
    "iso-week-53": "2026-12-31T12:00:00+00:00",
    # New Year in UTC (still 31 December in the US).
    "new-year-utc": "2027-01-01T00:00:30+00:00",
    # New Year in the program's zone (America/Chicago); still ISO week 2026-W53.
    "new-year-chicago": "2027-01-01T00:00:30-06:00",
}


def _real_time() -> float:
    """The wall clock's time, travelling or not."""
    return escape_hatch.time.time() if escape_hatch.is_travelling() else time.time()


def instant() -> datetime:
    """Where the test clock starts: `TANDEM_TEST_NOW` (moved on by the real time elapsed since
    `TANDEM_TEST_EPOCH`, when a parent set both), or `DEFAULT`."""
    raw = os.environ.get(ENV) or DEFAULT
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError(f"{ENV} must carry an offset: {raw!r}")
    epoch = os.environ.get(EPOCH_ENV)
    if epoch:
        value += timedelta(seconds=max(0.0, _real_time() - float(epoch)))
    return value.astimezone(UTC)


_traveller: time_machine.travel | None = None


def start() -> datetime:
    """Start the process-wide clock at `instant()` (once; later calls change nothing)."""
    global _traveller, _started_at
    if _traveller is None:
        _started_at = instant()
        _traveller = time_machine.travel(_started_at, tick=True)
        _traveller.start()
    return _started_at


_started_at = datetime.fromisoformat(DEFAULT)


def controlled_now(zone: tzinfo = UTC) -> datetime:
    """Now, as the test clock reads it, in `zone`: what a test calls for "now" (it is
    `datetime.now`, which the clock controls from `tests/conftest.py` on; named so a reader
    and a check see the clock is controlled)."""
    if _traveller is None:
        raise RuntimeError("the test clock has not started (tests/conftest.py starts it)")
    return datetime.now(zone)


def child_environment() -> dict[str, str]:
    """What a Python child process needs to run on this process's clock (and so do its own
    children): see the module's docstring."""
    path = [str(SITE), str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {
        ENV: controlled_now().isoformat(),
        EPOCH_ENV: repr(_real_time()),
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(path)),
    }


if __name__ == "__main__":
    start()
    module, *rest = sys.argv[1:]
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
