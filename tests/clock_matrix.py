"""`make test-clock`: the tests marked `clock` again at each boundary instant of
`tests.clock.BOUNDARIES`, each run in a fresh pytest process whose clock starts there.

    python -m tests.clock_matrix                     # every boundary
    python -m tests.clock_matrix iso-week-53 ...     # the named ones
    python -m tests.clock_matrix -- -k estimates     # extra pytest arguments after --

Exits non-zero when any run fails (or collects nothing), naming the instants that failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.clock import BOUNDARIES, ENV

PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-m",
    "clock",
    "-n",
    "2",
    "--dist",
    "loadgroup",
    "-q",
    "-p",
    "no:cacheprovider",
]


def main(argv: list[str]) -> int:
    names, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    unknown = [name for name in names if name not in BOUNDARIES]
    if unknown:
        print(f"unknown boundary {unknown}; known: {', '.join(BOUNDARIES)}", file=sys.stderr)
        return 2
    failed: list[str] = []
    for name in names or list(BOUNDARIES):
        instant = BOUNDARIES[name]
        print(f"\n=== clock tests at {name} ({instant}) ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([*PYTEST, *extra], env={**os.environ, ENV: instant})
        print(f"=== {name}: exit {code} in {time.monotonic() - started:.0f}s ===", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nclock tests failed at: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
