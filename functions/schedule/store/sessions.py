"""Sessions: booking, rescheduling, cancelling, attendance and privacy in one transaction
each (with their people's week copies and reservations), their rooms, coverage's flags on
the copies, and the conflict a cancelled transaction stands for."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, from_item, get_item, to_item
from functions.common.errors import Conflict, FieldError, InvalidInput, PreconditionFailed
from functions.schedule import keys
from functions.schedule.logic.booking import reservations, week_of
from functions.schedule.models import SessionRecord, member_attributes
from functions.schedule.store.reservations import ReservationStore
from functions.schedule.vocabulary import ENTITY_ROOM

MAX_TRANSACTION_ITEMS = 100
_ENROLMENT_KINDS = frozenset(
    {keys.ItemKind.GROUP_MEMBER, keys.ItemKind.ENROLMENT, keys.ItemKind.SESSION_MEMBER}
)
"""A failed condition on one of these: a seat (or a copy) that was there already."""


class SessionStore(ReservationStore):
    def get_session(self, session_id: str) -> SessionRecord | None:
        data = get_item(self._client, self.table, SessionRecord.key(session_id))
        return SessionRecord.from_attributes(data) if data else None

    def session_and_room(self, session_id: str) -> tuple[SessionRecord | None, str | None]:
        """The session and its room id, if one was opened: one batch read."""
        items = self.get_many([SessionRecord.key(session_id), keys.room_key(session_id)])
        raw = items.item(SessionRecord.key(session_id))
        room = items.item(keys.room_key(session_id))
        return (SessionRecord.from_attributes(raw) if raw else None), (room["room_id"] if room else None)

    def claim_room(self, session_id: str, room_id: str, *, replacing: str | None) -> str:
        """Keep `room_id` as the session's room unless another request got there first (or,
        when `replacing` names an ended room, unless someone already replaced it); return
        the room everyone should join."""
        condition = "attribute_not_exists(pk)" if replacing is None else "room_id = :old"
        values = {":old": replacing} if replacing is not None else None
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item({**keys.room_key(session_id), "entity": ENTITY_ROOM, "room_id": room_id}),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = to_item(values)
        try:
            self._client.put_item(**put)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            current = get_item(self._client, self.table, keys.room_key(session_id))
            return str(current["room_id"]) if current else room_id
        return room_id

    def book(
        self, session: SessionRecord, audit_put: dict[str, Any], *, also: list[dict[str, Any]] | None = None
    ) -> None:
        """The session, each person's copy for their week, and every reservation: one transaction
        (with `also`, further writes that must happen with it or not at all)."""
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(session.to_attributes()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *self._member_puts(session),
            *(self._reserve(r) for r in reservations(session)),
            *(also or []),
            audit_put,
        ]
        self._transact_session(items)

    def reschedule(
        self,
        before: SessionRecord,
        after: SessionRecord,
        audit_put: dict[str, Any],
        *,
        also: list[dict[str, Any]] | None = None,
    ) -> None:
        """Release the slots only the old time used, claim those only the new time needs,
        re-point the shared ones; the session moves only if all of it succeeds."""
        old = {(r.person_id, r.slot): r for r in reservations(before)}
        new = {(r.person_id, r.slot): r for r in reservations(after)}
        items: list[dict[str, Any]] = [self._session_update(before, after), *self._member_puts(after)]
        for key in old.keys() - new.keys():
            items.append(self._release(old[key]))
        for key in new.keys() - old.keys():
            items.append(self._reserve(new[key]))
        for key in new.keys() & old.keys():
            items.append(self._repoint(new[key]))
        items += [*(also or []), audit_put]
        self._transact_session(items)

    def cancel(self, before: SessionRecord, after: SessionRecord, audit_put: dict[str, Any]) -> None:
        items: list[dict[str, Any]] = [
            self._session_update(before, after),
            *self._member_puts(after),
            *(self._release(r) for r in reservations(before)),
            audit_put,
        ]
        self._transact_session(items)

    def session_writes(self, session: SessionRecord) -> list[dict[str, Any]]:
        """Everything booking `session` writes (for a transaction of several bookings)."""
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(session.to_attributes()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *self._member_puts(session),
            *(self._reserve(r) for r in reservations(session)),
        ]

    def book_all(self, items: list[dict[str, Any]], audit_put: dict[str, Any]) -> None:
        """Several bookings (and group seats) in one transaction: all of them or none."""
        if len(items) + 1 > MAX_TRANSACTION_ITEMS:
            raise InvalidInput(
                f"too much to book at once ({len(items) + 1} writes; at most {MAX_TRANSACTION_ITEMS})",
                errors=[FieldError("body.sessions", "book fewer sessions together")],
            )
        self._transact_session([*items, audit_put])

    def record_attendance(
        self, before: SessionRecord, after: SessionRecord, audit_put: dict[str, Any]
    ) -> None:
        self._transact_session([self._session_update(before, after), *self._member_puts(after), audit_put])

    def set_privacy(self, before: SessionRecord, after: SessionRecord, audit_put: dict[str, Any]) -> None:
        """The session and each person's copy of it for their week say whether it is private:
        one transaction. The copies are updated, not rewritten, so what coverage marked on them
        (authorization flags) stays."""
        members = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(keys.session_member_key(after.session_id, person)),
                    "UpdateExpression": "SET #p = :p",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#p": "private"},
                    "ExpressionAttributeValues": to_item({":p": after.private}),
                }
            }
            for person in after.people
        ]
        self._transact_session([self._session_update(before, after), *members, audit_put])

    def set_authorization_flags(self, person_id: str, session_id: str, reasons: list[str], at: str) -> bool:
        """Mark (or, no reasons, clear) the participant's copy of a session as outside their
        prior authorizations, unless a newer verdict (`at`) is there already or the session
        has no copy for them (any more). False when nothing changed."""
        expression = (
            "SET authorization_flags = :r, flags_at = :at"
            if reasons
            else "SET flags_at = :at REMOVE authorization_flags"
        )
        values: dict[str, Any] = {":at": at}
        if reasons:
            values[":r"] = reasons
        try:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(keys.session_member_key(session_id, person_id)),
                UpdateExpression=expression,
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(flags_at) OR flags_at < :at)"
                ),
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def _member_puts(self, session: SessionRecord) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        member_attributes(
                            session, person, week_of(session.start, session.time_zones.get(person, "UTC"))
                        )
                    ),
                }
            }
            for person in session.people
        ]

    def _session_update(self, before: SessionRecord, after: SessionRecord) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(after.to_attributes()),
                "ConditionExpression": "#v = :expected",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": to_item({":expected": before.version}),
            }
        }

    def _transact_session(self, items: list[dict[str, Any]]) -> None:
        try:
            self._transact_write(items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise _session_conflict(exc, items) from exc


def _session_conflict(exc: ClientError, items: list[dict[str, Any]]) -> Exception:
    """The 409 (or 412) a cancelled session transaction stands for, naming the clash."""
    response = getattr(exc, "response", {}) or {}
    for index, reason in enumerate(response.get("CancellationReasons", [])):
        code = reason.get("Code")
        if code == "ConditionalCheckFailed":
            operation = next(iter(items[index].values()))
            key = from_item(operation.get("Item") or operation.get("Key") or {})
            kind = keys.kind_of(key)
            if kind is keys.ItemKind.RESERVATION and "Put" in items[index]:
                held = from_item(reason.get("Item") or {})
                person = keys.owner_of(key)
                start, end = held.get("start"), held.get("end")
                return Conflict(
                    f"{person} is already booked from {start} to {end}",
                    errors=[FieldError("body.start", "overlaps another session")],
                    conflict={"person_id": person, "start": start, "end": end},
                )
            if kind is keys.ItemKind.COMMITMENTS:
                return Conflict("a group enrolment of one of the session's people changed meanwhile; retry")
            if kind is keys.ItemKind.GROUP:
                return Conflict("the group no longer has seats for everyone (or people wait for them)")
            if kind in _ENROLMENT_KINDS:
                return Conflict("already enrolled or waitlisted in one of the groups")
            if kind is keys.ItemKind.MAKEUP_OFFER:
                return Conflict("this makeup offer was already taken up")
            if kind is keys.ItemKind.SESSION:
                return PreconditionFailed(
                    "the session changed since you read it; fetch it again and retry",
                    errors=[FieldError("header.If-Match", "stale")],
                )
            return Conflict("the session's reservations changed underneath; fetch it again and retry")
        if code == "TransactionConflict":
            return Conflict("a concurrent booking touched the same people and times; retry")
    return Conflict("the booking could not be made; retry")
