"""Powertools logger, tracer and metrics, set up once per process.

The logger's formatter erases PHI before a record is serialised: any key named in
`PHI_KEYS` (at any depth of the record, including `extra` keys and structured messages)
is replaced by a fixed mask. The rule of the code base is still that PHI is never logged;
the mask is the safety net for the day someone forgets.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

MASK = "*****"

PHI_KEYS: frozenset[str] = frozenset(
    {
        "name",
        "display_name",
        "first_name",
        "last_name",
        "given_name",
        "family_name",
        "preferred_name",
        "email",
        "phone",
        "phone_number",
        "address",
        "date_of_birth",
        "dob",
        "member_id",
        "subscriber_id",
        "group_number",
        "ssn",
        "diagnosis",
        "diagnoses",
        "notes",
        "note",
        "clinical_notes",
        "message_body",
        "body",
        "authorization",
        "id_token",
        "access_token",
        "password",
    }
)


def redact(value: Any) -> Any:
    """A copy of `value` with every PHI-named key's value masked, at any depth."""
    if isinstance(value, dict):
        return {
            key: (MASK if isinstance(key, str) and key.lower() in PHI_KEYS else redact(item))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


class PhiMaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter with PHI-named keys masked before serialisation."""

    def serialize(self, log: Any) -> str:
        return super().serialize(log=redact(log))


logger = Logger(service="tandem", logger_formatter=PhiMaskingFormatter())
# Powertools writes the cold-start metric even with POWERTOOLS_METRICS_DISABLED, so it is
# only asked for where metrics are on (in AWS; not in the local runtime, tests or bench).
CAPTURE_COLD_START = not is_metrics_disabled()
tracer = Tracer(service="tandem")
metrics = Metrics(namespace="Tandem", service="tandem")
