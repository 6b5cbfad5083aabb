"""`make serve`: run the whole backend locally until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from local import runtime
from local.settings import LocalSettings


class Interrupted(Exception):
    """Ctrl-C or SIGTERM while starting: `runtime.start` stops what it had started."""


def main() -> int:
    import faulthandler

    faulthandler.register(signal.SIGUSR1, all_threads=True)
    started = time.monotonic()
    try:
        settings = LocalSettings.from_env()
    except ValueError as exc:
        print(f"[tandem] could not start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    starting = True

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()
        if starting:
            raise Interrupted

    # Installed before anything starts, so a Ctrl-C during start-up still shuts down cleanly.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    rt: runtime.Runtime | None = None
    try:
        rt = runtime.start(settings)
        starting = False
    except Interrupted:
        if rt is not None:  # the signal came just after the start
            rt.stop()
        print("[tandem] stopped while starting", file=sys.stderr, flush=True)
        return 0
    except OSError as exc:
        print(
            f"[tandem] could not start: {exc} (is port {settings.api_port} or {settings.aws_port} taken? "
            "set TANDEM_API_PORT / TANDEM_AWS_PORT)",
            file=sys.stderr,
        )
        return 1
    print(runtime.banner(rt, started), flush=True)
    while not stop.wait(1.0):  # a bounded wait: the main thread runs a pending handler in time
        pass
    print("[tandem] stopping...", file=sys.stderr, flush=True)
    rt.stop()
    print("[tandem] stopped", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # Everything started has been stopped: skip the interpreter's teardown of moto's heap
    # (seconds on a busy machine, for nothing).
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
