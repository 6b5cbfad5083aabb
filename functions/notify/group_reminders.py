"""The hourly group-reminder job: reminders of the group occurrences ahead.

Group occurrences are not stored anywhere: a booked session's stream record plans its
reminders, but a series' occurrences exist only as its RRULE. So every hour this job
reads every active series item (gsi1 `GSERIES`; no Scan), expands each person's
occurrences within their horizon (their longest reminder offset plus two hours, at least
26 hours ahead) and writes the reminders not written yet, with ids
`grem.<group>.<occurrence>.<person>.<channel>.<offset>`: repeated runs create nothing
twice, and a run after an outage catches up (`logic.groups.CATCH_UP`). Quiet hours and the
SMS limits apply as to session reminders (same planning path; the sender enforces limits).

Each write is conditioned on the series item's revision and the person still enrolled, so
a withdrawal that lands meanwhile wins and no reminder of it is resurrected.

Facilitators. The bucket holds the facilitators' series items too (kept by the enrolment
stream handler with the participants' items: active while anyone is enrolled under them),
planned the same way from the facilitator's own preferences, once per occurrence, channel
and offset however many participants there are. Before planning, the job puts any enrolled
participant its facilitator's item does not list yet into it (items recorded before
facilitators had one), conditioned on the participant's item being unchanged since it was
read, so a withdrawal meanwhile wins here too; the ending of a facilitator's item (its last
participant gone) is the stream handler's, in the withdrawal's own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import aws
from functions.common.config import load_settings
from functions.common.entry import background_entry
from functions.common.models import utc_now
from functions.common.observability import logger, metrics
from functions.notify.jobs import JobSettings, once_an_hour
from functions.notify.logic.groups import plan_group_reminders
from functions.notify.logic.reminders import Recipient
from functions.notify.models import GroupSeries
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import MessageStatus, SeriesRole

JOB = "group_reminders"
SETTINGS = JobSettings


class GroupRemindersIncomplete(RuntimeError):
    """Some series could not be planned; the next run tries again."""


def plan_series(store: NotifyStore, series: GroupSeries, person: Recipient, now: datetime) -> int:
    """Write one series' missing reminders; how many were written."""
    plan = plan_group_reminders(series, person, now)
    written = store.existing_messages(m.message_id for m in plan.messages)
    new = [m for m in plan.messages if m.message_id not in written]
    if not new and plan.reminders == series.reminders:
        return 0
    if not store.write_group_reminders(series, new, plan.reminders):
        # Withdrawn, or another run wrote them meanwhile: the next run sees which.
        logger.info("group series moved on while planning", extra={"group_id": series.group_id})
        return 0
    return sum(1 for m in new if m.status is MessageStatus.PENDING)


def facilitators_of(store: NotifyStore, read: Sequence[GroupSeries]) -> tuple[list[GroupSeries], int]:
    """The active facilitators' items (as read, or as the catch-up left them) and how many
    participants could not be put into theirs."""
    held = {(s.person_id, s.group_id): s for s in read if s.role is SeriesRole.FACILITATOR}
    failed = 0
    for one in read:
        if one.role is not SeriesRole.PARTICIPANT or one.facilitator_id is None:
            continue
        key = (one.facilitator_id, one.group_id)
        item = held.get(key)
        if item is not None and one.person_id in item.participants:
            continue
        try:
            joined = store.join_facilitator(one)
        except Exception:  # noqa: BLE001 - one series' failure must not stop the run
            failed += 1
            logger.exception("facilitator's series not kept", extra={"group_id": one.group_id})
            continue
        if joined is not None:
            held[key] = joined
    return [s for s in held.values() if s.active], failed


def remind_groups(store: NotifyStore, now: datetime) -> dict[str, Any]:
    """Plan every active series' reminders (participants' and facilitators'); raise at the
    end when any series failed."""
    read = list(store.active_series())
    facilitators, failed = facilitators_of(store, read)
    series = [s for s in read if s.role is SeriesRole.PARTICIPANT] + facilitators
    preferences = store.get_preferences_many(s.person_id for s in series)
    planned = 0
    for one in series:
        person = Recipient.of(one.person_id, preferences.get(one.person_id), fallback_zone=one.time_zone)
        try:
            planned += plan_series(store, one, person, now)
        except Exception:  # noqa: BLE001 - one series' failure must not stop the run
            failed += 1
            logger.exception("group series not planned", extra={"group_id": one.group_id})
    metrics.add_metric(name="GroupRemindersPlanned", unit="Count", value=planned)
    if failed:
        raise GroupRemindersIncomplete(f"{failed} of {len(series)} series not planned")
    return {"series": len(series), "planned": planned}


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store = NotifyStore(load_settings(JobSettings).notify_table, aws.client("dynamodb"))
    now = utc_now()
    return once_an_hour(store, JOB, now, lambda: remind_groups(store, now))


lambda_handler = background_entry("notify", _run)
