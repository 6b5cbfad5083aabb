"""What the notify routes are handed per request (Powertools `Depends` providers)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from pydantic import Field

from functions.common import aws
from functions.common.api import audit_writer
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, current_principal
from functions.common.config import ApiSettings, load_settings
from functions.notify.store import NotifyStore


class NotifySettings(ApiSettings):
    notify_table: str = Field(alias="NOTIFY_TABLE")


def notify_store() -> NotifyStore:
    settings = load_settings(NotifySettings)
    return NotifyStore(settings.notify_table, aws.client("dynamodb"))


Caller = Annotated[Principal, Depends(current_principal)]
Store = Annotated[NotifyStore, Depends(notify_store)]
Audit = Annotated[AuditWriter, Depends(audit_writer)]
