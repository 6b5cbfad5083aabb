"""Function containers for the local runtime: worker processes that run the functions'
handlers as Lambda's containers do, each one event at a time.

Why processes, not threads: a Lambda container is a process handling one event at a time, and
the functions are written for that. Powertools' resolver keeps the current event on a class
attribute (`BaseRouter.current_event`), shared by every resolver in a process; the handler
modules keep clients and caches in module globals. Run on threads of one process, concurrent
requests read each other's events (error bodies named another request's path). A pool of
worker processes gives the functions what Lambda gives them, without patching Powertools or
the functions; the gateway and the background loops, on threads of the main process, hand
events to whichever worker is idle and wait for its answer.

Each worker imports every entry point's module when it starts (a broken function fails the
start, not a request), ignores Ctrl-C (the runtime stops it), and exits when the runtime goes
away. An invocation that outlives the function's timeout gets its worker killed and replaced,
as Lambda ends a timed-out container; so does a worker that dies. After `max_events` events a
worker is retired and replaced, as Lambda recycles containers, so whatever a handler module
accumulates cannot grow without bound.

Why not `concurrent.futures.ProcessPoolExecutor` or `multiprocessing.Pool`: neither can end one
running invocation (a timeout) without ending the pool (the executor's `terminate_workers`
arrives in Python 3.14), a dead worker breaks the executor for good and loses `Pool`'s task;
what is written here is the scheduling (idle queue, replace, retire), on `multiprocessing`'s
processes and pipes.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from functions.catalog import Entrypoint
from local import signals

Invoke = Callable[[Entrypoint, dict[str, Any]], dict[str, Any]]
Log = Callable[[str], None]
KILL_GRACE_SECONDS = 0.5
"""How long a stopping worker gets after SIGTERM before SIGKILL."""

_IN_PROCESS = threading.Lock()


class FunctionError(Exception):
    """An invocation failed: the handler raised, timed out, or its worker died. Carries what
    Lambda reports (`errorType`, `errorMessage`)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class FunctionTimeout(FunctionError):
    pass


def describe(exc: BaseException) -> str:
    """How a log line names a failure: Lambda's error type for a function error."""
    kind = exc.error_type if isinstance(exc, FunctionError) else type(exc).__name__
    return f"{kind}: {exc}"


def error_type(exc: BaseException) -> str:
    return exc.error_type if isinstance(exc, FunctionError) else type(exc).__name__


def context_args(entry: Entrypoint) -> tuple[str, int, int]:
    """`chalice.local.LambdaContext`'s arguments for an invocation of `entry`."""
    return f"tandem-local-{entry.id}", 512, entry.timeout * 1000


def run_handler(module: str, function: str, event: dict[str, Any], context: tuple[str, int, int]) -> Any:
    from chalice.local import LambdaContext

    handler = getattr(importlib.import_module(module), function)
    return handler(event, LambdaContext(*context))


