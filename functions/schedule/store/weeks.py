"""A person's week: the participant/week index (session copies, group occurrences and
group attendance filed under PW#<person>#<week>)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.common.dynamo import from_item, to_item
from functions.common.models import iso
from functions.common.tables import PARTICIPANT_WEEK_INDEX
from functions.schedule import keys
from functions.schedule.store.base import StoreBase
from functions.schedule.vocabulary import ENTITY_GROUP_ATTENDEE, ENTITY_GROUP_WEEK


class WeekStore(StoreBase):
    def week(self, person_id: str, week: str) -> list[dict[str, Any]]:
        """A person's sessions in one ISO week (their zone): one Query of the participant/week index."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=PARTICIPANT_WEEK_INDEX,
            KeyConditionExpression="pw_pk = :pw",
            ExpressionAttributeValues=to_item({":pw": keys.week_pk(person_id, week)}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def put_group_week(self, person_id: str, week: str, occurrences: list[dict[str, Any]]) -> None:
        """The participant's group occurrences of one week (overwritten whole on each refresh)."""
        item = {
            **keys.group_week_key(person_id, week),
            "entity": ENTITY_GROUP_WEEK,
            **keys.group_week_index(person_id, week),
            "person_id": person_id,
            "week": week,
            "occurrences": occurrences,
        }
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def put_group_attendance_mark(
        self, group_id: str, occurrence_start: datetime, person_id: str, week: str, status: str
    ) -> None:
        """The participant's attendance at one group occurrence, filed in their week so the
        week's one Query also says which group hours were attended (idempotent overwrite)."""
        item = {
            **keys.group_attendee_key(group_id, occurrence_start, person_id),
            "entity": ENTITY_GROUP_ATTENDEE,
            **keys.group_attendance_week_index(person_id, week, occurrence_start, group_id),
            "person_id": person_id,
            "group_id": group_id,
            "occurrence_start": iso(occurrence_start),
            "attendance": status,
        }
        self._client.put_item(TableName=self.table, Item=to_item(item))
