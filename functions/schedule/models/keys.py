"""Keys of the schedule table's items that have no record class of their own (a record's
key is its `key()`)."""

from __future__ import annotations

from datetime import datetime

from functions.common.models import iso


def commitments_key(person_id: str) -> dict[str, str]:
    """The person's group commitments: one attribute per series they attend or lead, so a
    booking sees every group hour it must avoid in the batch read it already makes."""
    return {"pk": f"PERSON#{person_id}", "sk": "COMMITMENTS"}


def commitment_attribute(group_id: str) -> str:
    return f"g_{group_id}"


def room_key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}", "sk": "ROOM"}


def intensity_key(week: str, person_id: str) -> dict[str, str]:
    return {"pk": f"INTENSITY#{week}", "sk": f"PERSON#{person_id}"}


def feed_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"FEED#{token_hash}", "sk": "FEED"}


def occurrence_key(group_id: str, start: datetime) -> dict[str, str]:
    return {"pk": f"GROUP#{group_id}", "sk": f"OCC#{iso(start)}"}
