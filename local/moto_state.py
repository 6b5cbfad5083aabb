"""What moto keeps forever, and how the local runtime bounds it (in the process that hosts moto).

- **Every model object moto ever made.** moto's `BaseModel.__new__` appends each instance of
  every model class to a class-level list (`instances_tracked`, read only by the moto-api
  dashboard and S3's reset). Every DynamoDB item moto copies to answer a query, every stream
  record, every SQS message stayed reachable for the life of the process: this was most of the
  local runtime's growth (6.7 GB over an afternoon). `install` stops the tracking; the objects
  the backends hold live as long as the backends hold them. (moto's `/moto-api/data.json`
  dashboard lists no model objects locally.)
- **Sent mail and texts.** SES keeps every message sent, SNS every SMS. `trim` keeps the most
  recent `SENT_KEPT` of each (what `/_local/sms` lists); SES's send counters are untouched.
- **Deleted SQS receipt handles.** Each queue remembers every receipt handle it deleted (so a
  repeated delete succeeds). `trim` forgets them once a queue holds more than `HANDLES_KEPT`.

The runtime runs `trim` on a loop (`HOUSEKEEPING_SECONDS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core import model_instances
from moto.core.common_models import BaseModel
from moto.core.models import DEFAULT_ACCOUNT_ID

SENT_KEPT = 1000
HANDLES_KEPT = 10_000
HOUSEKEEPING_SECONDS = 10.0


def _untracked_new(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
    return object.__new__(cls)


def install() -> Callable[[], None]:
    """Stop moto tracking every model instance (and drop what it tracked); returns the undo."""
    original = BaseModel.__dict__["__new__"]
    BaseModel.__new__ = staticmethod(_untracked_new)  # type: ignore[method-assign]
    model_instances.reset_model_data()

    def undo() -> None:
        BaseModel.__new__ = original  # type: ignore[method-assign]

    return undo


def tracked() -> int:
    """How many model instances moto tracks now (all services)."""
    return sum(
        len(getattr(model, "instances_tracked", []))
        for models in model_instances.model_data.values()
        for model in models.values()
    )


def trim(region: str = "us-east-1") -> None:
    """Bound what moto's SES, SNS and SQS backends keep (see the module docstring)."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    ses = ses_backends[DEFAULT_ACCOUNT_ID][region]
    if len(ses.sent_messages) > SENT_KEPT:
        del ses.sent_messages[: len(ses.sent_messages) - SENT_KEPT]
    sms = sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages
    for message_id in list(sms)[: max(0, len(sms) - SENT_KEPT)]:
        sms.pop(message_id, None)
    for queue in list(sqs_backends[DEFAULT_ACCOUNT_ID][region].queues.values()):
        if len(queue.deleted_messages) > HANDLES_KEPT:
            queue.deleted_messages = set()
