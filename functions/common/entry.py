"""Lambda entry points of the non-API functions: logging, tracing and metrics wired once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import aws
from functions.common.observability import CAPTURE_COLD_START, logger, metrics, tracer

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def background_entry(domain: str, work: Handler) -> Handler:
    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=CAPTURE_COLD_START)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        logger.append_keys(domain=domain)
        with aws.invocation(context):
            return work(event, context)

    return cast(Handler, handler)
