"""Group attendance: one item per occurrence (a stream record for the makeups consumer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, to_item
from functions.common.errors import Conflict
from functions.common.models import iso
from functions.schedule import keys
from functions.schedule.models import GroupRecord
from functions.schedule.store.group_series import GroupSeriesStore
from functions.schedule.vocabulary import ENTITY_GROUP_ATTENDANCE


class GroupAttendanceStore(GroupSeriesStore):
    def series_and_attendance(
        self, group_id: str, start: datetime
    ) -> tuple[GroupRecord | None, dict[str, Any] | None]:
        items = self._s.get_many([GroupRecord.key(group_id), keys.occurrence_key(group_id, start)])
        raw_group = items.item(GroupRecord.key(group_id))
        return (GroupRecord.from_attributes(raw_group) if raw_group else None), items.item(
            keys.occurrence_key(group_id, start)
        )

    def record_attendance(
        self,
        group: GroupRecord,
        start: datetime,
        attendance: dict[str, str],
        *,
        previous: dict[str, Any] | None,
        audit_put: dict[str, Any],
    ) -> None:
        """One item per occurrence (a stream record for schedule's consumer: makeups)."""
        version = int(previous["version"]) if previous else 0
        item = {
            **keys.occurrence_key(group.group_id, start),
            "entity": ENTITY_GROUP_ATTENDANCE,
            "group_id": group.group_id,
            "group_type": group.type.value,
            "occurrence_start": iso(start),
            "occurrence_end": iso(start + timedelta(minutes=group.duration_minutes)),
            "attendance": attendance,
            "version": version + 1,
        }
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(item)}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#v = :v"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = to_item({":v": version})
        try:
            self._transact_write([{"Put": put}, audit_put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("attendance for this occurrence changed meanwhile; retry") from exc
            raise
