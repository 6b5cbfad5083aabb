"""Puts every Python process started with `tests.clock.child_environment()` on the test clock
at interpreter start: the local runtime the e2e tests start, and the function workers it
spawns in turn (`multiprocessing`'s spawn starts fresh interpreters, which a clock started in
the parent by `python -m tests.clock` would not reach)."""

import os

if os.environ.get("TANDEM_TEST_NOW"):
    from tests import clock

    clock.start()
