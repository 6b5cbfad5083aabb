"""Group series: each person's place in a series (and the facilitator's item kept in step
with its participants'), read from the enrolments, and the occurrence reminders the
hourly job writes against it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from functions.common.dynamo import from_item, get_item, to_item
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.notify import keys
from functions.notify.logic.groups import (
    SeriesChange,
    facilitator_joined,
    facilitator_left,
    facilitator_moves,
)
from functions.notify.logic.outbox import chunks
from functions.notify.logic.reminders import MAX_WRITES
from functions.notify.models import GroupSeries, MessageRecord
from functions.notify.store.messages import OutboxStore
from functions.notify.vocabulary import MessageStatus, SeriesRole, SeriesStatus

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda bundle does not ship them
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef

MAX_SERIES_TRIES = 5
"""Reads and plans of one enrolment record before the stream retries it: participants of one
group share their facilitator's item, so their records can race for it."""


@dataclass(frozen=True)
class SeriesApplied:
    stale: bool = False
    """A later enrolment record was applied already: nothing changed."""
    retired: tuple[str, ...] = ()
    """The pending reminders a withdrawal deleted (the participant's and, when it ended the
    facilitator's item, the facilitator's)."""
    facilitators: tuple[GroupSeries, ...] = ()
    """The facilitators' series items as the change left them (the ones it wrote)."""


class SeriesRaced(RuntimeError):
    """The series item kept changing under an enrolment record; the stream retries it."""


