"""Ctrl-C and SIGTERM reach `python -m local`'s main thread, which waits for them and stops the
runtime.

The kernel hands a signal sent to the process to any thread that does not block it, and Python
runs the handler in the main thread only when that thread next runs: a main thread blocked in a
wait, while another thread took the signal, never woke (SIGTERM went unanswered for minutes).
Every thread the runtime starts calls `main_thread_only` first, and the threads they start
inherit the mask, so the signals always interrupt the main thread's wait. Worker processes
inherit it across exec too: they undo it (`take_back`).
"""

from __future__ import annotations

import signal

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def main_thread_only() -> None:
    """Block the stop signals in the calling thread (and the threads it starts)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def take_back() -> None:
    """Unblock the stop signals in the calling thread (a new process's main thread)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
