"""The readiness check: is every AWS dependency of the program answering, right now?

`GET /health` is the liveness probe (the function runs; no dependency is called). The readiness
check probes each of `functions.catalog.dependencies()` once, all at the same time, with a
metadata-only call and a client without retries or circuit (`aws.probe_client`):

| dependency                | probe                                                   |
|---------------------------|---------------------------------------------------------|
| ``dynamodb:<table>``      | DescribeTable: ACTIVE or UPDATING, its KMS key usable   |
| ``sqs:<queue>``           | GetQueueAttributes (QueueArn)                           |
| ``ses``                   | GetSendQuota: sending not used up for the day           |
| ``sns``                   | GetSMSAttributes                                        |
| ``eventbridge:program-bus`` | DescribeEventBus                                      |

A probe with no answer within `BUDGET_SECONDS` is reported down, so the check answers within
its budget whatever the dependencies do. Each entry also says what this container's circuit
for the service thinks (`functions.common.aws`). Nothing here reads or writes data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, Final, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from functions.catalog import Dependency
from functions.common import aws
from functions.common.dynamo import error_code
from functions.common.http import Problem

BUDGET_SECONDS: Final = 3.0
"""How long the check waits for its probes (an API function has 10 s); longer only where the
environment says its AWS is slow (`budget()`)."""
RETRY_AFTER_SECONDS: Final = 5

State = Literal["up", "down"]


class DependencyState(BaseModel):
    name: str = Field(
        description="`dynamodb:<table>`, `sqs:<queue>`, `ses`, `sns`, `eventbridge:program-bus`"
    )
    service: str = Field(description="The dependency as 503 problems name it (`dynamodb`, `sqs`, ...).")
    resource: str | None = Field(default=None, description="The table, queue or bus probed.")
    state: State
    reason: str | None = Field(default=None, description="Why it is down: an AWS error code or what failed.")
    latency_ms: int | None = Field(default=None, description="How long the probe took.")
    circuit: Literal["closed", "open", "half_open"] = Field(
        description="This container's circuit breaker for the service (open: calls fail fast)."
    )
    used_by: list[str] = Field(description="The functions (catalog entry points) that use it.")


class Readiness(BaseModel):
    status: Literal["ready"]
    checked_at: datetime
    dependencies: list[DependencyState]


class NotReady(Problem):
    """The 503 problem of the readiness check: which dependencies are down, and why."""

    retry_after: int
    dependencies: list[DependencyState]


class Down(Exception):
    """A probe's answer says the dependency cannot serve (`reason` says why)."""


Probe = Callable[[Any, str | None], None]


def _table(client: Any, resource: str | None) -> None:
    table = client.describe_table(TableName=resource)["Table"]
    status = str(table.get("TableStatus", ""))
    if status not in {"ACTIVE", "UPDATING"}:
        raise Down(f"table {status or 'status unknown'}")
    if (table.get("SSEDescription") or {}).get("InaccessibleEncryptionDateTime"):
        raise Down("KMS key inaccessible")


def _queue(client: Any, resource: str | None) -> None:
    client.get_queue_attributes(QueueUrl=resource, AttributeNames=["QueueArn"])


def _email(client: Any, _resource: str | None) -> None:
    quota = client.get_send_quota()
    if float(quota.get("Max24HourSend", 0)) <= float(quota.get("SentLast24Hours", 0)):
        raise Down("daily sending quota used up")


def _sms(client: Any, _resource: str | None) -> None:
    client.get_sms_attributes(attributes=["DefaultSMSType"])


def _bus(client: Any, resource: str | None) -> None:
    client.describe_event_bus(Name=resource)


PROBES: Final[dict[str, Probe]] = {
    "dynamodb": _table,
    "sqs": _queue,
    "ses": _email,
    "sns": _sms,
    "events": _bus,
}


def _shown(dependency: Dependency, resource: str | None) -> str | None:
    """The resource as the report shows it: a queue by its name, not its URL."""
    if resource and dependency.service == "sqs":
        return resource.rstrip("/").rsplit("/", 1)[-1]
    return resource


def _probe(dependency: Dependency, resource: str | None, client: Any) -> tuple[State, str | None]:
    if dependency.env_var and not resource:
        return "down", f"{dependency.env_var} is not set"
    try:
        PROBES[dependency.service](client, resource)
    except Down as exc:
        return "down", str(exc)
    except ClientError as exc:
        return "down", error_code(exc) or "ClientError"
    except BotoCoreError as exc:
        return "down", type(exc).__name__
    return "up", None


def budget(environ: Mapping[str, str]) -> float:
    """`BUDGET_SECONDS`, or a second more than a probe may wait where that is longer (locally)."""
    return max(BUDGET_SECONDS, aws.probe_timeout(environ) + 1)


def check(
    dependencies: Sequence[Dependency],
    environ: Mapping[str, str],
    *,
    clients: Callable[[str], Any] = aws.probe_client,
) -> list[DependencyState]:
    """Probe every dependency at once; each is up, or down with a reason, within the budget."""
    budget_seconds = budget(environ)
    # The clients first, in this thread (building one loads its service's model: no time the
    # probes' budget should count), then every probe at once.
    made = {service: clients(service) for service in {d.service for d in dependencies}}
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=max(1, len(dependencies)), thread_name_prefix="readiness")
    resources = [environ.get(d.env_var) if d.env_var else None for d in dependencies]

    def timed(dependency: Dependency, resource: str | None) -> tuple[State, str | None, int]:
        began = time.monotonic()
        try:
            state, reason = _probe(dependency, resource, made[dependency.service])
        except Exception as exc:  # noqa: BLE001 - a probe that fails in any way reports its dependency down
            state, reason = "down", type(exc).__name__
        return state, reason, round((time.monotonic() - began) * 1000)

    futures = [pool.submit(timed, d, r) for d, r in zip(dependencies, resources, strict=True)]
    wait(futures, timeout=budget_seconds)
    # A probe still waiting for its answer is left to finish on its own (its client's timeouts
    # end it); the report does not wait for it.
    pool.shutdown(wait=False, cancel_futures=True)
    report: list[DependencyState] = []
    for dependency, resource, future in zip(dependencies, resources, futures, strict=True):
        if future.done() and not future.cancelled():
            state, reason, latency = future.result()
        else:
            state, reason = "down", f"no answer within {budget_seconds:g} s"
            latency = round((time.monotonic() - started) * 1000)
        report.append(
            DependencyState(
                name=dependency.name,
                service=aws.dependency_of(dependency.service),
                resource=_shown(dependency, resource),
                state=state,
                reason=reason,
                latency_ms=latency,
                circuit=aws.circuit_state(dependency.service).value.lower(),
                used_by=list(dependency.used_by),
            )
        )
    return report
