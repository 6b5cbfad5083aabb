"""The clearinghouse port: what any adapter (`clearinghouse.HttpsClearinghouse`, the demo
`simulator.SimulatedClearinghouse`) implements and raises.

It lives apart from both so that neither imports the other: the simulator answers locally and
in tests, the production adapter never needs it in its import graph (it loads it only when a
stage is configured for it, `CLEARINGHOUSE=simulator`).
"""

from __future__ import annotations

from typing import Protocol


class Clearinghouse(Protocol):
    def submit(self, x12_270: str) -> str:
        """Send one 270 interchange; return the 271 interchange that answers it."""
        ...


class ClearinghouseFailure(Exception):
    """A transient failure (timeout, connection error, 408/429, 5xx): counts toward the circuit.

    `reason` names what happened, never what was sent.
    """

    def __init__(self, reason: str, *, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ClearinghouseRefused(Exception):
    """The clearinghouse answered but refused the request (a 4xx, a redirect, a CORE envelope
    error, our credentials, a 999 or TA1 instead of a 271), or its secret is unusable: not
    transient, so it is not retried and does not open the circuit; an operator has to look.

    `reason` names what happened (a status, a CORE error code), never what was sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
