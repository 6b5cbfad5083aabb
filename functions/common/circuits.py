"""Circuit breakers held per container: Powertools' circuit breaker with its state in memory.

A dependency that stopped answering costs every call its timeout; after `failure_threshold`
failures in a row the circuit opens and calls fail at once for `cooldown_seconds`, then one
probe decides whether it closes again. Used for the AWS services (`functions.common.aws`) and
the clearinghouse (`functions.coverage.clearinghouse`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.circuit_breaker import (
    CircuitBreakerConfig,
    CircuitInfo,
    CircuitState,
    CircuitTransition,
    circuit_breaker,
)
from aws_lambda_powertools.utilities.circuit_breaker.persistence.base import (
    CircuitBreakerExistingLockError,
    CircuitBreakerPersistenceLayer,
)
from aws_lambda_powertools.utilities.circuit_breaker.persistence.record import CircuitStateRecord

T = TypeVar("T")


class ContainerCircuitStore(CircuitBreakerPersistenceLayer):
    """Circuit state kept in this execution environment's memory.

    Powertools ships only a DynamoDB persistence layer, which would need a table of its own and a
    read per call (and would itself depend on DynamoDB, one of the dependencies guarded); a
    per-container circuit needs neither and reacts within a few calls in each warm container,
    which is what protects a Lambda from waiting out timeouts.
    """

    def __init__(self) -> None:
        super().__init__()
        self._records: dict[str, CircuitStateRecord] = {}
        self._guard = threading.Lock()

    def _get_record(self, name: str) -> CircuitStateRecord | None:
        with self._guard:
            return self._records.get(name)

    def _put_record(
        self, record: CircuitStateRecord, condition: str | None = None, expected_opened_at: int | None = None
    ) -> None:
        with self._guard:
            if condition == "half_open":
                current = self._records.get(record.name)
                now = int(datetime.now(UTC).timestamp())
                electable = current is not None and (
                    (
                        current.state == CircuitState.OPEN
                        and current.half_open_owner is None
                        and (expected_opened_at is None or current.opened_at == expected_opened_at)
                    )
                    or (
                        current.state == CircuitState.HALF_OPEN
                        and current.probe_lease_expiry is not None
                        and current.probe_lease_expiry <= now
                    )
                )
                if not electable:
                    raise CircuitBreakerExistingLockError
            self._records[record.name] = record

    def _update_record(self, record: CircuitStateRecord) -> None:
        with self._guard:
            self._records[record.name] = record


def _invoke(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


class Circuit:
    """One dependency's circuit in this container. `call` runs a function through it: only
    exceptions of the `failures` types count toward opening it; an open circuit raises
    Powertools' `CircuitBreakerOpenError` without calling."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        cooldown_seconds: int,
        failures: type[Exception] | tuple[type[Exception], ...],
        on_transition: Callable[[CircuitTransition], None] | None = None,
    ) -> None:
        # Powertools keeps failure counts per circuit name, process-wide: a fresh name per
        # instance keeps two circuits (or a test's and the next test's) apart.
        self.name = f"{name}-{uuid.uuid4().hex[:8]}"
        self.cooldown_seconds = cooldown_seconds
        self._store = ContainerCircuitStore()
        config = CircuitBreakerConfig(
            failure_threshold=failure_threshold,
            recovery_timeout=cooldown_seconds,
            success_threshold=1,
            handled_exceptions=failures,
            local_cache_max_age=0,
        )
        self._guarded: Callable[..., Any] = circuit_breaker(
            name=self.name, persistence_store=self._store, config=config, on_transition=on_transition
        )(_invoke)

    @property
    def state(self) -> CircuitState:
        return self._store.get_state(self.name).state

    def call(self, function: Callable[..., T], *args: Any) -> T:
        result: T = self._guarded(function, *args)
        return result

    def seconds_left(self, circuit: CircuitInfo | None) -> int:
        """How long an open circuit stays open (at least 1 s, at most the cooldown)."""
        if circuit is None or circuit.opened_at is None:
            return self.cooldown_seconds
        left = circuit.opened_at + self.cooldown_seconds - int(datetime.now(UTC).timestamp())
        return max(1, min(left, self.cooldown_seconds))
