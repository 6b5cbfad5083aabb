"""What happened to the messages: a person's own history, and the failures coordinators
look into. Each is one Query; neither ever returns an address or a message's words."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.models import ISO_MONTH_PATTERN, utc_now
from functions.notify.deps import Audit, Caller, Store
from functions.notify.models import FailureEntry, FailuresPage, HistoryEntry, HistoryPage
from functions.notify.vocabulary import FAILURES_ROUTE

router = Router()  # type: ignore[no-untyped-call]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048)]
Month = Annotated[
    str | None,
    Query(pattern=ISO_MONTH_PATTERN, description="UTC month, YYYY-MM; default: this month"),
]


@router.get(
    "/me/notifications",
    summary="The caller's notification history, newest first: kind, channel, time and status",
    tags=["notifications"],
    security=AUTHENTICATED,
)
def my_history(
    caller: Caller, store: Store, audit: Audit, limit: Limit = 25, cursor: Cursor = None
) -> HistoryPage:
    with audit.track(caller, "notify.history.read", f"person/{caller.person_id}/notifications"):
        found, next_cursor = store.history(caller.person_id, limit=limit, cursor=cursor)
    return HistoryPage(
        items=[
            HistoryEntry(
                message_id=m.message_id,
                kind=m.kind,
                channel=m.channel,
                status=m.status,
                at=m.finished_at,
                reason=m.status_reason,
            )
            for m in found
        ],
        next_cursor=next_cursor,
    )


@router.get(
    FAILURES_ROUTE,
    summary="Messages that failed for good (dead-lettered), newest first, one month at a time (coordinators)",
    tags=["notifications"],
    security=AUTHENTICATED,
)
def failures(
    caller: Caller, store: Store, audit: Audit, month: Month = None, limit: Limit = 25, cursor: Cursor = None
) -> FailuresPage:
    listed = month or utc_now().strftime("%Y-%m")
    with audit.track(caller, "notify.failures.read", f"notifications/failures/{listed}"):
        caller.require(Role.COORDINATOR)
        found, next_cursor = store.failures(listed, limit=limit, cursor=cursor)
    return FailuresPage(
        month=listed,
        items=[
            FailureEntry(
                message_id=f.message_id,
                person_id=f.person_id,
                kind=f.kind,
                channel=f.channel,
                failed_at=f.failed_at,
                reason=f.reason,
                attempts=f.attempts,
            )
            for f in found
        ],
        next_cursor=next_cursor,
    )
