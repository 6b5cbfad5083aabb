"""The schedule's consumer of coverage's `authorization.flags` events (the program bus): a
participant's sessions outside their prior authorizations' dates or beyond their units are
marked on that participant's copy of the session, so their week (and their clinicians' and
coordinators' view of it) shows it; a session no longer flagged is cleared.

Coverage owns the verdict and may only read the schedule table, so it announces verdicts;
this function, which owns the table, writes them. Each verdict carries when it was made: an
older one arriving late never replaces a newer. Redelivery is harmless (the same verdict,
not newer, changes nothing)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.observability import logger
from functions.schedule.store import ScheduleStore


class FlagsSettings(Settings):
    schedule_table: str = Field(alias="SCHEDULE_TABLE")


SETTINGS = FlagsSettings


class FlagsDetail(BaseModel):
    participant_id: str = Field(max_length=64)
    flags: dict[str, list[str]]
    computed_at: str = Field(max_length=40)


def apply(store: ScheduleStore, detail: FlagsDetail) -> int:
    """Write one verdict per session; how many copies changed."""
    return sum(
        store.set_authorization_flags(detail.participant_id, session_id, reasons, detail.computed_at)
        for session_id, reasons in sorted(detail.flags.items())
    )


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = FlagsDetail.model_validate(event.get("detail") or {})
    settings = load_settings(FlagsSettings)
    changed = apply(ScheduleStore(settings.schedule_table, aws.client("dynamodb")), detail)
    logger.info("authorization flags", extra={"sessions": len(detail.flags), "changed": changed})
    return {"changed": changed}


lambda_handler = background_entry("schedule", _consume)
