"""`python -m local`, except that the functions reach AWS through `TANDEM_FUNCTIONS_AWS_URL`.

The e2e test of failing dependencies puts a switch there (`tests.e2e.test_local_dependency_outage`)
between the functions and moto, and cuts it mid-run. The gateway's token checks and the
background loops' own reads (streams, queues) still go to moto directly, as API Gateway's
authorizer and Lambda's event sources would: only the functions lose AWS.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from local import runtime
from local.settings import LocalSettings

SWITCHED = "functions-switched"
"""Written to the state directory once the functions use the switch."""


def main() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    settings = LocalSettings.from_env()
    running = runtime.start(settings)
    # The functions take a client per call from functions.common.aws, keyed by this variable:
    # from now on every call of theirs goes through the switch.
    os.environ["AWS_ENDPOINT_URL"] = os.environ["TANDEM_FUNCTIONS_AWS_URL"]
    (settings.state_dir / SWITCHED).write_text("1")
    stop.wait()
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
