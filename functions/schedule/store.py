"""The schedule table: the only module of this function that speaks DynamoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from functions.common.auth import Principal, Role
from functions.common.dynamo import cancellation_reasons, error_code, from_item, get_item, to_item
from functions.common.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from functions.common.http import decode_cursor, encode_cursor
from functions.common.models import iso
from functions.common.tables import GSI1, PARTICIPANT_WEEK_INDEX
from functions.schedule.logic.booking import RESERVATION_TTL, Reservation, reservations, week_of
from functions.schedule.logic.teams import Relations
from functions.schedule.models import (
    AvailabilityRecord,
    CareAssignment,
    CoupleRecord,
    GroupRecord,
    MakeupOfferRecord,
    Part2ConsentRecord,
    PersonRecord,
    SessionRecord,
    commitment_attribute,
    commitments_key,
    feed_key,
    intensity_key,
    member_attributes,
    occurrence_key,
    room_key,
)
from functions.schedule.vocabulary import (
    ENTITY_COMMITMENTS,
    ENTITY_EMAIL,
    ENTITY_FEED,
    ENTITY_GROUP_ATTENDANCE,
    ENTITY_GROUP_ATTENDEE,
    ENTITY_GROUP_ENROLMENT,
    ENTITY_GROUP_FACILITATION,
    ENTITY_GROUP_MEMBER,
    ENTITY_GROUP_WAIT,
    ENTITY_GROUP_WEEK,
    ENTITY_INTENSITY,
    ENTITY_RESERVATION,
    ENTITY_ROOM,
    CareRole,
    EnrolmentStatus,
    PersonKind,
)

_PAGE_KEYS = {"pk", "sk", "gsi1pk", "gsi1sk"}
MAX_TRANSACTION_ITEMS = 100
BATCH_GET_LIMIT = 100
"""Keys per BatchGetItem call (DynamoDB's limit)."""


def _email_key(email: str) -> dict[str, str]:
    return {"pk": f"EMAIL#{email}", "sk": "EMAIL"}


def _reservation_key(person_id: str, slot: datetime) -> dict[str, str]:
    return {"pk": f"BUSY#{person_id}", "sk": f"SLOT#{iso(slot)}"}


class ScheduleStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self._client = client

    # --- people ------------------------------------------------------------------------------

    def get_person(self, person_id: str) -> PersonRecord | None:
        data = get_item(self._client, self.table, PersonRecord.key(person_id))
        return PersonRecord.from_attributes(data) if data else None

    def create_person(self, record: PersonRecord, audit_put: dict[str, Any]) -> None:
        """Person, its email's uniqueness claim and the audit entry: one transaction."""
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(record.to_attributes()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._claim_email(record.email, record.person_id),
            audit_put,
        ]
        self._transact(items, email=record.email)

    def update_person(
        self, record: PersonRecord, *, expected_version: int, previous_email: str, audit_put: dict[str, Any]
    ) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(record.to_attributes()),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":expected": expected_version}),
                }
            }
        ]
        if record.email != previous_email:
            items.append(
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": to_item(_email_key(previous_email)),
                        "ConditionExpression": "owner_id = :owner",
                        "ExpressionAttributeValues": to_item({":owner": record.person_id}),
                    }
                }
            )
            items.append(self._claim_email(record.email, record.person_id))
        items.append(audit_put)
        self._transact(items, email=record.email)

    def list_people(
        self, kind: PersonKind, *, limit: int, cursor: str | None
    ) -> tuple[list[PersonRecord], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :kind",
            "ExpressionAttributeValues": to_item({":kind": f"KIND#{kind.value}"}),
            "Limit": limit,
        }
        start = decode_cursor(cursor, expected_keys=_PAGE_KEYS)
        if start:
            kwargs["ExclusiveStartKey"] = to_item(start)
        response = self._client.query(**kwargs)
        records = PersonRecord.readable(from_item(i) for i in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        return records, encode_cursor(from_item(last) if last else None)

    # --- helpers -----------------------------------------------------------------------------

    def _claim_email(self, email: str, person_id: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item({**_email_key(email), "entity": ENTITY_EMAIL, "owner_id": person_id}),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _transact(self, items: list[dict[str, Any]], *, email: str) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                if any(i.get("Put", {}).get("ConditionExpression", "").startswith("#v") for i in items[:1]):
                    raise PreconditionFailed(
                        "the person changed since you read it; fetch it again and retry",
                        errors=[FieldError("header.If-Match", "stale")],
                    ) from exc
                raise Conflict("this person already exists") from exc
            if "ConditionalCheckFailed" in reasons[1:]:
                raise Conflict(
                    "another person already uses this email address",
                    errors=[FieldError("body.email", "already registered")],
                ) from exc
            if "TransactionConflict" in reasons:
                raise Conflict("a concurrent change touched this person; retry") from exc
            raise

    # --- batch reads -------------------------------------------------------------------------

    def get_many(self, keys: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (pk, sk), in one BatchGetItem per 100 keys (DynamoDB's limit; none for no
        keys), retrying what DynamoDB leaves unprocessed."""
        unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for first in range(0, len(unique), BATCH_GET_LIMIT):
            chunk = unique[first : first + BATCH_GET_LIMIT]
            request: dict[str, Any] = {
                self.table: {"Keys": [to_item(k) for k in chunk], "ConsistentRead": True}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    data = from_item(item)
                    found[(data["pk"], data["sk"])] = data
                request = response.get("UnprocessedKeys") or {}
        return found

    def people(
        self, person_ids: list[str], *, extra: list[dict[str, str]] | None = None
    ) -> tuple[dict[str, PersonRecord], dict[tuple[str, str], dict[str, Any]]]:
        """Person records (and any `extra` items) in one batch read."""
        items = self.get_many([PersonRecord.key(p) for p in person_ids] + (extra or []))
        profiles = (
            data for (_, sk), data in items.items() if sk == "PROFILE" and data.get("entity") == "PERSON"
        )
        people = {record.person_id: record for record in PersonRecord.readable(profiles)}
        return people, items

    def display_names(self, person_ids: list[str]) -> dict[str, str]:
        """Person id -> their name, for those whose profile exists (one batch read per 100)."""
        people, _ = self.people(person_ids)
        return {person_id: record.display_name for person_id, record in people.items()}

    # --- care teams, couples, caseloads ------------------------------------------------------

    def relations(self, participant_id: str) -> Relations:
        """A participant's care team and couple: one Query over their CARE# and COUPLE items."""
        response = self._client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {":pk": f"PERSON#{participant_id}", ":from": "CARE#", ":to": "COUPLE"}
            ),
            ConsistentRead=True,
        )
        return Relations.from_items(participant_id, [from_item(item) for item in response.get("Items", [])])

    def person_context(self, person_id: str) -> tuple[PersonRecord | None, Relations, list[dict[str, Any]]]:
        """A person's profile, care positions, couple and group enrolments: one Query over
        their items from CARE# to PROFILE (which also passes their makeup offers)."""
        person, relations, enrolments, _ = self.reader_context(person_id)
        return person, relations, enrolments

    def reader_context(
        self, person_id: str
    ) -> tuple[PersonRecord | None, Relations, list[dict[str, Any]], list[Part2ConsentRecord]]:
        """`person_context` and the person's Part 2 consents (CONSENT# sorts between CARE# and
        PROFILE): still one Query, consistent, so a consent given or revoked a moment ago counts."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {":pk": f"PERSON#{person_id}", ":from": "CARE#", ":to": "PROFILE"}
            ),
            ConsistentRead=True,
        )
        items = [from_item(i) for page in pages for i in page.get("Items", [])]
        profile = next((i for i in items if i["sk"] == "PROFILE"), None)
        enrolments = [i for i in items if i["sk"].startswith(("GROUP#", "FACILITATES#"))]
        person = PersonRecord.from_attributes(profile) if profile else None
        consents = Part2ConsentRecord.readable(i for i in items if i["sk"].startswith("CONSENT#"))
        return person, Relations.from_items(person_id, items), enrolments, consents

    # --- Part 2 consents ---------------------------------------------------------------------

    def consents(self, participant_id: str) -> list[Part2ConsentRecord]:
        """The participant's Part 2 consents, any status: one consistent Query."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
            ExpressionAttributeValues=to_item({":pk": f"PERSON#{participant_id}", ":c": "CONSENT#"}),
            ConsistentRead=True,
        )
        return Part2ConsentRecord.readable(from_item(i) for page in pages for i in page.get("Items", []))

    def add_consent(self, consent: Part2ConsentRecord, audit_put: dict[str, Any]) -> None:
        """The consent, only while its participant exists (as a participant), with its audit entry."""
        items = [
            {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": to_item(PersonRecord.key(consent.participant_id)),
                    "ConditionExpression": "#k = :participant",
                    "ExpressionAttributeNames": {"#k": "kind"},
                    "ExpressionAttributeValues": to_item({":participant": PersonKind.PARTICIPANT.value}),
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(consent.to_attributes()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            audit_put,
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise NotFound("no such participant") from exc
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise Conflict("a concurrent change touched this consent; retry") from exc
            raise

    def revoke_consent(
        self, current: Part2ConsentRecord, revoked: Part2ConsentRecord, audit_put: dict[str, Any]
    ) -> None:
        """The consent's revocation, only over the version read (a concurrent change is a 409)."""
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(revoked.to_attributes()),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":expected": current.version}),
                }
            },
            audit_put,
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise Conflict("the consent changed while it was revoked; read it and retry") from exc
            raise

    def caseload(self, clinician_id: str) -> dict[str, list[CareRole]]:
        """Participant -> the clinician's positions on their team: one Query (GSI1 CASELOAD#)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :c",
            ExpressionAttributeValues=to_item({":c": f"CASELOAD#{clinician_id}"}),
        )
        found: dict[str, list[CareRole]] = {}
        for page in pages:
            for item in page.get("Items", []):
                data = from_item(item)
                role = data.get("role") or CareRole.COUPLES_THERAPIST.value
                found.setdefault(str(data["participant_id"]), []).append(CareRole(role))
        return found

    def set_care_team(
        self, participant_id: str, wanted: dict[CareRole, str], audit_put: dict[str, Any]
    ) -> None:
        """Replace the participant's care positions (an absent one is deleted, a no-op if unset)."""
        items: list[dict[str, Any]] = []
        for role in CareRole:
            if role is CareRole.COUPLES_THERAPIST:
                continue  # set on the couple
            if role in wanted:
                assignment = CareAssignment(
                    participant_id=participant_id, role=role, clinician_id=wanted[role]
                )
                items.append({"Put": {"TableName": self.table, "Item": to_item(assignment.to_attributes())}})
            else:
                key = CareAssignment.key(participant_id, role)
                items.append({"Delete": {"TableName": self.table, "Key": to_item(key)}})
        items.append(audit_put)
        self._client.transact_write_items(TransactItems=items)

    def get_couple(self, couple_id: str) -> CoupleRecord | None:
        data = get_item(self._client, self.table, CoupleRecord.key(couple_id))
        return CoupleRecord.from_attributes(data) if data else None

    def create_couple(self, couple: CoupleRecord, audit_put: dict[str, Any]) -> None:
        """The couple and each partner's pointer to it: a partner belongs to one couple at a time."""
        not_there = "attribute_not_exists(pk)"
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(couple.to_attributes()),
                    "ConditionExpression": not_there,
                }
            },
            *(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(couple.membership_attributes(partner)),
                        "ConditionExpression": not_there,
                    }
                }
                for partner in couple.partner_ids
            ),
            audit_put,
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            taken = [
                i - 1 for i, code in enumerate(reasons) if code == "ConditionalCheckFailed" and i in (1, 2)
            ]
            if taken:
                raise Conflict(
                    "a partner already belongs to a couple",
                    errors=[FieldError(f"body.partner_ids.{i}", "already in a couple") for i in taken],
                ) from exc
            raise

    # --- availability ------------------------------------------------------------------------

    def update_couple(self, before: CoupleRecord, after: CoupleRecord, audit_put: dict[str, Any]) -> None:
        """The couple (only from the version read) and both partners' pointers, which also
        move them to the new couples therapist's caseload."""
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(after.to_attributes()),
                    "ConditionExpression": "#v = :v",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":v": before.version}),
                }
            },
            *(
                {"Put": {"TableName": self.table, "Item": to_item(after.membership_attributes(partner))}}
                for partner in after.partner_ids
            ),
            audit_put,
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise PreconditionFailed(
                "the couple changed since you read it; fetch it again and retry",
                errors=[FieldError("header.If-Match", "stale")],
            ) from exc

    def get_availability(self, clinician_id: str) -> AvailabilityRecord | None:
        data = get_item(self._client, self.table, AvailabilityRecord.key(clinician_id))
        return AvailabilityRecord.from_attributes(data) if data else None

    def put_availability(
        self, record: AvailabilityRecord, *, expected_version: int, audit_put: dict[str, Any]
    ) -> None:
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(record.to_attributes())}
        if expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#v = :expected"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = to_item({":expected": expected_version})
        try:
            self._client.transact_write_items(TransactItems=[{"Put": put}, audit_put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise PreconditionFailed(
                    "the availability changed since you read it",
                    errors=[FieldError("header.If-Match", "stale")],
                ) from exc
            raise

    # --- sessions ----------------------------------------------------------------------------

    def get_session(self, session_id: str) -> SessionRecord | None:
        data = get_item(self._client, self.table, SessionRecord.key(session_id))
        return SessionRecord.from_attributes(data) if data else None

    def session_and_room(self, session_id: str) -> tuple[SessionRecord | None, str | None]:
        """The session and its room id, if one was opened: one batch read."""
        items = self.get_many([SessionRecord.key(session_id), room_key(session_id)])
        raw = items.get((f"SESSION#{session_id}", "SESSION"))
        room = items.get((f"SESSION#{session_id}", "ROOM"))
        return (SessionRecord.from_attributes(raw) if raw else None), (room["room_id"] if room else None)

    def claim_room(self, session_id: str, room_id: str, *, replacing: str | None) -> str:
        """Keep `room_id` as the session's room unless another request got there first (or,
        when `replacing` names an ended room, unless someone already replaced it); return
        the room everyone should join."""
        condition = "attribute_not_exists(pk)" if replacing is None else "room_id = :old"
        values = {":old": replacing} if replacing is not None else None
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item({**room_key(session_id), "entity": ENTITY_ROOM, "room_id": room_id}),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = to_item(values)
        try:
            self._client.put_item(**put)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            current = get_item(self._client, self.table, room_key(session_id))
            return str(current["room_id"]) if current else room_id
        return room_id

    # --- group commitments (what a booking must avoid) -------------------------------------

    def commit(self, person_id: str, *groups: GroupRecord) -> dict[str, Any]:
        """The person attends or leads each of `groups` from now on: one transaction write, since a
        transaction may touch the person's commitments item only once (seating someone in two
        groups in one booking must not be two writes of it)."""
        names = {f"#g{n}": commitment_attribute(g.group_id) for n, g in enumerate(groups)}
        values: dict[str, Any] = {f":c{n}": g.commitment() for n, g in enumerate(groups)}
        sets = ", ".join(f"#g{n} = :c{n}" for n in range(len(groups)))
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(commitments_key(person_id)),
                "UpdateExpression": f"SET {sets}, #e = :e ADD rev :one",
                "ExpressionAttributeNames": {**names, "#e": "entity"},
                "ExpressionAttributeValues": to_item({**values, ":e": ENTITY_COMMITMENTS, ":one": 1}),
            }
        }

    def uncommit(self, person_id: str, group_id: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(commitments_key(person_id)),
                "UpdateExpression": "REMOVE #g ADD rev :one",
                "ExpressionAttributeNames": {"#g": commitment_attribute(group_id)},
                "ExpressionAttributeValues": to_item({":one": 1}),
            }
        }

    def commitments_unchanged(self, person_id: str, item: dict[str, Any] | None) -> dict[str, Any]:
        """Guard a booking against a group enrolment that lands between its read and write."""
        check: dict[str, Any] = {"TableName": self.table, "Key": to_item(commitments_key(person_id))}
        if item is None:
            check["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            check["ConditionExpression"] = "rev = :rev"
            check["ExpressionAttributeValues"] = to_item({":rev": item.get("rev", 0)})
        return {"ConditionCheck": check}

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
                    "Key": to_item({"pk": f"SESSION#{after.session_id}", "sk": f"MEMBER#{person}"}),
                    "UpdateExpression": "SET #p = :p",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#p": "private"},
                    "ExpressionAttributeValues": to_item({":p": after.private}),
                }
            }
            for person in after.people
        ]
        self._transact_session([self._session_update(before, after), *members, audit_put])

    def busy_slots(self, person_id: str, start: datetime, end: datetime) -> set[datetime]:
        """The quarter-hours a person holds in [start, end): one Query of their reservations."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {":pk": f"BUSY#{person_id}", ":from": f"SLOT#{iso(start)}", ":to": f"SLOT#{iso(end)}"}
            ),
            ProjectionExpression="sk",
        )
        return {
            datetime.fromisoformat(from_item(item)["sk"].removeprefix("SLOT#"))
            for page in pages
            for item in page.get("Items", [])
        }

    def put_makeup_offer(self, offer: MakeupOfferRecord) -> bool:
        """Write the offer unless one exists already (a redelivered event changes nothing)."""
        try:
            self._client.put_item(
                TableName=self.table,
                Item=to_item(offer.to_attributes()),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def makeup_offers(self, person_id: str) -> list[MakeupOfferRecord]:
        response = self._client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues=to_item({":pk": f"PERSON#{person_id}", ":m": "MAKEUP#"}),
            ScanIndexForward=False,
        )
        return MakeupOfferRecord.readable(from_item(i) for i in response.get("Items", []))

    def accepted_offer_put(self, before: MakeupOfferRecord, after: MakeupOfferRecord) -> dict[str, Any]:
        """The offer's move to accepted, for the booking's transaction (only from open)."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(after.to_attributes()),
                "ConditionExpression": "#v = :expected AND #s = :open",
                "ExpressionAttributeNames": {"#v": "version", "#s": "status"},
                "ExpressionAttributeValues": to_item({":expected": before.version, ":open": "open"}),
            }
        }

    def put_group_attendance_mark(
        self, group_id: str, occurrence_start: datetime, person_id: str, week: str, status: str
    ) -> None:
        """The participant's attendance at one group occurrence, filed in their week so the
        week's one Query also says which group hours were attended (idempotent overwrite)."""
        item = {
            "pk": f"GROUP#{group_id}",
            "sk": f"ATTENDEE#{iso(occurrence_start)}#{person_id}",
            "entity": ENTITY_GROUP_ATTENDEE,
            "pw_pk": f"PW#{person_id}#{week}",
            "pw_sk": f"{iso(occurrence_start)}#{group_id}",
            "person_id": person_id,
            "group_id": group_id,
            "occurrence_start": iso(occurrence_start),
            "attendance": status,
        }
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def put_group_week(self, person_id: str, week: str, occurrences: list[dict[str, Any]]) -> None:
        """The participant's group occurrences of one week (overwritten whole on each refresh)."""
        item = {
            "pk": f"PERSON#{person_id}",
            "sk": f"GROUPWEEK#{week}",
            "entity": ENTITY_GROUP_WEEK,
            "pw_pk": f"PW#{person_id}#{week}",
            "pw_sk": f"~GROUPS#{week}",
            "person_id": person_id,
            "week": week,
            "occurrences": occurrences,
        }
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def put_intensity(self, week: str, person_id: str, figures: dict[str, Any]) -> None:
        """A participant's week figures, kept current by the stream consumer for the
        program-wide report (one Query per week instead of one per participant)."""
        item = {
            **intensity_key(week, person_id),
            "entity": ENTITY_INTENSITY,
            "participant_id": person_id,
            **figures,
        }
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def intensity_week(self, week: str) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"INTENSITY#{week}"}),
        )
        return [from_item(i) for page in pages for i in page.get("Items", [])]

    def all_participants(self) -> list[PersonRecord]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :kind",
            ExpressionAttributeValues=to_item({":kind": f"KIND#{PersonKind.PARTICIPANT.value}"}),
        )
        return PersonRecord.readable(from_item(i) for page in pages for i in page.get("Items", []))

    # --- calendar feeds ------------------------------------------------------------------------

    def set_feed(self, owner: Principal, token_hash: str, now: datetime, audit_put: dict[str, Any]) -> None:
        """Point the person's feed at a new token; the old token stops working in the same write."""
        person_id = owner.person_id
        pointer_key = {"pk": f"PERSON#{person_id}", "sk": "FEED"}
        current = get_item(self._client, self.table, pointer_key)
        old = current["token_hash"] if current else None
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        {
                            **feed_key(token_hash),
                            "entity": ENTITY_FEED,
                            "person_id": person_id,
                            "role": owner.role.value,
                            "username": owner.username,
                            "created_at": iso(now),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        {
                            **pointer_key,
                            "entity": ENTITY_FEED,
                            "token_hash": token_hash,
                            "created_at": iso(now),
                        }
                    ),
                    # Only over the pointer this request read, so no live token is ever orphaned.
                    **(
                        {
                            "ConditionExpression": "token_hash = :old",
                            "ExpressionAttributeValues": to_item({":old": old}),
                        }
                        if old
                        else {"ConditionExpression": "attribute_not_exists(pk)"}
                    ),
                }
            },
            audit_put,
        ]
        if old:
            items.append({"Delete": {"TableName": self.table, "Key": to_item(feed_key(old))}})
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("the calendar link changed meanwhile; retry") from exc
            raise

    def revoke_feed(self, person_id: str, audit_put: dict[str, Any]) -> bool:
        pointer_key = {"pk": f"PERSON#{person_id}", "sk": "FEED"}
        current = get_item(self._client, self.table, pointer_key)
        if current is None:
            return False
        old = current["token_hash"]
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self.table, "Key": to_item(feed_key(old))}},
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": to_item(pointer_key),
                            "ConditionExpression": "token_hash = :old",
                            "ExpressionAttributeValues": to_item({":old": old}),
                        }
                    },
                    audit_put,
                ]
            )
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("the calendar link changed meanwhile; retry") from exc
            raise
        return True

    def feed_owner(self, token_hash: str) -> Principal | None:
        data = get_item(self._client, self.table, feed_key(token_hash), consistent=False)
        if data is None:
            return None
        return Principal(person_id=data["person_id"], role=Role(data["role"]), username=data["username"])

    def calendar_items(self, person_id: str, since: datetime) -> list[dict[str, Any]]:
        """Sessions from `since` on, and group enrolments/facilitations: one Query (GSI1)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :p AND gsi1sk >= :since",
            ExpressionAttributeValues=to_item({":p": f"SCHED#{person_id}", ":since": iso(since)}),
        )
        return [from_item(i) for page in pages for i in page.get("Items", [])]

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
                Key=to_item({"pk": f"SESSION#{session_id}", "sk": f"MEMBER#{person_id}"}),
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

    def week(self, person_id: str, week: str) -> list[dict[str, Any]]:
        """A person's sessions in one ISO week (their zone): one Query of the participant/week index."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=PARTICIPANT_WEEK_INDEX,
            KeyConditionExpression="pw_pk = :pw",
            ExpressionAttributeValues=to_item({":pw": f"PW#{person_id}#{week}"}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

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

    def _reserve(self, reservation: Reservation) -> dict[str, Any]:
        expires = int((reservation.end + RESERVATION_TTL).timestamp())
        item = {
            **_reservation_key(reservation.person_id, reservation.slot),
            "entity": ENTITY_RESERVATION,
            "person_id": reservation.person_id,
            "session_id": reservation.session_id,
            "start": iso(reservation.start),
            "end": iso(reservation.end),
            "expires_at": expires,
        }
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _release(self, reservation: Reservation) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": to_item(_reservation_key(reservation.person_id, reservation.slot)),
                "ConditionExpression": "session_id = :sid",
                "ExpressionAttributeValues": to_item({":sid": reservation.session_id}),
            }
        }

    def _repoint(self, reservation: Reservation) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(_reservation_key(reservation.person_id, reservation.slot)),
                "UpdateExpression": "SET #s = :start, #e = :end, expires_at = :exp",
                "ConditionExpression": "session_id = :sid",
                "ExpressionAttributeNames": {"#s": "start", "#e": "end"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":start": iso(reservation.start),
                        ":end": iso(reservation.end),
                        ":exp": int((reservation.end + RESERVATION_TTL).timestamp()),
                        ":sid": reservation.session_id,
                    }
                ),
            }
        }

    def _transact_session(self, items: list[dict[str, Any]]) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
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
            if str(key.get("pk", "")).startswith("BUSY#") and "Put" in items[index]:
                held = from_item(reason.get("Item") or {})
                person = str(key["pk"]).removeprefix("BUSY#")
                start, end = held.get("start"), held.get("end")
                return Conflict(
                    f"{person} is already booked from {start} to {end}",
                    errors=[FieldError("body.start", "overlaps another session")],
                    conflict={"person_id": person, "start": start, "end": end},
                )
            if key.get("sk") == "COMMITMENTS":
                return Conflict("a group enrolment of one of the session's people changed meanwhile; retry")
            if key.get("sk") == "SERIES":
                return Conflict("the group no longer has seats for everyone (or people wait for them)")
            if str(key.get("sk", "")).startswith(("MEMBER#", "GROUP#")):
                return Conflict("already enrolled or waitlisted in one of the groups")
            if str(key.get("sk", "")).startswith("MAKEUP#"):
                return Conflict("this makeup offer was already taken up")
            if key.get("sk") == "SESSION":
                return PreconditionFailed(
                    "the session changed since you read it; fetch it again and retry",
                    errors=[FieldError("header.If-Match", "stale")],
                )
            return Conflict("the session's reservations changed underneath; fetch it again and retry")
        if code == "TransactionConflict":
            return Conflict("a concurrent booking touched the same people and times; retry")
    return Conflict("the booking could not be made; retry")


