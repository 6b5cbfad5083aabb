"""The append-only audit trail.

Every read or change of a participant's records writes one entry: who (actor id and
role), what (action), which resource, when, the request id and the outcome. Entries are
only ever created (`PutItem` guarded by `attribute_not_exists`); the functions' IAM roles
allow nothing else on the table. Entries hold identifiers, never PHI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from functions.common.auth import Principal
from functions.common.errors import Forbidden, NotFound, TandemError

Outcome = Literal["success", "denied", "not_found", "rejected", "error"]


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    entry_id: str
    actor_id: str
    actor_role: str
    action: str
    resource: str
    at: datetime
    request_id: str
    outcome: Outcome

    def to_item(self) -> dict[str, Any]:
        at = self.at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return {
            "pk": {"S": f"RESOURCE#{self.resource}"},
            "sk": {"S": f"{at}#{self.entry_id}"},
            "actor_pk": {"S": f"ACTOR#{self.actor_id}"},
            "entry_id": {"S": self.entry_id},
            "actor_id": {"S": self.actor_id},
            "actor_role": {"S": self.actor_role},
            "action": {"S": self.action},
            "resource": {"S": self.resource},
            "at": {"S": at},
            "request_id": {"S": self.request_id},
            "outcome": {"S": self.outcome},
        }


def outcome_of(error: BaseException | None) -> Outcome:
    if error is None:
        return "success"
    if isinstance(error, Forbidden):
        return "denied"
    if isinstance(error, NotFound):
        return "not_found"
    if isinstance(error, TandemError) and error.status < 500:
        return "rejected"
    return "error"


class AuditWriter:
    def __init__(self, table_name: str, client: Any, request_id: str) -> None:
        self._table = table_name
        self._client = client
        self._request_id = request_id

    def entry(self, principal: Principal, action: str, resource: str, outcome: Outcome) -> AuditEntry:
        return AuditEntry(
            entry_id=uuid.uuid4().hex,
            actor_id=principal.person_id,
            actor_role=principal.role.value,
            action=action,
            resource=resource,
            at=datetime.now(UTC),
            request_id=self._request_id,
            outcome=outcome,
        )

    def transact_put(self, entry: AuditEntry) -> dict[str, Any]:
        """The entry as a `TransactWriteItems` element, so a change and its audit are one write."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": entry.to_item(),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def record_entry(self, entry: AuditEntry) -> None:
        """Write one entry on its own; it can never replace an existing one."""
        self._client.put_item(**self.transact_put(entry)["Put"])

    def record(self, principal: Principal, action: str, resource: str, outcome: Outcome) -> AuditEntry:
        entry = self.entry(principal, action, resource, outcome)
        self.record_entry(entry)
        return entry

    @contextmanager
    def track(
        self, principal: Principal, action: str, resource: str, *, success_in_transaction: bool = False
    ) -> Iterator[None]:
        """Audit the enclosed work: success, or the outcome its exception stands for.

        Changes write their success entry inside their own transaction (`transact_put`), so
        they pass `success_in_transaction=True` and only failures are recorded here.
        """
        try:
            yield
        except BaseException as exc:
            self.record(principal, action, resource, outcome_of(exc))
            raise
        if not success_in_transaction:
            self.record(principal, action, resource, "success")
