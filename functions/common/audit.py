"""The append-only audit trail.

Every read or change of a participant's records writes one entry: who (actor id and
role), what (action), which resource, when, the request id and the outcome. Entries are
only ever created (`PutItem` guarded by `attribute_not_exists`); the functions' IAM roles
allow nothing else on the table, but for reading back one kind of partition: a participant's
Part 2 disclosures (`Disclosure`, `DisclosureLog`). Entries hold identifiers, never PHI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from functions.common.auth import Principal
from functions.common.errors import Forbidden, NotFound, TandemError
from functions.common.tables import DISCLOSURE_PARTITION

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
        at = stamp(self.at)
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


def stamp(at: datetime) -> str:
    """An instant as the audit table's sort keys spell it (UTC, microseconds): sortable text."""
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def disclosure_resource(subject_id: str) -> str:
    """The audit resource listing who was shown `subject_id`'s Part 2 items."""
    return DISCLOSURE_PARTITION.removeprefix("RESOURCE#") + subject_id


class Disclosure(AuditEntry):
    """A read showed `subject_id`'s Part 2 items (`item_ids`: session ids, `<group_id>@<start>`
    for group occurrences) in full to the actor, through `action` on `via` (the resource the
    read's own entry names). Filed under `disclosure_resource(subject_id)`: one Query lists them."""

    subject_id: str
    via: str
    item_ids: tuple[str, ...]

    def to_item(self) -> dict[str, Any]:
        return {
            **super().to_item(),
            "subject_id": {"S": self.subject_id},
            "via": {"S": self.via},
            "item_ids": {"L": [{"S": item} for item in self.item_ids]},
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Disclosure:
        text = {k: v["S"] for k, v in item.items() if "S" in v}
        return cls(
            entry_id=text["entry_id"],
            actor_id=text["actor_id"],
            actor_role=text["actor_role"],
            action=text["action"],
            resource=text["resource"],
            at=datetime.fromisoformat(text["at"]),
            request_id=text["request_id"],
            outcome="success",
            subject_id=text["subject_id"],
            via=text["via"],
            item_ids=tuple(v["S"] for v in item.get("item_ids", {}).get("L", [])),
        )


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

    def disclose(
        self, principal: Principal, action: str, via: str, shown: Mapping[str, Sequence[str]]
    ) -> list[Disclosure]:
        """Record that the read `action` on `via` shows each participant in `shown` (their id ->
        the ids of their Part 2 items it shows in full) to `principal`: one entry each, in that
        participant's disclosure list. Called inside the read's `track`, once the response is
        ready: a read that fails records none. Nobody is listed as disclosed to themself."""
        now = datetime.now(UTC)
        entries = [
            Disclosure(
                entry_id=uuid.uuid4().hex,
                actor_id=principal.person_id,
                actor_role=principal.role.value,
                action=action,
                resource=disclosure_resource(subject),
                at=now,
                request_id=self._request_id,
                outcome="success",
                subject_id=subject,
                via=via,
                item_ids=tuple(dict.fromkeys(items)),
            )
            for subject, items in sorted(shown.items())
            if subject != principal.person_id
        ]
        # One conditional PutItem each (a clinician's week: one per patient in it). Not
        # BatchWriteItem: its IAM action allows deletes, and the trail is append-only.
        for entry in entries:
            self.record_entry(entry)
        return entries

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


class DisclosureLog:
    """Reads one participant's disclosure list back (the one read of the audit table there is)."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    def page(
        self,
        subject_id: str,
        *,
        since: str | None,
        before: str | None,
        limit: int,
        start: dict[str, str] | None,
    ) -> tuple[list[Disclosure], dict[str, str] | None]:
        """Newest first, sort keys in [since, before) (`stamp` text), from after `start` (a
        key this method returned): one Query."""
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": {"S": "RESOURCE#" + disclosure_resource(subject_id)}}
        if since is not None and before is not None:
            condition += " AND sk BETWEEN :since AND :before"
        elif since is not None:
            condition += " AND sk >= :since"
        elif before is not None:
            condition += " AND sk < :before"
        if since is not None:
            values[":since"] = {"S": since}
        if before is not None:
            values[":before"] = {"S": before}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
        response = self._client.query(**kwargs)
        entries = [Disclosure.from_item(item) for item in response.get("Items", [])]
        # BETWEEN includes `before` itself; an entry's key is `<at>#<id>`, so it sorts after
        # `before` when at == before, and never equals it: the upper bound stays exclusive.
        last = response.get("LastEvaluatedKey")
        return entries, ({k: v["S"] for k, v in last.items()} if last else None)
