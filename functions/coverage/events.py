"""Coverage's consumer of the schedule table's stream (attendance -> accumulators and
authorization units). The handlers per entity arrive with the coverage capabilities; the
consumer, its filter and its failure handling are in place."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.config import Settings
from functions.common.entry import background_entry
from functions.common.streams import ChangeHandler, process_changes

HANDLERS: dict[str, ChangeHandler] = {}
SETTINGS = Settings  # nothing of its own yet


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_changes(event, context, HANDLERS)


lambda_handler = background_entry("coverage", _consume)
