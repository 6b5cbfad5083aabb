"""Audit entries: item shape, outcomes, and nothing but identifiers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from functions.common.audit import AuditEntry, outcome_of
from functions.common.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    TandemError,
    Unauthenticated,
)

DOCUMENTED_KEYS = {
    "pk",
    "sk",
    "actor_pk",
    "entry_id",
    "actor_id",
    "actor_role",
    "action",
    "resource",
    "at",
    "request_id",
    "outcome",
}


def _entry(**overrides: Any) -> AuditEntry:
    fields = {
        "entry_id": "e1",
        "actor_id": "per_actor",
        "actor_role": "coordinator",
        "action": "person.read",
        "resource": "person/per_target",
        "at": datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=UTC),
        "request_id": "req-1",
        "outcome": "success",
    }
    fields.update(overrides)
    return AuditEntry(**fields)


def test_to_item_shape():
    item = _entry().to_item()
    assert item == {
        "pk": {"S": "RESOURCE#person/per_target"},
        "sk": {"S": "2025-03-04T05:06:07.000890Z#e1"},
        "actor_pk": {"S": "ACTOR#per_actor"},
        "entry_id": {"S": "e1"},
        "actor_id": {"S": "per_actor"},
        "actor_role": {"S": "coordinator"},
        "action": {"S": "person.read"},
        "resource": {"S": "person/per_target"},
        "at": {"S": "2025-03-04T05:06:07.000890Z"},
        "request_id": {"S": "req-1"},
        "outcome": {"S": "success"},
    }


def test_sk_starts_with_the_utc_time_even_for_other_offsets():
    # Given an entry stamped in US Central daylight time
    at = datetime(2025, 7, 1, 19, 30, tzinfo=timezone(timedelta(hours=-5)))

    # When it becomes an item
    item = _entry(at=at, entry_id="abc").to_item()

    # Then its time is in UTC with a Z suffix and the sort key begins with it
    assert item["at"]["S"] == "2025-07-02T00:30:00.000000Z"
    assert item["sk"]["S"].startswith("2025-07-02T00:30:00.000000Z#")
    assert item["sk"]["S"].endswith("#abc")


def test_sort_keys_order_chronologically():
    base = datetime(2025, 1, 1, tzinfo=UTC)
    sks = [_entry(at=base + timedelta(microseconds=n * 999)).to_item()["sk"]["S"] for n in (0, 1, 1000, 5000)]
    assert sks == sorted(sks)


def test_item_holds_only_documented_keys_all_strings():
    item = _entry().to_item()
    assert set(item) == DOCUMENTED_KEYS
    assert all(set(v) == {"S"} and isinstance(v["S"], str) for v in item.values())


def test_entry_refuses_undocumented_fields_and_outcomes():
    # AuditEntry ignores unknown fields, so PHI passed by mistake never reaches the item
    entry = AuditEntry(
        entry_id="e",
        actor_id="a",
        actor_role="participant",
        action="x",
        resource="r",
        at=datetime(2025, 1, 1, tzinfo=UTC),
        request_id="q",
        outcome="success",
        email="alex@example.com",
    )
    item = entry.to_item()
    assert set(item) == DOCUMENTED_KEYS
    assert "alex@example.com" not in str(item)
    with pytest.raises(ValueError, match="outcome"):
        _entry(outcome="maybe")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, "success"),
        (Forbidden("no"), "denied"),
        (NotFound("no"), "not_found"),
        (BadRequest("no"), "rejected"),
        (Unauthenticated("no"), "rejected"),
        (Conflict("no"), "rejected"),
        (PreconditionFailed("no"), "rejected"),
        (PreconditionRequired("no"), "rejected"),
        (InvalidInput("no"), "rejected"),
        (TandemError("no"), "error"),
        (ConfigurationError("no"), "error"),
        (DependencyUnavailable("no"), "error"),
        (ValueError("no"), "error"),
        (KeyboardInterrupt(), "error"),
    ],
)
def test_outcome_of(error, outcome):
    assert outcome_of(error) == outcome
