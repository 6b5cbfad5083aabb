"""Handlers for the worker-pool tests (`test_local_workers.py`): run in the pool's processes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

SEEN: list[int] = []
"""What this worker process has handled (each process has its own)."""


def pid(event: dict[str, Any], context: Any) -> dict[str, Any]:
    SEEN.append(int(event.get("n", 0)))
    return {"pid": os.getpid(), "seen": list(SEEN), "function": context.function_name}


def rendezvous(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Arrive in `event["dir"]`, then wait (up to 30 s) until `event["expect"]` invocations have."""
    folder = Path(event["dir"])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 30
    while len(list(folder.iterdir())) < int(event["expect"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return {"met": len(list(folder.iterdir())), "pid": os.getpid()}


def sleep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event["seconds"]))
    return {}


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    os._exit(3)


def fail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ValueError("boom")
