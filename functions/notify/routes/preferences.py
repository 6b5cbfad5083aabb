"""Notification preferences, contact details and SMS consent: a person's own, and any
person's for coordinators (who correct them). Every read and change is audited; a change
of SMS consent is audited as such, in the same transaction."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.common.api import AUTHENTICATED
from functions.common.audit import AuditWriter
from functions.common.auth import Principal
from functions.common.errors import Conflict, NotFound
from functions.common.http import etag, require_if_match
from functions.common.models import utc_now
from functions.notify.deps import Audit, Caller, Store
from functions.notify.logic import preferences
from functions.notify.models import PreferencesIn, PreferencesOut, PreferencesRecord
from functions.notify.store import NotifyStore

router = Router()  # type: ignore[no-untyped-call]
PersonId = Annotated[str, Path(max_length=64)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=256)]

_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {"description": "Preferences in effect", "content": {"application/json": {"model": PreferencesOut}}}
}


def _resource(person_id: str) -> str:
    return f"person/{person_id}/notification-preferences"


def _response(prefs: PreferencesOut, version: int) -> Response[PreferencesOut]:
    return Response(
        status_code=200, content_type="application/json", body=prefs, headers={"ETag": etag(version)}
    )


UNKNOWN_PERSON = "no such person (someone created moments ago appears within seconds)"


def _require_person(caller: Principal, person_id: str, current: PreferencesRecord | None) -> None:
    """404 for preferences of someone notify has not heard of (never program defaults for
    nobody). Who exists is notify's own knowledge: every `person.changed` schedule publishes
    leaves the person a preferences record (`logic.preferences.mirror_profile`), so a person
    without one is nobody, or someone created so moments ago that the event is still on its
    way (well under a second in AWS): they are 404 until it arrives. The caller's own
    preferences are never 404 (they signed in, so they exist)."""
    if current is None and person_id != caller.person_id:
        raise NotFound(UNKNOWN_PERSON)


def _read(
    caller: Principal, person_id: str, store: NotifyStore, audit: AuditWriter
) -> Response[PreferencesOut]:
    with audit.track(caller, "notify.preferences.read", _resource(person_id)):
        preferences.require_access(caller, person_id)
        current = store.get_preferences(person_id)
        _require_person(caller, person_id, current)
        prefs, version = preferences.effective(person_id, current)
    return _response(prefs, version)


def _replace(
    caller: Principal,
    person_id: str,
    body: PreferencesIn,
    if_match: str | None,
    store: NotifyStore,
    audit: AuditWriter,
) -> Response[PreferencesOut]:
    resource = _resource(person_id)
    with audit.track(caller, "notify.preferences.update", resource, success_in_transaction=True):
        preferences.require_access(caller, person_id)
        current = store.get_preferences(person_id)
        _require_person(caller, person_id, current)
        version = current.version if current else 0
        require_if_match(if_match, version)
        conflicts = preferences.contact_conflicts(body, current)
        if conflicts:
            raise Conflict(
                "email and mobile number come from the person's profile: change them there "
                "(PATCH /people/{id}; the email, which is also the sign-in, by a coordinator)",
                errors=conflicts,
            )
        record = preferences.replace(
            person_id,
            body,
            current=current,
            now=utc_now(),
            source=preferences.consent_source(caller, person_id),
        )
        entries = [audit.entry(caller, "notify.preferences.update", resource, "success")]
        change = preferences.consent_change(current, record)
        if change is not None:
            entries.append(audit.entry(caller, f"notify.sms_consent.{change}", resource, "success"))
        store.put_preferences(
            record,
            expected_version=version,
            audit_puts=[audit.transact_put(entry) for entry in entries],
            previous_phone=current.phone if current else None,
        )
    prefs, new_version = preferences.effective(person_id, record)
    return _response(prefs, new_version)


@router.get(
    "/me/notification-preferences",
    summary="The caller's notification preferences and contact details (program defaults until first saved)",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=_RESPONSE,
)
def get_preferences(caller: Caller, store: Store, audit: Audit) -> Response[PreferencesOut]:
    return _read(caller, caller.person_id, store, audit)


@router.put(
    "/me/notification-preferences",
    summary="Replace the caller's notification preferences; If-Match with the ETag you read",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=_RESPONSE,
)
def put_preferences(
    body: Annotated[PreferencesIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: IfMatch = None,
) -> Response[PreferencesOut]:
    return _replace(caller, caller.person_id, body, if_match, store, audit)


@router.get(
    "/people/<person_id>/notification-preferences",
    summary="A person's notification preferences and contact details (the person, coordinators)",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=_RESPONSE,
)
def get_person_preferences(
    person_id: PersonId, caller: Caller, store: Store, audit: Audit
) -> Response[PreferencesOut]:
    return _read(caller, person_id, store, audit)


@router.put(
    "/people/<person_id>/notification-preferences",
    summary="Correct a person's notification preferences (the person, coordinators); If-Match required",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=_RESPONSE,
)
def put_person_preferences(
    person_id: PersonId,
    body: Annotated[PreferencesIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: IfMatch = None,
) -> Response[PreferencesOut]:
    return _replace(caller, person_id, body, if_match, store, audit)
