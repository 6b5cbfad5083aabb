"""Failures told without their messages: an exception's text can quote the data it choked on
(a pydantic error quotes the input, a KeyError the key), so logs and the batch processor's
reports carry only the error's type and where it happened."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from functions.common.observability import logger

P = ParamSpec("P")
R = TypeVar("R")


class RecordFailed(Exception):
    """A batch record's failure, its cause's type only (the cause itself is dropped)."""


def failure_frames(exc: BaseException, depth: int = 8) -> list[str]:
    """The innermost frames of a failure as `file:line in function`, without any message."""
    frames = traceback.extract_tb(exc.__traceback__)[-depth:]
    return [f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} in {frame.name}" for frame in frames]


def sanitized(handler: Callable[P, R]) -> Callable[P, R]:
    """Wrap a batch record handler: a failure is logged as type and frames, and re-raised as
    `RecordFailed` without its cause, so the partial-batch report (and, when every record
    fails, the BatchProcessingError the runtime logs) holds no message text."""

    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
            kind = type(exc).__name__
            logger.error("record failed", extra={"error": kind, "where": failure_frames(exc)})
            raise RecordFailed(kind) from None

    return wrapped
