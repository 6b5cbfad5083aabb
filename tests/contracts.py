"""Events checked against the committed JSON Schemas (`contracts/`), with a validator nobody here
wrote (`jsonschema`), not the pydantic models the schemas were generated from: what schedule's
translator produces, and what each consumer's tests hand it, must be what the files say."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"


@cache
def validator(domain: str, kind: str, version: int) -> Draft202012Validator:
    path = CONTRACTS / domain / f"{kind}.v{version}.json"
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def check_event(event: dict[str, Any], domain: str = "schedule") -> dict[str, Any]:
    """`event` (its JSON form) when it validates against the committed schema of its type and
    version; AssertionError naming what is wrong otherwise."""
    errors = sorted(
        validator(domain, str(event["type"]), int(event["version"])).iter_errors(event),
        key=lambda e: list(e.absolute_path),
    )
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    return event
