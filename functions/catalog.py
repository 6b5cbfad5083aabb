"""Every Lambda entry point of Tandem and what it may touch, declared once.

infra/ builds one function (with its own least-privilege role) per entry point from
this list; local/ wires the same entry points to its gateway, stream poller, minute
sweep and queue poller. Nothing here imports boto3 or the handlers themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from functions.common import tables

Trigger = Literal["api", "stream", "schedule", "queue"]
Access = Literal["read", "write", "readwrite", "append"]


@dataclass(frozen=True)
class TableGrant:
    table: tables.TableDef
    access: Access
    index: str | None = None
    """When set, the grant covers only this index (Query), never the base table."""


@dataclass(frozen=True)
class Entrypoint:
    id: str
    """CDK construct id and local name, e.g. ``ScheduleApi``."""
    domain: Literal["schedule", "coverage", "notify"]
    handler: str
    """Dotted path of the Lambda handler, ``module.function``."""
    trigger: Trigger
    grants: tuple[TableGrant, ...] = ()
    stream_filters: tuple[dict[str, Any], ...] = ()
    """Lambda event-source filter patterns over the schedule table's stream records."""
    sends_to_queue: bool = False
    sends_email: bool = False
    sends_sms: bool = False
    uses_video_rooms: bool = False
    """Creates Amazon Chime SDK meetings and attendees (the video-room adapter)."""
    description: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def function_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


_AUDIT = TableGrant(tables.AUDIT, "append")
_IDEMPOTENCY = TableGrant(tables.IDEMPOTENCY, "readwrite")


def _entity_filter(*entities: str, events: tuple[str, ...] = ()) -> dict[str, Any]:
    """Records whose new image is one of these entity types (inserts and modifies),
    optionally only those whose `event` attribute is one of `events`."""
    image: dict[str, Any] = {"entity": {"S": list(entities)}}
    if events:
        image["event"] = {"S": list(events)}
    return {"dynamodb": {"NewImage": image}}


ENTRYPOINTS: tuple[Entrypoint, ...] = (
    Entrypoint(
        id="ScheduleApi",
        domain="schedule",
        handler="functions.schedule.handler.lambda_handler",
        trigger="api",
        grants=(TableGrant(tables.SCHEDULE, "readwrite"), _AUDIT, _IDEMPOTENCY),
        uses_video_rooms=True,
        description="Scheduling routes: people, care teams, sessions, groups, plans.",
    ),
    Entrypoint(
        id="ScheduleEvents",
        domain="schedule",
        handler="functions.schedule.events.lambda_handler",
        trigger="stream",
        grants=(TableGrant(tables.SCHEDULE, "readwrite"),),
        stream_filters=(_entity_filter("SESSION", "GROUP_ENROLMENT", "GROUP_ATTENDANCE"),),
        description="Schedule-table stream consumer: misses -> makeup offers; weeks -> intensity figures.",
    ),
    Entrypoint(
        id="CoverageApi",
        domain="coverage",
        handler="functions.coverage.handler.lambda_handler",
        trigger="api",
        grants=(
            TableGrant(tables.COVERAGE, "readwrite"),
            TableGrant(tables.SCHEDULE, "read", index=tables.PARTICIPANT_WEEK_INDEX),
            _AUDIT,
            _IDEMPOTENCY,
        ),
        description="Coverage routes: plans, eligibility, estimates, authorizations.",
    ),
    Entrypoint(
        id="CoverageEvents",
        domain="coverage",
        handler="functions.coverage.events.lambda_handler",
        trigger="stream",
        grants=(TableGrant(tables.COVERAGE, "readwrite"), _IDEMPOTENCY),
        stream_filters=(_entity_filter("SESSION"),),
        description="Schedule-table stream consumer: attendance -> accumulators and authorization units.",
    ),
    Entrypoint(
        id="NotifyApi",
        domain="notify",
        handler="functions.notify.handler.lambda_handler",
        trigger="api",
        grants=(TableGrant(tables.NOTIFY, "readwrite"), _AUDIT, _IDEMPOTENCY),
        description="Notification routes: contact preferences, consent, message history.",
    ),
    Entrypoint(
        id="NotifyEvents",
        domain="notify",
        handler="functions.notify.events.lambda_handler",
        trigger="stream",
        grants=(TableGrant(tables.NOTIFY, "readwrite"), _IDEMPOTENCY),
        stream_filters=(_entity_filter("SESSION", "MAKEUP_OFFER"),),
        description="Schedule-table stream consumer: session changes, makeup offers -> reminders, messages.",
    ),
    Entrypoint(
        id="NotifySweep",
        domain="notify",
        handler="functions.notify.sweep.lambda_handler",
        trigger="schedule",
        grants=(TableGrant(tables.NOTIFY, "readwrite"),),
        sends_to_queue=True,
        description="Every minute: move due outbox messages onto the send queue.",
    ),
    Entrypoint(
        id="NotifySend",
        domain="notify",
        handler="functions.notify.send.lambda_handler",
        trigger="queue",
        grants=(TableGrant(tables.NOTIFY, "readwrite"), _IDEMPOTENCY),
        sends_email=True,
        sends_sms=True,
        description="Send queue consumer: deliver each message once by email (SES) or SMS (SNS).",
    ),
)

API_DOMAINS: tuple[str, ...] = ("schedule", "coverage", "notify")


def api_entrypoint(domain: str) -> Entrypoint:
    for entry in ENTRYPOINTS:
        if entry.trigger == "api" and entry.domain == domain:
            return entry
    raise KeyError(domain)


# Environment variables shared by every function, besides one per granted table.
QUEUE_URL_ENV = "NOTIFY_QUEUE_URL"
SENDER_EMAIL_ENV = "SENDER_EMAIL"


def resource_env_vars(entry: Entrypoint) -> set[str]:
    """The variables naming AWS resources that an entry point's environment carries."""
    names = {grant.table.env_var for grant in entry.grants}
    if entry.sends_to_queue or entry.trigger == "queue":
        names.add(QUEUE_URL_ENV)
    if entry.sends_email:
        names.add(SENDER_EMAIL_ENV)
    return names
