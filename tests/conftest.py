"""Settings every test layer shares: no real AWS credentials, no tracing, quiet metrics."""

from __future__ import annotations

import os

import pytest

# Set before any function module is imported (Powertools reads these at construction).
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "VIDEO_ROOMS": "fake",  # moto has no Chime SDK meetings; tests/unit covers ChimeRooms' calls
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# The test clock starts before any test module is imported (see tests/clock.py): no test reads
# the wall clock uncontrolled, and `make test-clock` replays the `clock` tests at boundaries.
from tests import clock

clock.start()

# What makes a test's outcome depend on the instant: the demo program seeded relative to now,
# or a local runtime started now. Such tests are marked `clock` without anyone remembering to;
# modules that read the clock otherwise mark themselves.
_CLOCK_FIXTURES = frozenset({"program", "local_runtime"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _CLOCK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.clock)
