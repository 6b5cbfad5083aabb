"""Each participant's copy of the program's prices (see `billing.prices_item`): written when
it is first needed, and rewritten for every holder when a coordinator changes a fee schedule
or the chargemaster.

A change is announced on the program's bus (`billing.reference.changed`); this module's
handler, invoked by that rule, rewrites the copies. Rewriting is idempotent (a copy is only
replaced by a newer one), so a redelivered or retried event is harmless, and an event that
keeps failing lands in the rule's dead-letter queue with the others. Where no bus is
configured (a bare local run) the change is copied at once instead."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.observability import logger
from functions.coverage.alerts import SOURCE
from functions.coverage.billing import REFERENCE_CHANGED, BillingReference, prices_item
from functions.coverage.store import CoverageStore


class PricesSettings(Settings):
    coverage_table: str = Field(alias="COVERAGE_TABLE")


SETTINGS = PricesSettings


def copy_for(store: CoverageStore, person_id: str) -> BillingReference:
    """Give the participant a copy of the current prices (unless a newer one is there) and
    return them: one consistent Query of the reference, one conditional put."""
    items = store.billing_items(consistent=True)
    store.put_prices(prices_item(person_id, items))
    return BillingReference.from_items(items)


def rewrite_all(store: CoverageStore) -> int:
    """Rewrite every holder's copy from the current reference; how many were replaced."""
    items = store.billing_items(consistent=True)
    replaced = sum(store.put_prices(prices_item(person_id, items)) for person_id in store.prices_holders())
    logger.info("prices copied", extra={"replaced": replaced})
    return replaced


def announce_change(store: CoverageStore, bus_name: str | None, client: Any | None) -> None:
    """After a coordinator changed the reference: have every copy rewritten (through the
    bus when there is one, else at once)."""
    if not bus_name or client is None:
        rewrite_all(store)
        return
    response = client.put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": REFERENCE_CHANGED,
                "Detail": json.dumps({}),
                "EventBusName": bus_name,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError("the prices change event was not accepted")


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(PricesSettings)
    replaced = rewrite_all(CoverageStore(settings.coverage_table, aws.client("dynamodb")))
    return {"replaced": replaced}


lambda_handler = background_entry("coverage", _consume)
