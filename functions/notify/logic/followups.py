"""The follow-up a missed session owes: the makeup offer schedule writes for the participant
(published as `makeup.offered`) becomes a message with the options. No boto3."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.notify.logic.reminders import Recipient, notice_due
from functions.notify.models import MessageRecord, PreferencesRecord
from functions.notify.vocabulary import Channel, MessageKind


def followup_id(missed_session_id: str, person_id: str, channel: Channel) -> str:
    return f"mkp.{missed_session_id}.{person_id}.{channel.value}"


def plan_missed_session(
    offer: Mapping[str, Any], prefs: PreferencesRecord | None, now: datetime
) -> list[MessageRecord]:
    """One follow-up per channel of the person; the options keep only their kind and time
    (no clinician or partner ids in the outbox)."""
    person_id = str(offer["person_id"])
    missed = str(offer["missed_session_id"])
    person = Recipient.of(person_id, prefs, fallback_zone="UTC")
    options = [
        {"kind": str(option.get("kind")), **({"start": str(option["start"])} if option.get("start") else {})}
        for option in offer.get("options") or []
        if isinstance(option, Mapping)
    ]
    kind = MessageKind.MISSED_SESSION
    return [
        MessageRecord(
            message_id=followup_id(missed, person_id, channel),
            person_id=person_id,
            channel=channel,
            kind=kind,
            due_at=notice_due(kind, channel, person, now),
            session_id=missed,
            session_type=str(offer.get("missed_type") or "") or None,
            time_zone=person.zone,
            detail={"options": options},
            created_at=now,
        )
        for channel in person.channels_for(kind)
    ]
