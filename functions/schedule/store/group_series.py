"""Group series: creating one (with its facilitator's pointer and commitment) and reading
series and rosters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from functions.common.dynamo import from_item, get_item, to_item
from functions.common.tables import GSI1
from functions.schedule import keys
from functions.schedule.models import GroupRecord
from functions.schedule.store.commitments import CommitmentStore
from functions.schedule.vocabulary import ENTITY_GROUP_FACILITATION, EnrolmentStatus


class GroupSeriesStore:
    """Group series, in the schedule table (through the schedule store's commitments)."""

    def __init__(self, schedule: CommitmentStore) -> None:
        self._s = schedule
        self.table = schedule.table
        self._client = schedule._client

    def _transact_write(self, items: Sequence[Mapping[str, Any]]) -> None:
        self._s._transact_write(items)

    def create(self, group: GroupRecord, audit_put: dict[str, Any]) -> None:
        self._transact_write(
            [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(group.to_attributes()),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    # The facilitator's pointer: their weeks show the series they lead.
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                **keys.facilitation_key(group.facilitator_id, group.group_id),
                                "entity": ENTITY_GROUP_FACILITATION,
                                "status": EnrolmentStatus.ENROLLED.value,
                                "joined_at": group.first_start.isoformat(),
                                keys.GSI1_PK: keys.schedule_pk(group.facilitator_id),
                                **group.schedule_attributes(),
                            }
                        ),
                    }
                },
                self._s.commit(group.facilitator_id, group),
                audit_put,
            ]
        )

    def get(self, group_id: str) -> GroupRecord | None:
        data = get_item(self._client, self.table, GroupRecord.key(group_id))
        return GroupRecord.from_attributes(data) if data else None

    def all(self) -> list[GroupRecord]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :g",
            ExpressionAttributeValues=to_item({":g": keys.GROUPS_BUCKET}),
        )
        return GroupRecord.readable(from_item(i) for page in pages for i in page.get("Items", []))

    def roster(self, group_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(members, waitlist entries in order): one Query of the group's items."""
        _, members, waiting = self.series_and_roster(group_id)
        return members, waiting

    def series_and_roster(
        self, group_id: str
    ) -> tuple[GroupRecord | None, list[dict[str, Any]], list[dict[str, Any]]]:
        """The series, its members and its waitlist in order: one Query (SERIES sorts between
        MEMBER# and WAIT#)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {":pk": keys.group_pk(group_id), ":from": keys.ROSTER_RANGE[0], ":to": keys.ROSTER_RANGE[1]}
            ),
            ConsistentRead=True,
        )
        items = [from_item(i) for page in pages for i in page.get("Items", [])]
        series = next((i for i in items if keys.kind_of(i) is keys.ItemKind.GROUP), None)
        members = [i for i in items if keys.kind_of(i) is keys.ItemKind.GROUP_MEMBER]
        waiting = sorted((i for i in items if keys.kind_of(i) is keys.ItemKind.GROUP_WAIT), key=keys.sort_key)
        return (GroupRecord.from_attributes(series) if series else None), members, waiting
