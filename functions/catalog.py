"""Every Lambda entry point of Tandem and what it may touch, declared once.

infra/ builds one function (with its own least-privilege role) per entry point from
this list; local/ wires the same entry points to its gateway, stream poller, minute
sweep, nightly runner, queue poller and event poller. Nothing here imports boto3 or the
handlers themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any, Final, Literal

from functions.common import tables

Trigger = Literal["api", "stream", "schedule", "queue", "event", "topic", "subscription"]
"""`event`: a rule on the program's event bus (`event_pattern`) invokes the function
asynchronously with one EventBridge event. `topic`: a subscription to the inbound-SMS topic
(AWS End User Messaging two-way SMS publishes each text people send to the program's number
to it) invokes the function asynchronously with one SNS message. `subscription`: the entry
point's own SQS FIFO queue, subscribed to the schedule-events topic for the event types it
`subscribes` to (`functions/contracts/schedule.py`), delivers them in batches, in order per
subject."""
Access = Literal["read", "write", "readwrite", "append"]

EVERY_MINUTE: Final = "rate(1 minute)"
"""The EventBridge schedule of the minute sweep (and the default of every schedule entry)."""
DEFAULT_TIMEOUT_SECONDS: Final[dict[Trigger, int]] = {
    "api": 10,
    "stream": 60,
    "schedule": 60,
    "queue": 30,
    "event": 30,
    "topic": 30,
    "subscription": 60,
}
"""A function's timeout unless its entry point names its own."""
MAX_TIMEOUT_SECONDS: Final = 900
"""Lambda's ceiling."""
_DAILY_CRON = re.compile(r"cron\((?P<minute>[0-5]?\d) (?P<hour>[01]?\d|2[0-3]) \* \* \? \*\)")


def daily_at(expression: str) -> time | None:
    """The time of day (UTC, as EventBridge reads cron) of a daily `cron(M H * * ? *)` schedule;
    None for any other expression."""
    found = _DAILY_CRON.fullmatch(expression)
    if found is None:
        return None
    return time(int(found["hour"]), int(found["minute"]))