class GroupSeriesStore(OutboxStore):
    def get_group_series(self, person_id: str, group_id: str) -> GroupSeries | None:
        data = get_item(self._client, self.table, keys.group_series_key(person_id, group_id))
        return GroupSeries.from_attributes(data) if data else None

    def apply_series_change(self, change: SeriesChange) -> SeriesApplied:
        """Keep or end a person's series item from an enrolment record, conditioned on the
        revision read: an enrolment is recorded (the reminders planned so far kept); a
        withdrawal ends it and, in the same transaction, deletes its reminders still
        pending. A record older than the one applied (by `since`) changes nothing.

        The facilitators' items change in the same transaction, each conditioned on the
        revision read: the participant joins the item of the facilitator they are enrolled
        under and leaves the one they were under before (withdrawn, or the series has another
        facilitator now); an item left by its last participant ends, and its pending
        reminders are deleted with it. Two participants' records racing for one facilitator's
        item cannot both win: the loser reads again and plans again."""
        incoming = change.series
        for _ in range(MAX_SERIES_TRIES):
            current = self.get_group_series(incoming.person_id, incoming.group_id)
            if current is not None and current.since > incoming.since:
                return SeriesApplied(stale=True)
            retire: list[str] = []
            kept = current.reminders if current else {}
            if change.end:
                retire = self._pending(kept)
                kept = {}
            record = incoming.model_copy(
                update={"reminders": kept, "revision": (current.revision if current else 0) + 1}
            )
            moves = self._facilitator_moves(current, record)
            for before, after in moves:
                if before is not None and not after.active:
                    retire += self._pending(before.reminders)
            puts = [self._series_put(record, current), *(self._series_put(a, b) for b, a in moves)]
            room = MAX_WRITES - len(puts)
            in_transaction, after_commit = retire[:room], retire[room:]
            items: list[TransactWriteItemTypeDef] = [
                *puts,
                *(self._delete_pending(ident) for ident in in_transaction),
            ]
            if self._transact(items) is not None:
                continue  # the series, a facilitator's item or a reminder moved: read and plan again
            for ident in after_commit:
                self._delete_pending_now(ident)
            return SeriesApplied(retired=tuple(retire), facilitators=tuple(a for _, a in moves))
        raise SeriesRaced(f"group series {incoming.group_id} kept racing")

    def _facilitator_moves(
        self, current: GroupSeries | None, record: GroupSeries
    ) -> list[tuple[GroupSeries | None, GroupSeries]]:
        """(facilitator's item as read, as it is to be) for each facilitator's item a
        participant's change from `current` to `record` changes."""
        left, under = facilitator_moves(current, record)
        moves: list[tuple[GroupSeries | None, GroupSeries]] = []
        if left is not None:
            before = self.get_group_series(left, record.group_id)
            after = facilitator_left(before, record)
            if after is not None:
                moves.append((before, after))
        if under is not None:
            before = self.get_group_series(under, record.group_id)
            after = facilitator_joined(before, record)
            if after is not None:
                moves.append((before, after))
        return moves

    def join_facilitator(self, participant: GroupSeries) -> GroupSeries | None:
        """Put an enrolled participant, as read, into their facilitator's item (the hourly
        job's catch-up for items written before facilitators had one), conditioned on the
        participant's item still being at the revision read and enrolled, so a withdrawal
        that landed meanwhile wins. The facilitator's item afterwards when it is active with
        them in it; None when the participant moved on meanwhile (or has no facilitator)."""
        if participant.role is not SeriesRole.PARTICIPANT or participant.facilitator_id is None:
            return None
        before = self.get_group_series(participant.facilitator_id, participant.group_id)
        after = facilitator_joined(before, participant)
        if after is None:
            held = before is not None and before.active and participant.person_id in before.participants
            return before if held else None
        check: TransactWriteItemTypeDef = {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": to_item(keys.group_series_key(participant.person_id, participant.group_id)),
                "ConditionExpression": "revision = :revision AND #s = :enrolled",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item(
                    {":revision": participant.revision, ":enrolled": SeriesStatus.ENROLLED.value}
                ),
            }
        }
        if self._transact([check, self._series_put(after, before)]) is not None:
            return None  # the participant or the facilitator's item moved on; the next run sees
        return after

    def _series_put(self, record: GroupSeries, current: GroupSeries | None) -> TransactWriteItemTypeDef:
        """A series item written over the revision read (or only if there was none)."""
        put: PutTypeDef = {"TableName": self.table, "Item": to_item(record.to_attributes())}
        if current is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "revision = :revision"
            put["ExpressionAttributeValues"] = to_item({":revision": current.revision})
        return {"Put": put}

    def active_series(self) -> Iterator[GroupSeries]:
        """Every person's series they are enrolled in (gsi1 `GSERIES`, paged; no Scan)."""
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": GSI1,
                "KeyConditionExpression": "gsi1pk = :bucket",
                "ExpressionAttributeValues": to_item({":bucket": keys.GROUP_SERIES_BUCKET}),
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self._client.query(**kwargs)
            yield from GroupSeries.readable(from_item(raw) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    def person_series(self, person_id: str) -> list[GroupSeries]:
        """The person's series items (one Query of their partition)."""
        items = self._query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.person_pk(person_id), ":prefix": keys.GROUP_SERIES_PREFIX}
            ),
        )
        return GroupSeries.readable(items)

    def write_group_reminders(
        self, series: GroupSeries, messages: Sequence[MessageRecord], reminders: dict[str, str]
    ) -> bool:
        """New reminders of a series and its list of them, in one transaction (per 99
        reminders, each advancing the revision) conditioned on the revision read and the
        person still enrolled; False when the series moved on (a withdrawal, another run) or
        a reminder was written meanwhile: then that transaction wrote nothing."""
        chunk_size = MAX_WRITES - 1
        revision = series.revision
        batches = list(chunks(messages, chunk_size)) or [[]]
        for index, batch in enumerate(batches):
            last = index == len(batches) - 1
            planned = (
                reminders if last else {**series.reminders, **_starts(messages[: (index + 1) * chunk_size])}
            )
            update: TransactWriteItemTypeDef = {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(keys.group_series_key(series.person_id, series.group_id)),
                    "UpdateExpression": "SET reminders = :reminders, revision = :next",
                    "ConditionExpression": "revision = :revision AND #s = :enrolled",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":reminders": planned,
                            ":revision": revision,
                            ":next": revision + 1,
                            ":enrolled": SeriesStatus.ENROLLED.value,
                        }
                    ),
                }
            }
            puts = [self._put_new(message.to_attributes()) for message in batch]
            if not self._transact_unless_stale([update, *puts]):
                return False
            revision += 1
        return True


def _starts(messages: Sequence[MessageRecord]) -> dict[str, str]:
    return {
        m.message_id: iso(m.start)
        for m in messages
        if m.status is MessageStatus.PENDING and m.start is not None
    }
