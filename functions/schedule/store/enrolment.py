"""Group enrolment: seating, waitlisting, promoting from the waitlist and withdrawing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import cancellation_reasons, error_code, get_item, to_item
from functions.common.errors import Conflict, NotFound
from functions.common.models import iso
from functions.schedule import keys
from functions.schedule.models import GroupRecord
from functions.schedule.store.group_series import GroupSeriesStore
from functions.schedule.vocabulary import (
    ENTITY_GROUP_ENROLMENT,
    ENTITY_GROUP_MEMBER,
    ENTITY_GROUP_WAIT,
    EnrolmentStatus,
)


class GroupEnrolmentStore(GroupSeriesStore):
    def _member_put(
        self, group: GroupRecord, person_id: str, now: datetime, couple_id: str | None
    ) -> dict[str, Any]:
        item = {
            **keys.group_member_key(group.group_id, person_id),
            "entity": ENTITY_GROUP_MEMBER,
            "participant_id": person_id,
            "status": EnrolmentStatus.ENROLLED.value,
            "since": iso(now),
            "couple_id": couple_id,
        }
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk) OR #s = :withdrawn",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item({":withdrawn": EnrolmentStatus.WITHDRAWN.value}),
            }
        }

    def _pointer_put(
        self,
        group: GroupRecord,
        person_id: str,
        status: EnrolmentStatus,
        now: datetime,
        *,
        wait_sk: str | None = None,
        guard: bool = False,
        joined_at: str | None = None,
        left_at: str | None = None,
    ) -> dict[str, Any]:
        item = {
            **keys.enrolment_key(person_id, group.group_id),
            "entity": ENTITY_GROUP_ENROLMENT,
            "participant_id": person_id,
            "status": status.value,
            "since": iso(now),
            "joined_at": joined_at or (iso(now) if status is EnrolmentStatus.ENROLLED else None),
            "left_at": left_at,
            "wait_sk": wait_sk,
            keys.GSI1_PK: keys.schedule_pk(person_id),
            **group.schedule_attributes(),
        }
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(item)}
        if guard:
            put["ConditionExpression"] = "attribute_not_exists(pk) OR #s = :withdrawn"
            put["ExpressionAttributeNames"] = {"#s": "status"}
            put["ExpressionAttributeValues"] = to_item({":withdrawn": EnrolmentStatus.WITHDRAWN.value})
        return {"Put": put}

    def _seats(self, group: GroupRecord, *, taken: int, waiting: int) -> dict[str, Any]:
        """Move the series' counters. A seat is only ever taken while one is free, and taken
        directly (not from the waitlist) only while nobody is waiting: no queue-jumping."""
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_item(GroupRecord.key(group.group_id)),
            "UpdateExpression": "ADD seats_taken :taken, waitlisted :waiting",
            "ExpressionAttributeValues": to_item({":taken": taken, ":waiting": waiting}),
        }
        if taken > 0:
            values: dict[str, Any] = {":taken": taken, ":waiting": waiting, ":most": group.capacity - taken}
            update["ConditionExpression"] = "seats_taken <= :most"
            if waiting == 0:
                update["ConditionExpression"] += " AND waitlisted <= :nobody"
                values[":nobody"] = 0
            update["ExpressionAttributeValues"] = to_item(values)
        return {"Update": update}

    def seat_writes(
        self,
        group: GroupRecord,
        participant_ids: list[str],
        *,
        couple_id: str | None,
        now: datetime,
        commit: bool = True,
    ) -> list[dict[str, Any]]:
        """Seating participants, for someone else's transaction (no waitlist fallback). With
        `commit=False` the participants' commitments are left to the caller, which seats them in
        several groups at once and writes each person's commitments once (`ScheduleStore.commit`)."""
        return [
            self._seats(group, taken=len(participant_ids), waiting=0),
            *(self._member_put(group, p, now, couple_id) for p in participant_ids),
            *(
                self._pointer_put(group, p, EnrolmentStatus.ENROLLED, now, guard=True)
                for p in participant_ids
            ),
            *((self._s.commit(p, group) for p in participant_ids) if commit else ()),
        ]

    def enrol(
        self,
        group: GroupRecord,
        participant_ids: list[str],
        *,
        couple_id: str | None,
        now: datetime,
        audit_puts: list[dict[str, Any]],
    ) -> tuple[EnrolmentStatus, int | None]:
        """Seat the participants together, or waitlist them together when the seats are not there."""
        seat = [*self.seat_writes(group, participant_ids, couple_id=couple_id, now=now), *audit_puts]
        try:
            self._transact_write(seat)
            return EnrolmentStatus.ENROLLED, None
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if error_code(exc) != "TransactionCanceledException":
                raise
            if any(code == "ConditionalCheckFailed" for code in reasons[1:]):
                raise Conflict("already enrolled or waitlisted in this group") from exc
            if reasons[:1] != ["ConditionalCheckFailed"]:
                raise Conflict("a concurrent change touched this group; retry") from exc
        # The queue is ordered by the moment of queueing, to the microsecond (`now` is to the second).
        queued_at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        wait_sk = keys.wait_sort_key(queued_at, participant_ids[0])
        wait_item = {
            **keys.wait_key(group.group_id, wait_sk),
            "entity": ENTITY_GROUP_WAIT,
            "participant_ids": participant_ids,
            "couple_id": couple_id,
            "since": queued_at,
        }
        waitlist = [
            self._seats(group, taken=0, waiting=len(participant_ids)),
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(wait_item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *(
                self._pointer_put(group, p, EnrolmentStatus.WAITLISTED, now, wait_sk=wait_sk, guard=True)
                for p in participant_ids
            ),
            *audit_puts,
        ]
        try:
            self._transact_write(waitlist)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("already enrolled or waitlisted in this group") from exc
            raise
        self.promote_waiting(group.group_id, now=now)
        _, waiting = self.roster(group.group_id)
        position = next((i + 1 for i, w in enumerate(waiting) if keys.sort_key(w) == wait_sk), None)
        return (EnrolmentStatus.WAITLISTED, position) if position else (EnrolmentStatus.ENROLLED, None)

    def promote_waiting(self, group_id: str, *, now: datetime, attempts: int = 5) -> int:
        """Seat waitlisted entries, first come first served, while seats are free (a couple
        waits for two). Returns how many people were seated."""
        seated = 0
        for _ in range(attempts):
            group = self.get(group_id)
            if group is None:
                return seated
            free = group.capacity - group.seats_taken
            _, waiting = self.roster(group_id)
            entry = next((w for w in waiting if len(w["participant_ids"]) <= free), None)
            if entry is None or free <= 0:
                return seated
            people = list(entry["participant_ids"])
            items = [
                self._seats(group, taken=len(people), waiting=-len(people)),
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": to_item(keys.primary_key(entry)),
                        # Exactly the entry read: a partner who left meanwhile is not seated.
                        "ConditionExpression": "participant_ids = :ids",
                        "ExpressionAttributeValues": to_item({":ids": people}),
                    }
                },
                *(self._member_put(group, p, now, entry.get("couple_id")) for p in people),
                *(self._pointer_put(group, p, EnrolmentStatus.ENROLLED, now) for p in people),
                *(self._s.commit(p, group) for p in people),
            ]
            try:
                self._transact_write(items)
                seated += len(people)
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
        return seated

    def withdraw(
        self, group: GroupRecord, participant_id: str, *, now: datetime, audit_put: dict[str, Any]
    ) -> None:
        """Leave the group (or its waitlist) from now on; a freed seat goes to the waitlist."""
        pointer_key = keys.enrolment_key(participant_id, group.group_id)
        pointer = get_item(self._client, self.table, pointer_key)
        if pointer is None or pointer["status"] == EnrolmentStatus.WITHDRAWN.value:
            raise NotFound("not enrolled in this group")
        left = self._pointer_put(
            group,
            participant_id,
            EnrolmentStatus.WITHDRAWN,
            now,
            joined_at=pointer.get("joined_at"),
            left_at=iso(now),
        )
        # Only from the state this request read: a concurrent withdrawal or promotion wins.
        left["Put"]["ConditionExpression"] = "#s = :was"
        left["Put"]["ExpressionAttributeNames"] = {"#s": "status"}
        left["Put"]["ExpressionAttributeValues"] = to_item({":was": pointer["status"]})
        if pointer["status"] == EnrolmentStatus.WAITLISTED.value:
            wait_key = keys.wait_key(group.group_id, pointer["wait_sk"])
            entry = get_item(self._client, self.table, wait_key)
            if entry is None:
                raise Conflict("the waitlist changed meanwhile; retry")
            remaining = [p for p in entry["participant_ids"] if p != participant_id]
            if remaining:
                # Partners waiting together: the other keeps the place in line.
                place: dict[str, Any] = {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item({**entry, "participant_ids": remaining, "couple_id": None}),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            else:
                place = {
                    "Delete": {
                        "TableName": self.table,
                        "Key": to_item(wait_key),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            items = [self._seats(group, taken=0, waiting=-1), place, left, audit_put]
        else:
            member = {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(keys.group_member_key(group.group_id, participant_id)),
                    "UpdateExpression": "SET #s = :withdrawn, left_at = :now",
                    "ConditionExpression": "#s = :enrolled",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":withdrawn": EnrolmentStatus.WITHDRAWN.value,
                            ":enrolled": EnrolmentStatus.ENROLLED.value,
                            ":now": iso(now),
                        }
                    ),
                }
            }
            items = [
                self._seats(group, taken=-1, waiting=0),
                member,
                left,
                self._s.uncommit(participant_id, group.group_id),
                audit_put,
            ]
        try:
            self._transact_write(items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("the enrolment changed meanwhile; retry") from exc
            raise
        self.promote_waiting(group.group_id, now=now)
