"""Group commitments: what a booking must avoid, one item per person (for their transactions)."""

from __future__ import annotations

from typing import Any

from functions.common.dynamo import to_item
from functions.schedule import keys
from functions.schedule.models import GroupRecord
from functions.schedule.store.base import StoreBase
from functions.schedule.vocabulary import ENTITY_COMMITMENTS


class CommitmentStore(StoreBase):
    def commit(self, person_id: str, *groups: GroupRecord) -> dict[str, Any]:
        """The person attends or leads each of `groups` from now on: one transaction write, since a
        transaction may touch the person's commitments item only once (seating someone in two
        groups in one booking must not be two writes of it)."""
        names = {f"#g{n}": keys.commitment_attribute(g.group_id) for n, g in enumerate(groups)}
        values: dict[str, Any] = {f":c{n}": g.commitment() for n, g in enumerate(groups)}
        sets = ", ".join(f"#g{n} = :c{n}" for n in range(len(groups)))
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.commitments_key(person_id)),
                "UpdateExpression": f"SET {sets}, #e = :e ADD rev :one",
                "ExpressionAttributeNames": {**names, "#e": "entity"},
                "ExpressionAttributeValues": to_item({**values, ":e": ENTITY_COMMITMENTS, ":one": 1}),
            }
        }

    def uncommit(self, person_id: str, group_id: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.commitments_key(person_id)),
                "UpdateExpression": "REMOVE #g ADD rev :one",
                "ExpressionAttributeNames": {"#g": keys.commitment_attribute(group_id)},
                "ExpressionAttributeValues": to_item({":one": 1}),
            }
        }

    def commitments_unchanged(self, person_id: str, item: dict[str, Any] | None) -> dict[str, Any]:
        """Guard a booking against a group enrolment that lands between its read and write."""
        check: dict[str, Any] = {"TableName": self.table, "Key": to_item(keys.commitments_key(person_id))}
        if item is None:
            check["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            check["ConditionExpression"] = "rev = :rev"
            check["ExpressionAttributeValues"] = to_item({":rev": item.get("rev", 0)})
        return {"ConditionCheck": check}
