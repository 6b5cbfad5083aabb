"""Who saw a participant's Part 2 items (42 CFR 2.24): the participant's own list, and the same
list a coordinator produces for a participant's request. Read from the audit trail (one Query),
where the schedule reads that disclose Part 2 items file them (`logic/disclosures.py`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from functions.common.api import AUTHENTICATED
from functions.common.audit import DisclosureLog
from functions.common.auth import Role
from functions.common.errors import NotFound
from functions.common.http import decode_cursor, encode_cursor
from functions.common.models import CalendarDate
from functions.schedule.deps import Audit, Caller, Disclosures, Part2, Store, rules
from functions.schedule.logic import disclosures, sensitivity
from functions.schedule.models import Part2AccessOut, Part2AccessPage
from functions.schedule.store import ScheduleStore
from functions.schedule.vocabulary import PersonKind

router = Router()  # type: ignore[no-untyped-call]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048)]
From = Annotated[
    CalendarDate | None, Query(alias="from", description="First date listed (the participant's zone)")
]
To = Annotated[
    CalendarDate | None, Query(alias="to", description="Last date listed (the participant's zone)")
]


def _listing(
    store: ScheduleStore,
    log: DisclosureLog,
    participant_id: str,
    *,
    since: date | None,
    until: date | None,
    limit: int,
    cursor: str | None,
) -> Part2AccessPage:
    """Two reads: the participant (their zone bounds the dates) and one Query of their list."""
    person = store.get_person(participant_id)
    if person is None or person.kind is not PersonKind.PARTICIPANT:
        raise NotFound("no such participant")
    bounds = disclosures.window(since, until, ZoneInfo(person.time_zone))
    start = disclosures.checked_start(
        decode_cursor(cursor, expected_keys={"pk", "sk"}), participant_id, bounds
    )
    found, last = log.page(participant_id, since=bounds.since, before=bounds.before, limit=limit, start=start)
    return Part2AccessPage(
        items=[
            Part2AccessOut(
                actor_id=e.actor_id,
                actor_role=e.actor_role,
                at=e.at,
                action=e.action,
                item_ids=list(e.item_ids),
            )
            for e in found
        ],
        next_cursor=encode_cursor(last),
    )


@router.get(
    "/me/part2-access",
    summary="Who was shown your Part 2 items, and when, newest first (participants)",
    description="Every read that showed your substance-use records in full to someone else: who "
    "(a person id and role), when, through which read, and which items. Your own reads are not listed.",
    tags=["consents"],
    security=AUTHENTICATED,
)
@rules("part2_access.list", "person/{caller.person_id}/part2-access", allow={Role.PARTICIPANT})
def my_part2_access(
    caller: Caller,
    store: Store,
    audit: Audit,
    log: Disclosures,
    since: From = None,
    until: To = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> Part2AccessPage:
    return _listing(store, log, caller.person_id, since=since, until=until, limit=limit, cursor=cursor)


@router.get(
    "/participants/<participant_id>/part2-access",
    summary="Who was shown a participant's Part 2 items, newest first (coordinators the program names)",
    description="The list the participant sees at `/me/part2-access`, for their request; this read "
    "is itself audited.",
    tags=["consents"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "The list; with the redisclosure notice when it names any item",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": Part2AccessPage}},
        }
    },
)
@rules("part2_access.list", "person/{participant_id}/part2-access")
def participant_part2_access(
    participant_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    log: Disclosures,
    part2: Part2,
    since: From = None,
    until: To = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> Response[Part2AccessPage]:
    # The list itself says the participant is in substance-use treatment: only the
    # coordinators whose role needs Part 2 records may produce it (and it carries the
    # redisclosure notice); to anyone else it does not exist.
    if not part2.coordinator_sees(caller):
        raise NotFound("no such participant")
    page = _listing(store, log, participant_id, since=since, until=until, limit=limit, cursor=cursor)
    return Response(
        status_code=200,
        content_type="application/json",
        body=page,
        headers=sensitivity.notice_headers(bool(page.items)),
    )