@dataclass(frozen=True)
class TableGrant:
    table: tables.TableDef
    access: Access
    index: str | None = None
    """When set, the grant covers only this index (Query), never the base table."""
    partition: str | None = None
    """When set (a `read` grant only), the grant is GetItem on the base table's items whose
    partition key starts with this prefix, e.g. `COUPLE#`, and nothing else."""
    attributes: tuple[str, ...] | None = None
    """With `partition`: the only attributes those reads may return (a projection)."""
    query: bool = False
    """With `partition`: the grant is Query of those partitions, not GetItem."""

    def __post_init__(self) -> None:
        if self.partition is not None and (self.access != "read" or self.index is not None):
            raise ValueError("a partition grant is a read of base-table items only")
        if (self.attributes is not None or self.query) and self.partition is None:
            raise ValueError("attributes and query narrow a partition grant only")


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
    subscribes: tuple[str, ...] = ()
    """For `trigger="subscription"`: the schedule event types (`functions.contracts.schedule.TYPES`)
    its queue receives (the subscription's filter policy on the `type` message attribute)."""
    publishes_schedule_events: bool = False
    """Publishes schedule's domain events on the schedule-events topic (`sns:Publish` on that
    topic alone, its ARN in `SCHEDULE_EVENTS_TOPIC_ENV`)."""
    event_pattern: dict[str, Any] = field(default_factory=dict)
    """For `trigger="event"`: the EventBridge event pattern of the rule on the program's bus
    that invokes this entry point (locally: the rule routing to its event queue)."""
    emits_events: bool = False
    """Puts events on the program's EventBridge bus (`events:PutEvents` on that bus alone, its
    name in `EVENT_BUS_ENV`)."""
    notifies_coordinators: bool = False
    """Addresses the program's coordinators, whose person ids it is given (comma-separated) in
    `COORDINATOR_ALERT_IDS_ENV` from the deployment setting `coordinator_alert_ids`."""
    shows_part2: bool = False
    """Shows participants' 42 CFR Part 2 records, so is given the program's Part 2 settings
    (`PART2_EXTRA_TYPES`, `PART2_COORDINATORS`) from the deployment's `part2_*` context."""
    sends_to_queue: bool = False
    watches_dead_letters: bool = False
    """Reads how many messages wait on the send queue's dead-letter queue (`sqs:GetQueueAttributes`
    on that queue alone, its URL in `DLQ_URL_ENV`)."""
    sends_email: bool = False
    sends_sms: bool = False
    uses_video_rooms: bool = False
    """Creates Amazon Chime SDK meetings and attendees (the video-room adapter)."""
    uses_clearinghouse: bool = False
    """Sends 270 eligibility inquiries to the clearinghouse over HTTPS, with the vendor-issued
    credentials read from one Secrets Manager secret (the `CLEARINGHOUSE_ENV` variables)."""
    manages_sign_ins: bool = False
    """Keeps people's Cognito sign-ins in step with their profiles (`functions/schedule/accounts.py`):
    names both user pools (`USER_POOL_ENV`, `STAFF_USER_POOL_ENV`) and may manage their users."""
    checks_readiness: bool = False
    """Serves the readiness check (`GET /health/ready`): probes every one of `dependencies()`
    with metadata-only calls (DescribeTable, GetQueueAttributes, GetSendQuota, GetSMSAttributes,
    DescribeEventBus), so it is given every dependency's name and those actions alone, no data."""
    schedule: str = EVERY_MINUTE
    """For `trigger="schedule"`: the EventBridge schedule expression, either `EVERY_MINUTE` (the
    local minute sweep runs it) or a daily `cron(M H * * ? *)` in UTC (the local nightly runner)."""
    timeout_seconds: int | None = None
    """The function's timeout; None for its trigger's `DEFAULT_TIMEOUT_SECONDS`."""
    description: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.trigger == "schedule" and self.schedule != EVERY_MINUTE and daily_at(self.schedule) is None:
            raise ValueError(f"{self.id}: schedule must be {EVERY_MINUTE!r} or cron(M H * * ? *)")
        if self.trigger != "schedule" and self.schedule != EVERY_MINUTE:
            raise ValueError(f"{self.id}: only schedule-trigger entry points have a schedule")
        if (self.trigger == "event") != bool(self.event_pattern):
            raise ValueError(f"{self.id}: an event_pattern is required for, and only for, trigger 'event'")
        if self.stream_filters and self.trigger != "stream":
            raise ValueError(f"{self.id}: only stream-trigger entry points have stream_filters")
        if (self.trigger == "subscription") != bool(self.subscribes):
            raise ValueError(f"{self.id}: subscribes is required for, and only for, trigger 'subscription'")
        if self.timeout_seconds is not None and not 1 <= self.timeout_seconds <= MAX_TIMEOUT_SECONDS:
            raise ValueError(f"{self.id}: timeout_seconds must be 1..{MAX_TIMEOUT_SECONDS}")

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def function_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    @property
    def timeout(self) -> int:
        """The function's timeout in seconds (its own, else its trigger's default)."""
        return self.timeout_seconds or DEFAULT_TIMEOUT_SECONDS[self.trigger]

    @property
    def every_minute(self) -> bool:
        """A schedule entry point run by the minute rule (locally: the minute sweep)."""
        return self.trigger == "schedule" and self.schedule == EVERY_MINUTE

    @property
    def daily(self) -> time | None:
        """For a daily schedule entry point, its time of day in UTC."""
        return daily_at(self.schedule) if self.trigger == "schedule" else None


COVERAGE_EVENT_SOURCE: Final = "tandem.coverage"
"""The `source` of the events coverage puts on the program's bus (`functions.coverage.alerts.SOURCE`)."""

_AUDIT = TableGrant(tables.AUDIT, "append")
_IDEMPOTENCY = TableGrant(tables.IDEMPOTENCY, "readwrite")