class GroupStore:
    """Group series, seats, rosters and waitlists (in the schedule table)."""

    def __init__(self, schedule: ScheduleStore) -> None:
        self._s = schedule
        self.table = schedule.table
        self._client = schedule._client

    def create(self, group: GroupRecord, audit_put: dict[str, Any]) -> None:
        self._client.transact_write_items(
            TransactItems=[
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
                                "pk": f"PERSON#{group.facilitator_id}",
                                "sk": f"FACILITATES#{group.group_id}",
                                "entity": ENTITY_GROUP_FACILITATION,
                                "status": EnrolmentStatus.ENROLLED.value,
                                "joined_at": group.first_start.isoformat(),
                                "gsi1pk": f"SCHED#{group.facilitator_id}",
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
            ExpressionAttributeValues=to_item({":g": "GROUPS"}),
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
                {":pk": f"GROUP#{group_id}", ":from": "MEMBER#", ":to": "WAIT#~"}
            ),
            ConsistentRead=True,
        )
        items = [from_item(i) for page in pages for i in page.get("Items", [])]
        series = next((i for i in items if i["sk"] == "SERIES"), None)
        members = [i for i in items if i["sk"].startswith("MEMBER#")]
        waiting = sorted((i for i in items if i["sk"].startswith("WAIT#")), key=lambda i: i["sk"])
        return (GroupRecord.from_attributes(series) if series else None), members, waiting

    # --- enrolment ---------------------------------------------------------------------------

    def _member_put(
        self, group: GroupRecord, person_id: str, now: datetime, couple_id: str | None
    ) -> dict[str, Any]:
        item = {
            "pk": f"GROUP#{group.group_id}",
            "sk": f"MEMBER#{person_id}",
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
            "pk": f"PERSON#{person_id}",
            "sk": f"GROUP#{group.group_id}",
            "entity": ENTITY_GROUP_ENROLMENT,
            "participant_id": person_id,
            "status": status.value,
            "since": iso(now),
            "joined_at": joined_at or (iso(now) if status is EnrolmentStatus.ENROLLED else None),
            "left_at": left_at,
            "wait_sk": wait_sk,
            "gsi1pk": f"SCHED#{person_id}",
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
            self._client.transact_write_items(TransactItems=seat)
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
        wait_sk = f"WAIT#{queued_at}#{participant_ids[0]}"
        wait_item = {
            "pk": f"GROUP#{group.group_id}",
            "sk": wait_sk,
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
            self._client.transact_write_items(TransactItems=waitlist)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("already enrolled or waitlisted in this group") from exc
            raise
        self.promote_waiting(group.group_id, now=now)
        _, waiting = self.roster(group.group_id)
        position = next((i + 1 for i, w in enumerate(waiting) if w["sk"] == wait_sk), None)
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
                        "Key": to_item({"pk": entry["pk"], "sk": entry["sk"]}),
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
                self._client.transact_write_items(TransactItems=items)
                seated += len(people)
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
        return seated

    def withdraw(
        self, group: GroupRecord, participant_id: str, *, now: datetime, audit_put: dict[str, Any]
    ) -> None:
        """Leave the group (or its waitlist) from now on; a freed seat goes to the waitlist."""
        pointer_key = {"pk": f"PERSON#{participant_id}", "sk": f"GROUP#{group.group_id}"}
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
            wait_key = {"pk": f"GROUP#{group.group_id}", "sk": pointer["wait_sk"]}
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
                    "Key": to_item({"pk": f"GROUP#{group.group_id}", "sk": f"MEMBER#{participant_id}"}),
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
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("the enrolment changed meanwhile; retry") from exc
            raise
        self.promote_waiting(group.group_id, now=now)

    # --- group attendance --------------------------------------------------------------------

    def series_and_attendance(
        self, group_id: str, start: datetime
    ) -> tuple[GroupRecord | None, dict[str, Any] | None]:
        items = self._s.get_many([GroupRecord.key(group_id), occurrence_key(group_id, start)])
        raw_group = items.get((f"GROUP#{group_id}", "SERIES"))
        return (GroupRecord.from_attributes(raw_group) if raw_group else None), items.get(
            (f"GROUP#{group_id}", f"OCC#{iso(start)}")
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
            **occurrence_key(group.group_id, start),
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
            self._client.transact_write_items(TransactItems=[{"Put": put}, audit_put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("attendance for this occurrence changed meanwhile; retry") from exc
            raise
