"""Calendar feeds: an unguessable, revocable per-person iCalendar link for calendar apps."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.request import Request

from functions.common.api import AUTHENTICATED
from functions.common.errors import NotFound
from functions.common.models import utc_now
from functions.schedule.deps import Audit, Caller, Part2, Store, rules
from functions.schedule.logic import calendar
from functions.schedule.logic.sensitivity import REDISCLOSURE_HEADER, REDISCLOSURE_NOTICE
from functions.schedule.models import FeedOut

router = Router()  # type: ignore[no-untyped-call]


def _base_url(request: Request) -> str:
    """The API's own base URL as the client reached it (stage prefix included)."""
    event = request.resolved_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    scheme = headers.get("x-forwarded-proto", "http")
    host = headers.get("host", "localhost")
    full_path = str((event.raw_event.get("requestContext") or {}).get("path") or event.path)
    prefix = full_path[: len(full_path) - len(event.path)] if full_path.endswith(event.path) else ""
    return f"{scheme}://{host}{prefix}"


@router.post(
    "/me/calendar-feed",
    summary="Create (or rotate) the caller's calendar feed link; the old link stops working",
    tags=["calendar"],
    security=AUTHENTICATED,
    responses={201: {"description": "The new link", "content": {"application/json": {"model": FeedOut}}}},
)
@rules("calendar_feed.create", "person/{caller.person_id}/calendar-feed", in_transaction=True)
def create_feed(caller: Caller, store: Store, audit: Audit, request: Request) -> Response[FeedOut]:
    resource = f"person/{caller.person_id}/calendar-feed"
    token = calendar.new_token()
    now = utc_now()
    entry = audit.entry(caller, "calendar_feed.create", resource, "success")
    store.set_feed(caller, calendar.token_hash(token), now, audit.transact_put(entry))
    path = f"/calendar/{token}"
    out = FeedOut(url=_base_url(request) + path, path=path, created_at=now)
    return Response(status_code=201, content_type="application/json", body=out)


@router.delete(
    "/me/calendar-feed",
    summary="Revoke the caller's calendar feed link",
    tags=["calendar"],
    security=AUTHENTICATED,
    responses={204: {"description": "Revoked"}},
)
@rules("calendar_feed.revoke", "person/{caller.person_id}/calendar-feed", in_transaction=True)
def revoke_feed(caller: Caller, store: Store, audit: Audit) -> Response[str]:
    resource = f"person/{caller.person_id}/calendar-feed"
    entry = audit.entry(caller, "calendar_feed.revoke", resource, "success")
    if not store.revoke_feed(caller.person_id, audit.transact_put(entry)):
        raise NotFound("no calendar feed to revoke")
    return Response(status_code=204, content_type=None, body="")


@router.get(
    "/calendar/<token>",
    summary="A person's calendar (iCalendar). Public: the unguessable token is the credential",
    tags=["calendar"],
    responses={
        200: {
            "description": "RFC 5545 calendar",
            "headers": {
                REDISCLOSURE_HEADER: {
                    "description": "The 42 CFR 2.32 notice, when a staff member's feed holds Part 2 events",
                    "schema": {"type": "string"},
                }
            },
            "content": {"text/calendar": {}},
        }
    },
)
def calendar_feed(
    token: Annotated[str, Path(min_length=20, max_length=100)], store: Store, audit: Audit, part2: Part2
) -> Response[str]:
    owner = store.feed_owner(calendar.token_hash(token))
    if owner is None:
        raise NotFound("no such calendar")
    # The token stands for its owner: the read is audited as theirs, through the feed.
    resource = f"person/{owner.person_id}/calendar-feed"
    with audit.track(owner, "calendar_feed.read", resource):
        now = utc_now()
        items = store.calendar_items(owner.person_id, now - calendar.PAST)
        found = calendar.feed(owner.person_id, items, now=now, policy=part2)
        audit.disclose(owner, "calendar_feed.read", resource, found.shown)
    headers = {"Cache-Control": "private, max-age=300"}
    if found.discloses:
        headers[REDISCLOSURE_HEADER] = REDISCLOSURE_NOTICE
    return Response(
        status_code=200,
        content_type="text/calendar; charset=utf-8",
        body=found.ical.decode(),
        headers=headers,
    )
