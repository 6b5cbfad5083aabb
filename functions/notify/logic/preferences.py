"""Rules about notification preferences. No boto3."""

from __future__ import annotations

from datetime import datetime

from functions.notify.models import PreferencesIn, PreferencesOut, PreferencesRecord


def effective(record: PreferencesRecord | None) -> tuple[PreferencesOut, int]:
    """What applies to a person, and its version (0: the program defaults, never saved)."""
    if record is None:
        return PreferencesOut(), 0
    return PreferencesOut(**record.preferences.model_dump(), updated_at=record.updated_at), record.version


def replace(
    person_id: str, new: PreferencesIn, *, current: PreferencesRecord | None, now: datetime
) -> PreferencesRecord:
    """The next version: the edited preferences, with the contact data and consent the
    route does not edit carried over unchanged."""
    if current is None:
        return PreferencesRecord(person_id=person_id, preferences=new, updated_at=now, version=1)
    return current.model_copy(update={"preferences": new, "updated_at": now, "version": current.version + 1})
