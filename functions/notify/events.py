"""Notify's subscriber to schedule's published events (`functions/contracts/schedule.py`):
session changes -> reminders and notices, makeup offers -> missed-session follow-ups, group
enrolments -> the person's series item and their facilitator's (which the hourly job plans
occurrence reminders from; a withdrawal retires the person's, and the last participant's
withdrawal, or the last one moving to another facilitator, the facilitator's) and, for those
seated from the waitlist, promotion notices, all in the outbox (the minute sweep sends them
when due); profiles -> the contact details and activity kept in preferences.

Notify reads the events alone, never schedule's items. One session event is applied as one
transaction conditioned on notify's marker of the session (its revision), so a redelivered
event creates nothing twice and a stale one never brings back reminders a later change
removed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import utc_now
from functions.common.observability import logger
from functions.common.published import EventHandler, process_events
from functions.contracts import schedule as contract
from functions.notify.logic.followups import plan_missed_session
from functions.notify.logic.groups import series_change
from functions.notify.logic.preferences import ProfileContact, mirror_profile
from functions.notify.logic.reminders import SessionSnapshot, plan_session_change, recipients_of
from functions.notify.logic.waitlist import is_promotion, plan_promotion
from functions.notify.store import Applied, NotifyStore

MAX_TRIES = 3
"""Plans made again when a reminder to retire was claimed between reading and writing."""


class EventsSettings(Settings):
    notify_table: str = Field(alias="NOTIFY_TABLE")


SETTINGS = EventsSettings


class SessionChangeRaced(RuntimeError):
    """The change could not be applied; the queue delivers the event again."""


def apply_session_change(
    event: contract.SessionEvent, store: NotifyStore, *, now: datetime
) -> Applied | None:
    """Apply one session event; None when it asks nothing of notify (or was applied)."""
    if event.type == "attendance.recorded":
        return None  # attendance is coverage's and schedule's business
    session, old = SessionSnapshot.from_event(event)
    recipients = recipients_of(session, store.get_preferences_many(session.people))
    log = {"session_id": session.session_id, "version": session.version, "event": session.event}
    for _ in range(MAX_TRIES):
        marker = store.get_session_notices(session.session_id)
        plan = plan_session_change(session, old=old, marker=marker, recipients=recipients, now=now)
        if plan is None:
            logger.info("session change already applied or stale", extra=log)
            return None
        outcome = store.apply_session_plan(plan)
        if outcome is Applied.APPLIED:
            logger.info(
                "session change applied",
                extra={**log, "messages": len(plan.messages), "retired": len(plan.retire)},
            )
            return outcome
        logger.info("session change raced; planning again", extra={**log, "outcome": outcome.value})
    raise SessionChangeRaced(f"session {session.session_id} v{session.version} kept racing")


def apply_makeup_offer(event: contract.MakeupOffered, store: NotifyStore, *, now: datetime) -> bool:
    """A new makeup offer -> the missed-session follow-up with its options; False when it was
    written before."""
    offer = event.data.model_dump(mode="json")
    messages = plan_missed_session(offer, store.get_preferences(event.data.person_id), now)
    written = store.put_new_messages(messages)
    logger.info(
        "missed-session follow-up planned" if written else "missed-session follow-up already planned",
        extra={"session_id": event.data.missed_session_id, "messages": len(messages)},
    )
    return written


def _enrolment_images(event: contract.EnrolmentChanged) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The enrolment as it is and (its status) as it was, in the shape notify's group logic reads."""
    new = event.data.model_dump(mode="json", exclude={"previous_status"})
    old = {"status": event.data.previous_status} if event.data.previous_status else None
    return new, old


def apply_group_enrolment(event: contract.EnrolmentChanged, store: NotifyStore, *, now: datetime) -> bool:
    """A waitlisted participant seated -> the promotion notice naming the next occurrence;
    False when there was nothing to do or it was written before."""
    new, old = _enrolment_images(event)
    if not is_promotion(new, old):
        return False
    messages = plan_promotion(new, store.get_preferences(event.data.participant_id), now)
    if not messages:
        logger.info("waitlist promotion: nothing ahead to announce", extra={"group_id": event.data.group_id})
        return False
    written = store.put_new_messages(messages)
    logger.info(
        "waitlist promotion planned" if written else "waitlist promotion already planned",
        extra={"group_id": event.data.group_id, "messages": len(messages)},
    )
    return written


def apply_group_series(event: contract.EnrolmentChanged, store: NotifyStore) -> bool:
    """Keep notify's item of the person's place in the series (enrolled), or end it
    (withdrawn) and retire their group reminders still pending, with the facilitator's item
    kept in step (joined; left, and ended with its pending reminders when they were its
    last participant); False when the event asks nothing of it or is older than what was
    applied."""
    planned = series_change(*_enrolment_images(event))
    if planned is None:
        return False
    outcome = store.apply_series_change(planned)
    logger.info(
        "group series ended" if planned.end else "group series recorded",
        extra={
            "group_id": planned.series.group_id,
            "stale": outcome.stale,
            "retired": len(outcome.retired),
            "facilitator_items": len(outcome.facilitators),
            "facilitator_ended": sum(1 for f in outcome.facilitators if not f.active),
        },
    )
    return not outcome.stale


def apply_profile(event: contract.PersonChanged, store: NotifyStore, *, now: datetime) -> bool:
    """Mirror a person's profile into their preferences (email, mobile number, deactivation);
    False when the event is stale or changes nothing notify keeps. A person's own change of
    their preferences between the read and the write makes the queue deliver the event again."""
    contact = ProfileContact.from_event(event.data)
    current = store.get_preferences(contact.person_id)
    record = mirror_profile(contact, current, now=now)
    if record is None:
        return False
    store.put_preferences(
        record,
        expected_version=current.version if current else 0,
        previous_phone=current.phone if current else None,
    )
    logger.info("profile mirrored", extra={"deactivated": contact.deactivated})
    return True


def _store() -> NotifyStore:
    return NotifyStore(load_settings(EventsSettings).notify_table, aws.client("dynamodb"))


def _on_session(event: Any) -> None:
    apply_session_change(event, _store(), now=utc_now())


def _on_makeup_offer(event: Any) -> None:
    apply_makeup_offer(event, _store(), now=utc_now())


def _on_enrolment(event: Any) -> None:
    store = _store()
    apply_group_series(event, store)
    apply_group_enrolment(event, store, now=utc_now())


def _on_profile(event: Any) -> None:
    apply_profile(event, _store(), now=utc_now())


HANDLERS: dict[str, EventHandler] = {
    "person.changed": _on_profile,
    **dict.fromkeys(("session.booked", "session.rescheduled", "session.cancelled"), _on_session),
    "makeup.offered": _on_makeup_offer,
    "enrolment.changed": _on_enrolment,
}
"""The event types notify subscribes to (its catalog entry's `subscribes`) and their handlers."""


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_events(event, context, contract.parse, HANDLERS)


lambda_handler = background_entry("notify", _consume)