def invoke_in_process(entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
    """Run `entry` in this process, one event at a time across the process (no worker pool:
    tests, and embedding the gateway or the loops elsewhere)."""
    with _IN_PROCESS:
        result = run_handler(entry.module, entry.function_name, event, context_args(entry))
    return dict(result or {})


def _serve(conn: Connection, modules: Sequence[str], environment: dict[str, str]) -> None:
    """A worker's life: import the functions, say ready, then one event at a time until the
    runtime closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signals.take_back()  # spawned from a runtime thread, it inherited the blocked stop signals
    os.environ.update(environment)
    try:
        for module in modules:
            importlib.import_module(module)
    except BaseException:  # noqa: BLE001 - reported to the runtime, which fails its start
        conn.send(("failed", traceback.format_exc()))
        return
    conn.send(("ready", None))
    while True:
        try:
            module, function, event, context = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = run_handler(module, function, event, context)
        except Exception as exc:  # noqa: BLE001 - Lambda reports a handler's error to its caller
            traceback.print_exc()
            conn.send(("error", (type(exc).__name__, str(exc))))
        else:
            conn.send(("ok", result))


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    events: int = 0
    ended: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def end(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL), without waiting on a busy handler. Once,
        whichever thread asks first (the pool's stop and a failed invocation may both)."""
        with self.lock:
            if self.ended:
                return
            self.ended = True
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(KILL_GRACE_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(KILL_GRACE_SECONDS)
        self.conn.close()


class WorkerPool:
    """`size` function containers; `invoke` runs an event on an idle one (waiting for one when
    all are busy)."""

    def __init__(
        self,
        size: int,
        modules: Sequence[str],
        log: Log,
        *,
        max_events: int = 0,
        environment: dict[str, str] | None = None,
    ) -> None:
        """`environment`: variables a worker sets over the runtime's before it imports the
        functions (its own, as a Lambda function's configuration is)."""
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self._modules = tuple(modules)
        self._environment = dict(environment or {})
        self._log = log
        self._max_events = max_events
        self._context = multiprocessing.get_context("spawn")  # never fork a process running threads
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._guard = threading.Lock()
        self._stopping = threading.Event()
        self._starting: list[_Worker] = []

    # -- life cycle --------------------------------------------------------------------------

    def spawn(self) -> None:
        """Start every worker (they import the functions meanwhile); `wait_ready` waits."""
        self._starting = [self._spawn_one() for _ in range(self.size)]

    def wait_ready(self, timeout: float) -> None:
        """Wait until every worker started by `spawn` has imported the functions."""
        deadline = time.monotonic() + timeout
        for worker in self._starting:
            self._await_ready(worker, deadline)
            self._idle.put(worker)
        self._starting = []

    def start(self, timeout: float) -> None:
        self.spawn()
        self.wait_ready(timeout)

    def stop(self) -> None:
        """End every worker now: a busy one is killed, and its caller gets a FunctionError."""
        with self._guard:  # no worker is spawned after this (see `_spawn_one`)
            self._stopping.set()
            workers = list(self._workers)
        for worker in workers:
            if worker.process.is_alive():
                worker.process.terminate()
        deadline = time.monotonic() + KILL_GRACE_SECONDS
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in workers:
            worker.end()

    def _spawn_one(self) -> _Worker:
        with self._guard:
            if self._stopping.is_set():
                raise RuntimeError("the pool is stopping")
            parent, child = self._context.Pipe()
            process = self._context.Process(
                target=_serve,
                args=(child, self._modules, self._environment),
                name="tandem-function",
                daemon=True,
            )
            process.start()
            child.close()
            worker = _Worker(process, parent)
            self._workers.add(worker)
        return worker

    def _await_ready(self, worker: _Worker, deadline: float) -> None:
        try:
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError("a function worker did not start in time")
            status, detail = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._forget(worker)
            code = worker.process.exitcode
            raise RuntimeError(f"a function worker exited while starting (code {code})") from exc
        if status != "ready":
            self._forget(worker)
            raise RuntimeError(f"a function failed to import:\n{detail}")

    def _forget(self, worker: _Worker) -> None:
        with self._guard:
            self._workers.discard(worker)
        worker.end()

    def _replace(self, worker: _Worker, why: str) -> None:
        """Retire `worker` and put a fresh one in the pool, off the caller's thread."""
        self._forget(worker)
        if self._stopping.is_set():
            return

        def replace() -> None:
            signals.main_thread_only()
            try:
                fresh = self._spawn_one()
                self._await_ready(fresh, time.monotonic() + 120)
            except RuntimeError as exc:
                self._log(f"function worker not replaced ({why}): {exc}")
                return
            if self._stopping.is_set():
                self._forget(fresh)
            else:
                self._idle.put(fresh)

        threading.Thread(target=replace, name="worker-replace", daemon=True).start()

    # -- invocations -------------------------------------------------------------------------

    def _acquire(self) -> _Worker:
        while True:
            if self._stopping.is_set():
                raise FunctionError("Runtime.Stopped", "the local runtime is stopping")
            try:
                return self._idle.get(timeout=0.2)
            except queue.Empty:
                continue

    def invoke(self, entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
        """Run `entry`'s handler on `event` in an idle worker; its result, or FunctionError."""
        worker = self._acquire()
        try:
            worker.conn.send((entry.module, entry.function_name, event, context_args(entry)))
            if not worker.conn.poll(entry.timeout):
                self._replace(worker, f"{entry.id} timed out")
                raise FunctionTimeout("Sandbox.Timedout", f"Task timed out after {entry.timeout} seconds")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._replace(worker, "worker exited")
            raise FunctionError("Runtime.ExitError", "the function's worker process exited") from exc
        worker.events += 1
        if self._max_events and worker.events >= self._max_events:
            self._replace(worker, "recycled")
        else:
            self._idle.put(worker)
        if status == "error":
            raise FunctionError(*payload)
        return dict(payload or {})

    def pids(self) -> list[int]:
        with self._guard:
            return [w.process.pid for w in self._workers if w.process.pid is not None]
