"""Schedule's publisher: the one translator from the changes of schedule's table to the domain
events it publishes (`functions/contracts/schedule.py`), and the stream function that puts
them on the schedule-events topic.

Only this module (with the stores) knows both schedule's item shapes and the published
events; coverage and notify see the events alone. A stream record yields at most a few
events, published in the stream's order: the first record that cannot be published stops
the batch (the ones after it are not published out of order), and the stream retries from
it. A retried record publishes events with the same ids, which the FIFO topic drops as
duplicates within its five-minute window and consumers recognise by revision after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.failures import failure_frames
from functions.common.models import utc_now
from functions.common.observability import logger
from functions.common.published import TopicPublisher
from functions.common.streams import Change, to_change
from functions.contracts import schedule as contract
from functions.schedule import keys
from functions.schedule.logic.booking import week_of
from functions.schedule.vocabulary import (
    ENTITY_COUPLE,
    ENTITY_GROUP_ATTENDANCE,
    ENTITY_GROUP_ENROLMENT,
    ENTITY_GROUP_WEEK,
    ENTITY_MAKEUP_OFFER,
    ENTITY_PART2_CONSENT,
    ENTITY_PERSON,
    ENTITY_SESSION,
    SessionEvent,
)

Translate = Callable[[dict[str, Any], dict[str, Any] | None], tuple[str, str, dict[str, Any]] | None]
"""(new image, old image) -> (event type, subject, data), or None when the change publishes nothing."""

_SESSION_TYPES = {
    SessionEvent.BOOKED.value: "session.booked",
    SessionEvent.RESCHEDULED.value: "session.rescheduled",
    SessionEvent.CANCELLED.value: "session.cancelled",
    SessionEvent.ATTENDANCE_RECORDED.value: "attendance.recorded",
}


def _person(new: dict[str, Any], _old: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]] | None:
    if keys.kind_of(new) is not keys.ItemKind.PERSON:
        return None
    data = {
        "person_id": new["person_id"],
        "kind": new["kind"],
        "revision": int(new.get("version") or 1),
        "email": new.get("email"),
        "phone": new.get("phone"),
        "time_zone": new["time_zone"],
        "active": not new.get("deactivated_at"),
    }
    return "person.changed", f"person/{new['person_id']}", data


def _couple(new: dict[str, Any], _old: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]] | None:
    if keys.kind_of(new) is not keys.ItemKind.COUPLE:
        return None
    data = {
        "couple_id": new["couple_id"],
        "revision": int(new.get("version") or 1),
        "partner_ids": list(new["partner_ids"]),
    }
    return "couple.changed", f"couple/{new['couple_id']}", data


def _session(new: dict[str, Any], old: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]] | None:
    kind = _SESSION_TYPES.get(str(new.get("event") or SessionEvent.BOOKED.value))
    if kind is None:
        return None
    if old is not None and int(old.get("version") or 1) == int(new.get("version") or 1):
        return None  # a rewrite of the same revision (no change of the session itself)
    zones = {str(p): str(z) for p, z in (new.get("time_zones") or {}).items()}
    start = datetime.fromisoformat(str(new["start"]))
    people = dict.fromkeys((*(new.get("attendee_ids") or ()), *(new.get("clinician_ids") or ())))
    previous = None
    if old is not None:
        was = datetime.fromisoformat(str(old["start"]))
        old_zones = {str(p): str(z) for p, z in (old.get("time_zones") or {}).items()}
        previous = {
            "status": old.get("status") or "booked",
            "start": old["start"],
            "end": old["end"],
            "attendance": dict(old.get("attendance") or {}),
            "weeks": {
                str(p): week_of(was, old_zones.get(str(p), "UTC"))
                for p in dict.fromkeys((*(old.get("attendee_ids") or ()), *(old.get("clinician_ids") or ())))
            },
        }
    data = {
        "session_id": new["session_id"],
        "revision": int(new.get("version") or 1),
        "type": new["type"],
        "status": new.get("status") or "booked",
        "start": new["start"],
        "end": new["end"],
        "clinician_ids": list(new.get("clinician_ids") or ()),
        "attendee_ids": list(new.get("attendee_ids") or ()),
        "couple_id": new.get("couple_id"),
        "time_zones": zones,
        "weeks": {str(p): week_of(start, zones.get(str(p), "UTC")) for p in people},
        "attendance": dict(new.get("attendance") or {}),
        "private": bool(new.get("private")),
        "previous": previous,
    }
    return kind, f"session/{new['session_id']}", data


def _makeup(new: dict[str, Any], old: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]] | None:
    if old is not None or (new.get("status") or "open") != "open":
        return None  # only a new, open offer is an event (accepting or expiring it is schedule's)
    data = {
        "person_id": new["person_id"],
        "missed_session_id": new["missed_session_id"],
        "missed_type": new["missed_type"],
        "week": new["week"],
        "options": [
            {"kind": o.get("kind"), "start": o.get("start"), "end": o.get("end")}
            for o in new.get("options") or ()
            if isinstance(o, dict)
        ],
        "revision": int(new.get("version") or 1),
    }
    return "makeup.offered", f"makeup/{new['person_id']}/{new['missed_session_id']}", data


def _enrolment(new: dict[str, Any], old: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]] | None:
    fields = (
        "participant_id",
        "group_id",
        "group_type",
        "title",
        "facilitator_id",
        "rrule",
        "first_start",
        "time_zone",
        "duration_minutes",
        "status",
        "since",
        "joined_at",
        "left_at",
    )
    data = {name: new.get(name) for name in fields}
    data["previous_status"] = old.get("status") if old else None
    return "enrolment.changed", f"enrolment/{new['group_id']}/{new['participant_id']}", data


def _group_attendance(
    new: dict[str, Any], old: dict[str, Any] | None
) -> tuple[str, str, dict[str, Any]] | None:
    data = {
        "group_id": new["group_id"],
        "group_type": new["group_type"],
        "occurrence_start": new["occurrence_start"],
        "occurrence_end": new["occurrence_end"],
        "revision": int(new.get("version") or 1),
        "attendance": dict(new.get("attendance") or {}),
        "previous_attendance": dict((old or {}).get("attendance") or {}),
    }
    return "group_attendance.recorded", f"group-occurrence/{new['group_id']}/{new['occurrence_start']}", data


def _group_week(new: dict[str, Any], old: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]] | None:
    if old is not None and old.get("occurrences") == new.get("occurrences"):
        return None  # refreshed, unchanged
    data = {
        "person_id": new["person_id"],
        "week": new["week"],
        "occurrences": [dict(o) for o in new.get("occurrences") or ()],
    }
    return "group_week.planned", f"group-week/{new['person_id']}/{new['week']}", data


def _consent(new: dict[str, Any], _old: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]] | None:
    data = {
        "participant_id": new["participant_id"],
        "consent_id": new["consent_id"],
        "revision": int(new.get("version") or 1),
        "recipient_ids": sorted(str(r) for r in new.get("recipient_ids") or ()),
        "expires_on": new.get("expires_on"),
        "revoked": new.get("revoked_at") is not None,
    }
    return "consent.changed", f"consent/{new['participant_id']}/{new['consent_id']}", data


TRANSLATORS: dict[str, Translate] = {
    ENTITY_PERSON: _person,
    ENTITY_COUPLE: _couple,
    ENTITY_SESSION: _session,
    ENTITY_MAKEUP_OFFER: _makeup,
    ENTITY_GROUP_ENROLMENT: _enrolment,
    ENTITY_GROUP_ATTENDANCE: _group_attendance,
    ENTITY_GROUP_WEEK: _group_week,
    ENTITY_PART2_CONSENT: _consent,
}
"""The entity types whose changes are published (the stream filter of the publisher)."""


def translate(change: Change, *, occurred_at: datetime | None = None) -> list[contract.AnyEvent]:
    """The events one change of schedule's table publishes (none for most changes, and none
    for a removal: schedule removes nothing the other domains know of)."""
    translator = TRANSLATORS.get(change.entity)
    if translator is None or change.new is None:
        return []
    found = translator(change.new, change.old)
    if found is None:
        return []
    kind, subject, data = found
    event = {
        "id": f"{change.sequence_number or subject}-{kind}",
        "type": kind,
        "version": contract.VERSION,
        "source": contract.SOURCE,
        "subject": subject,
        "occurred_at": (occurred_at or change.created_at or utc_now()).astimezone(UTC).isoformat(),
        "data": data,
    }
    return [contract.parse(event)]


class PublishSettings(Settings):
    schedule_events_topic_arn: str = Field(alias="SCHEDULE_EVENTS_TOPIC_ARN")


SETTINGS = PublishSettings


def publish_records(records: Iterable[dict[str, Any]], publisher: TopicPublisher) -> dict[str, Any]:
    """Publish each record's events in order; at the first record that fails, stop and report
    it (the stream retries from there, so nothing after it goes out ahead of it)."""
    published = 0
    for raw in records:
        change = to_change(raw)
        try:
            events = translate(change)
            publisher.publish(events)
        except Exception as exc:  # noqa: BLE001 - reported to the stream, which retries the record
            logger.error(
                "schedule event not published; the stream retries from this record",
                extra={"entity": change.entity, "error": type(exc).__name__, "at": failure_frames(exc)},
            )
            return {"batchItemFailures": [{"itemIdentifier": change.sequence_number}]}
        published += len(events)
    logger.info("schedule events published", extra={"events": published})
    return {"batchItemFailures": []}


def _publish(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(PublishSettings)
    return publish_records(
        event.get("Records") or [], TopicPublisher(aws.client("sns"), settings.schedule_events_topic_arn)
    )


lambda_handler = background_entry("schedule", _publish)