PUBLISHED_ENTITIES: Final = (
    "PERSON",
    "COUPLE",
    "SESSION",
    "MAKEUP_OFFER",
    "GROUP_ENROLMENT",
    "GROUP_ATTENDANCE",
    "GROUP_WEEK",
    "PART2_CONSENT",
)
"""The schedule items whose changes schedule's translator publishes (its `TRANSLATORS`)."""


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
        grants=(
            TableGrant(tables.SCHEDULE, "readwrite"),
            _AUDIT,
            # A participant's Part 2 disclosure list (42 CFR 2.24): the only audit it reads back
            TableGrant(tables.AUDIT, "read", partition=tables.DISCLOSURE_PARTITION, query=True),
            _IDEMPOTENCY,
        ),
        shows_part2=True,
        uses_video_rooms=True,
        manages_sign_ins=True,
        checks_readiness=True,
        description="Scheduling routes: people, care teams, sessions, groups, plans, health and readiness.",
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
        id="SchedulePublisher",
        domain="schedule",
        handler="functions.schedule.publish.lambda_handler",
        trigger="stream",
        stream_filters=(_entity_filter(*PUBLISHED_ENTITIES),),
        publishes_schedule_events=True,
        description="Schedule-table stream -> schedule's published domain events on the schedule-events "
        "topic (SNS FIFO), in order per subject.",
    ),
    Entrypoint(
        id="ScheduleAuthorizationFlags",
        domain="schedule",
        handler="functions.schedule.authorization_flags.lambda_handler",
        trigger="event",
        grants=(TableGrant(tables.SCHEDULE, "readwrite"),),
        event_pattern={"source": [COVERAGE_EVENT_SOURCE], "detail-type": ["authorization.flags"]},
        description="Program-bus consumer: coverage's verdicts on sessions outside a participant's "
        "prior authorizations -> marked on their copy of the session.",
    ),
    Entrypoint(
        id="CoverageApi",
        domain="coverage",
        handler="functions.coverage.handler.lambda_handler",
        trigger="api",
        grants=(TableGrant(tables.COVERAGE, "readwrite"), _AUDIT, _IDEMPOTENCY),
        uses_clearinghouse=True,
        emits_events=True,
        shows_part2=True,
        description="Coverage routes: plans, eligibility, estimates, authorizations.",
    ),
    Entrypoint(
        id="CoverageEvents",
        domain="coverage",
        handler="functions.coverage.events.lambda_handler",
        trigger="subscription",
        grants=(TableGrant(tables.COVERAGE, "readwrite"), _IDEMPOTENCY),
        subscribes=(
            "person.changed",
            "couple.changed",
            "session.booked",
            "session.rescheduled",
            "session.cancelled",
            "attendance.recorded",
            "group_week.planned",
            "group_attendance.recorded",
            "consent.changed",
        ),
        emits_events=True,
        description=(
            "Schedule-events subscriber: coverage's copy of what its API reads of the schedule "
            "(people, couples, weeks); sessions booked, moved, cancelled -> projected use of "
            "authorizations; attendance -> projected claims, authorization alerts; Part 2 "
            "consents -> coverage's copies."
        ),
    ),
    Entrypoint(
        id="CoverageRecheck",
        domain="coverage",
        handler="functions.coverage.recheck.lambda_handler",
        trigger="schedule",
        grants=(TableGrant(tables.COVERAGE, "readwrite"), _AUDIT),
        uses_clearinghouse=True,
        emits_events=True,
        schedule="cron(0 8 * * ? *)",  # 08:00 UTC: 02:00 US Central standard time, 03:00 daylight
        timeout_seconds=MAX_TIMEOUT_SECONDS,
        description="Nightly: check eligibility again for every plan whose latest 271 has gone stale.",
    ),
    Entrypoint(
        id="CoveragePrices",
        domain="coverage",
        handler="functions.coverage.prices.lambda_handler",
        trigger="event",
        grants=(TableGrant(tables.COVERAGE, "readwrite"),),
        event_pattern={"source": [COVERAGE_EVENT_SOURCE], "detail-type": ["billing.reference.changed"]},
        timeout_seconds=300,
        description="Program-bus consumer: a fee schedule or the chargemaster changed -> every "
        "participant's copy of the prices rewritten.",
    ),
    Entrypoint(
        id="NotifyApi",
        domain="notify",
        handler="functions.notify.handler.lambda_handler",
        trigger="api",
        # Who exists is notify's own knowledge (the people `person.changed` told it of): no
        # grant on schedule's table
        grants=(TableGrant(tables.NOTIFY, "readwrite"), _AUDIT, _IDEMPOTENCY),
        description="Notification routes: contact preferences, consent, message history.",
    ),
    Entrypoint(
        id="NotifyEvents",
        domain="notify",
        handler="functions.notify.events.lambda_handler",
        trigger="subscription",
        grants=(TableGrant(tables.NOTIFY, "readwrite"),),
        subscribes=(
            "person.changed",
            "session.booked",
            "session.rescheduled",
            "session.cancelled",
            "makeup.offered",
            "enrolment.changed",
        ),
        description=(
            "Schedule-events subscriber: profiles -> contact details and deactivation; session "
            "changes, makeup offers, group enrolments -> reminders, messages, group series."
        ),
    ),
    Entrypoint(
        id="NotifySweep",
        domain="notify",
        handler="functions.notify.sweep.lambda_handler",
        trigger="schedule",
        grants=(TableGrant(tables.NOTIFY, "readwrite"),),
        sends_to_queue=True,
        watches_dead_letters=True,
        notifies_coordinators=True,
        description=(
            "Every minute: move due outbox messages onto the send queue; alert coordinators when "
            "messages wait on its dead-letter queue."
        ),
    ),
    Entrypoint(
        id="NotifyGroupReminders",
        domain="notify",
        handler="functions.notify.group_reminders.lambda_handler",
        trigger="schedule",
        grants=(TableGrant(tables.NOTIFY, "readwrite"),),
        timeout_seconds=300,
        description="Hourly (gated by a job marker): reminders of the group occurrences ahead.",
    ),
    Entrypoint(
        id="NotifyDigest",
        domain="notify",
        handler="functions.notify.digest.lambda_handler",
        trigger="schedule",
        grants=(TableGrant(tables.NOTIFY, "readwrite"),),
        timeout_seconds=300,
        description="Hourly (gated): Sunday-evening weekly schedule digests, zone by zone.",
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
    Entrypoint(
        id="NotifyInbound",
        domain="notify",
        handler="functions.notify.inbound.lambda_handler",
        trigger="topic",
        grants=(TableGrant(tables.NOTIFY, "readwrite"), _AUDIT, _IDEMPOTENCY),
        sends_sms=True,
        description=(
            "Inbound-SMS topic consumer (two-way SMS): STOP, START, HELP and C texted to the program's "
            "number -> consent, answers, confirmations."
        ),
    ),
    Entrypoint(
        id="NotifyAlerts",
        domain="notify",
        handler="functions.notify.alerts.lambda_handler",
        trigger="event",
        grants=(TableGrant(tables.NOTIFY, "readwrite"),),
        event_pattern={
            "source": [COVERAGE_EVENT_SOURCE],
            "detail-type": ["authorization.low", "authorization.expiring", "eligibility.problem"],
        },
        notifies_coordinators=True,
        description="Program-bus consumer: coverage's coordinator alerts -> outbox messages to coordinators.",
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
DLQ_URL_ENV = "NOTIFY_DLQ_URL"
"""The send queue's dead-letter queue, given to every `watches_dead_letters` entry point."""
SENDER_EMAIL_ENV = "SENDER_EMAIL"
SES_CONFIGURATION_SET_ENV = "SES_CONFIGURATION_SET"
"""The SES configuration set every email is sent through (it requires TLS to the receiving server),
given to every `sends_email` entry point."""
CLEARINGHOUSE_MODE_ENV = "CLEARINGHOUSE"
CLEARINGHOUSE_URL_ENV = "CLEARINGHOUSE_URL"
CLEARINGHOUSE_SECRET_ENV = "CLEARINGHOUSE_SECRET_ARN"  # noqa: S105 - a variable's name, not a secret
CLEARINGHOUSE_USAGE_ENV = "CLEARINGHOUSE_USAGE"
SCHEDULE_EVENTS_TOPIC_ENV = "SCHEDULE_EVENTS_TOPIC_ARN"
"""The schedule-events topic, given to every `publishes_schedule_events` entry point."""
EVENT_BUS_ENV = "EVENT_BUS_NAME"
"""The program's EventBridge bus, given to every `emits_events` entry point."""
USER_POOL_ENV = "USER_POOL_ID"
"""The participants' Cognito user pool, given to every `manages_sign_ins` entry point."""
STAFF_USER_POOL_ENV = "STAFF_USER_POOL_ID"
"""The clinicians' and coordinators' user pool (TOTP required), with `USER_POOL_ENV`."""
COORDINATOR_ALERT_IDS_ENV = "COORDINATOR_ALERT_IDS"
"""Comma-separated person ids of the coordinators alerts go to (a setting, not a resource)."""
PART2_EXTRA_TYPES_ENV = "PART2_EXTRA_TYPES"
"""Session or group types the program adds to 42 CFR Part 2 (a setting; `shows_part2`)."""
PART2_COORDINATORS_ENV = "PART2_COORDINATORS"
"""The coordinators who see Part 2 records in full (a setting; unset: every coordinator)."""
APP_URL_ENV = "TANDEM_APP_URL"
"""The app's address that messages link to (a setting), given to every entry point that sends
email or SMS."""
SMS_HELP_LINE_ENV = "SMS_HELP_LINE"
"""What a texted HELP is answered with (a setting), given to the `topic` (inbound SMS) entry points."""
CLEARINGHOUSE_ENV: Final = (
    CLEARINGHOUSE_MODE_ENV,
    CLEARINGHOUSE_URL_ENV,
    CLEARINGHOUSE_SECRET_ENV,
    CLEARINGHOUSE_USAGE_ENV,
)
"""What a `uses_clearinghouse` entry point is given in AWS: mode `https`, the endpoint, the
secret holding the credentials and the ISA15 usage indicator (P in prod, T elsewhere)."""


@dataclass(frozen=True)
class Dependency:
    """One AWS resource (or account-level service) some entry point needs, as the readiness
    check reports it."""

    name: str
    """How the report names it: ``dynamodb:schedule``, ``sqs:send-queue``, ``ses`` ..."""
    service: str
    """The botocore service name: dynamodb, sqs, ses, sns, events."""
    env_var: str | None
    """The variable naming the resource (None for an account-level service)."""
    used_by: tuple[str, ...]
    """The entry points (ids) that use it."""


PROBE_ACTIONS: Final[dict[str, str]] = {
    "dynamodb": "dynamodb:DescribeTable",
    "sqs": "sqs:GetQueueAttributes",
    "ses": "ses:GetSendQuota",
    "sns": "sns:GetSMSAttributes",
    "events": "events:DescribeEventBus",
}
"""The one metadata-only action the readiness check calls per service (`functions.common.readiness`),
granted on the dependency's resource, or on `*` for the account-level ones (SES, SNS: IAM has no
resource for them)."""


def dependencies() -> tuple[Dependency, ...]:
    """What the entry points depend on at run time, from their grants and flags: every table
    granted, the send queue and its dead-letter queue, SES, SNS (SMS) and the program's bus."""
    found: dict[str, tuple[str, str | None, list[str]]] = {}

    def needs(name: str, service: str, env_var: str | None, entry: Entrypoint) -> None:
        found.setdefault(name, (service, env_var, []))[2].append(entry.id)

    for entry in ENTRYPOINTS:
        used = [grant.table for grant in entry.grants]
        if entry.trigger == "stream":
            used.append(tables.SCHEDULE)  # its records arrive on the schedule table's stream
        for table in dict.fromkeys(used):
            needs(f"dynamodb:{table.key}", "dynamodb", table.env_var, entry)
        if entry.sends_to_queue or entry.trigger == "queue":
            needs("sqs:send-queue", "sqs", QUEUE_URL_ENV, entry)
        if entry.watches_dead_letters:
            needs("sqs:send-dead-letters", "sqs", DLQ_URL_ENV, entry)
        if entry.sends_email:
            needs("ses", "ses", None, entry)
        if entry.sends_sms:
            needs("sns", "sns", None, entry)
        if entry.emits_events:
            needs("eventbridge:program-bus", "events", EVENT_BUS_ENV, entry)
    return tuple(
        Dependency(name, service, env_var, tuple(users))
        for name, (service, env_var, users) in sorted(found.items())
    )


def resource_env_vars(entry: Entrypoint) -> set[str]:
    """The variables naming AWS resources (and the clearinghouse) that an entry point's
    environment carries."""
    names = {grant.table.env_var for grant in entry.grants}
    if entry.checks_readiness:
        names.update(d.env_var for d in dependencies() if d.env_var)
    if entry.sends_to_queue or entry.trigger == "queue":
        names.add(QUEUE_URL_ENV)
    if entry.watches_dead_letters:
        names.add(DLQ_URL_ENV)
    if entry.sends_email:
        names.update((SENDER_EMAIL_ENV, SES_CONFIGURATION_SET_ENV))
    if entry.uses_clearinghouse:
        names.update(CLEARINGHOUSE_ENV)
    if entry.emits_events:
        names.add(EVENT_BUS_ENV)
    if entry.publishes_schedule_events:
        names.add(SCHEDULE_EVENTS_TOPIC_ENV)
    if entry.manages_sign_ins:
        names.update((USER_POOL_ENV, STAFF_USER_POOL_ENV))
    return names


def event_entrypoints() -> list[Entrypoint]:
    """The entry points a rule on the program's bus invokes (locally: the event poller)."""
    return [entry for entry in ENTRYPOINTS if entry.trigger == "event"]


def subscription_entrypoints() -> list[Entrypoint]:
    """The entry points fed by their own queue on the schedule-events topic (locally: one
    subscription poller each)."""
    return [entry for entry in ENTRYPOINTS if entry.trigger == "subscription"]


def topic_entrypoints() -> list[Entrypoint]:
    """The entry points subscribed to the inbound-SMS topic (locally: the topic poller)."""
    return [entry for entry in ENTRYPOINTS if entry.trigger == "topic"]
