"""What the schedule routes are handed per request (Powertools `Depends` providers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Final

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator, Field

from functions.catalog import STAFF_USER_POOL_ENV, USER_POOL_ENV
from functions.common import aws
from functions.common.api import audit_writer
from functions.common.audit import AuditWriter, DisclosureLog
from functions.common.auth import Principal, current_principal
from functions.common.config import ApiSettings, load_settings
from functions.common.idempotency import bound_to
from functions.common.models import ISO_WEEK_PATTERN, TimeZone
from functions.common.part2 import Part2Policy, Part2Settings, listed
from functions.common.route_rules import declared
from functions.schedule.accounts import Accounts
from functions.schedule.logic.booking import Policy
from functions.schedule.rooms import VideoRooms, rooms_from_env
from functions.schedule.store import ScheduleStore
from functions.schedule.vocabulary import GroupType, SessionType


class ScheduleSettings(ApiSettings, Part2Settings):
    schedule_table: str = Field(alias="SCHEDULE_TABLE")
    buffer_minutes: int = Field(default=10, ge=0, le=60, alias="SESSION_BUFFER_MINUTES")
    cancel_cutoff_hours: int = Field(default=24, ge=0, le=168, alias="CANCEL_CUTOFF_HOURS")
    program_time_zone: TimeZone = Field(default="America/Chicago", alias="PROGRAM_TIME_ZONE")
    room_opens_minutes: int = Field(default=15, ge=0, le=7 * 24 * 60, alias="ROOM_OPENS_MINUTES")
    part2_extra_types: Annotated[frozenset[SessionType | GroupType], BeforeValidator(listed)] = Field(
        default=frozenset(), alias="PART2_EXTRA_TYPES"
    )
    """`Part2Settings`' types, checked against the schedule's (a misspelt one fails at once)."""
    user_pool_id: str = Field(alias=USER_POOL_ENV, min_length=1)
    """The participants' Cognito user pool (their sign-in accounts)."""
    staff_user_pool_id: str = Field(alias=STAFF_USER_POOL_ENV, min_length=1)
    """The clinicians' and coordinators' Cognito user pool (TOTP required)."""

    def policy(self) -> Policy:
        return Policy(
            buffer=timedelta(minutes=self.buffer_minutes),
            cancel_cutoff=timedelta(hours=self.cancel_cutoff_hours),
        )


STATED_RULES: Final = ("room_opens_minutes", "cancel_cutoff_hours")
"""The schedule settings the web app states to people (its `config.json`): how many minutes before
a session its room opens, and the cancellation cutoff in hours."""


def stated_rules() -> dict[str, int]:
    """`STATED_RULES` as the schedule function applies them: their defaults, since no stage sets
    `ROOM_OPENS_MINUTES` or `CANCEL_CUTOFF_HOURS` (neither the CDK stack nor the local runtime)."""
    fields = ScheduleSettings.model_fields
    return {name: int(fields[name].default) for name in STATED_RULES}


def settings() -> ScheduleSettings:
    return load_settings(ScheduleSettings)


def schedule_store() -> ScheduleStore:
    return ScheduleStore(settings().schedule_table, aws.client("dynamodb"))


def booking_policy() -> Policy:
    return settings().policy()


def part2_policy() -> Part2Policy:
    return settings().part2_policy()


def accounts() -> Accounts:
    config = settings()
    return Accounts(aws.client("cognito-idp"), config.user_pool_id, config.staff_user_pool_id)


def disclosure_log() -> DisclosureLog:
    return DisclosureLog(settings().audit_table, aws.client("dynamodb"))


def video_rooms() -> VideoRooms:
    return rooms_from_env(aws.client)


Caller = Annotated[Principal, Depends(current_principal)]
Store = Annotated[ScheduleStore, Depends(schedule_store)]
Audit = Annotated[AuditWriter, Depends(audit_writer)]
BookingPolicy = Annotated[Policy, Depends(booking_policy)]
Rooms = Annotated[VideoRooms, Depends(video_rooms)]
Part2 = Annotated[Part2Policy, Depends(part2_policy)]
SignIns = Annotated[Accounts, Depends(accounts)]
Disclosures = Annotated[DisclosureLog, Depends(disclosure_log)]
WeekQuery = Annotated[
    str | None,
    Query(max_length=8, pattern=ISO_WEEK_PATTERN, description="ISO week, e.g. 2026-W49; default: this week"),
]


idempotently = bound_to(lambda: settings().idempotency_table)
"""`run_idempotent` with this function's idempotency table and client filled in."""
rules = declared(idempotently)
"""Each schedule route's declared audit, roles, If-Match and idempotency (`functions.common.route_rules`)."""
