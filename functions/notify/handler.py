"""Notify API: routes only. Validation by Powertools, rules in logic/, DynamoDB in store."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import Field

from functions.common import aws
from functions.common.api import AUTHENTICATED, audit_writer, create_resolver, lambda_entry
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, current_principal
from functions.common.config import ApiSettings, load_settings
from functions.common.http import etag, require_if_match
from functions.common.models import utc_now
from functions.notify.logic import preferences
from functions.notify.models import PreferencesIn, PreferencesOut
from functions.notify.store import NotifyStore


class NotifySettings(ApiSettings):
    notify_table: str = Field(alias="NOTIFY_TABLE")


def notify_store() -> NotifyStore:
    return NotifyStore(load_settings(NotifySettings).notify_table, aws.client("dynamodb"))


SETTINGS = NotifySettings
app = create_resolver()

Caller = Annotated[Principal, Depends(current_principal)]
Store = Annotated[NotifyStore, Depends(notify_store)]
Audit = Annotated[AuditWriter, Depends(audit_writer)]

_PREFS_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {"description": "Preferences in effect", "content": {"application/json": {"model": PreferencesOut}}}
}


def _response(prefs: PreferencesOut, version: int) -> Response[PreferencesOut]:
    return Response(
        status_code=200, content_type="application/json", body=prefs, headers={"ETag": etag(version)}
    )


@app.get(
    "/me/notification-preferences",
    summary="The caller's notification preferences (program defaults until first saved)",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=_PREFS_RESPONSE,
)
def get_preferences(caller: Caller, store: Store, audit: Audit) -> Response[PreferencesOut]:
    with audit.track(
        caller, "notify.preferences.read", f"person/{caller.person_id}/notification-preferences"
    ):
        prefs, version = preferences.effective(store.get_preferences(caller.person_id))
    return _response(prefs, version)


@app.put(
    "/me/notification-preferences",
    summary="Replace the caller's notification preferences; If-Match with the ETag you read",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=_PREFS_RESPONSE,
)
def put_preferences(
    body: Annotated[PreferencesIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[PreferencesOut]:
    resource = f"person/{caller.person_id}/notification-preferences"
    with audit.track(caller, "notify.preferences.update", resource, success_in_transaction=True):
        current = store.get_preferences(caller.person_id)
        version = current.version if current else 0
        require_if_match(if_match, version)
        record = preferences.replace(caller.person_id, body, current=current, now=utc_now())
        store.put_preferences(
            record,
            expected_version=version,
            audit_put=audit.transact_put(
                audit.entry(caller, "notify.preferences.update", resource, "success")
            ),
        )
    prefs, new_version = preferences.effective(record)
    return _response(prefs, new_version)


lambda_handler = lambda_entry(app, "notify")
