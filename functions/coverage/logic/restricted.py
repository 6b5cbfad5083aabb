"""42 CFR Part 2 in coverage: who sees a participant's substance-use services in estimates and
Good Faith Estimates, and what everyone else sees of them. Pure: no boto3.

Coverage's readers are the participant and coordinators. The participant and the coordinators
the program names (`PART2_COORDINATORS`; unset: all) see every line in full; another
coordinator does only while the participant's consent names them (by person id: coordinators
hold no care-team position, so a consent to a position never reaches them). Consents reach
coverage as copies the schedule stream writes into the participant's partition
(`consent_copy`), read with the rest of it in the one Query every estimate makes.

For a reader who may not see them, a Part 2 line (a Part 2 session or group type, or a
substance-use code: H0004, H0005, H0015) is a **restricted service**: its day, time, status and
amounts, nothing that names it (no id, type, code, units, reasons or 271 lines). Totals count
it as before, so they still add up. A full view for anyone but the participant carries the
redisclosure notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from functions.common.auth import Principal
from functions.common.part2 import REDISCLOSURE_NOTICE, Part2Policy, consent_status
from functions.contracts.schedule import ConsentData
from functions.coverage import keys
from functions.coverage.logic.costshare import BillingCode
from functions.coverage.logic.estimates import EstimateLine
from functions.coverage.vocabulary import ENTITY_PART2_CONSENT_COPY

PART2_CODES: frozenset[BillingCode] = frozenset(
    {
        BillingCode.BEHAVIORAL_HEALTH_COUNSELING,  # H0004: the program's substance-use counseling
        BillingCode.ALCOHOL_DRUG_GROUP,  # H0005
        BillingCode.ALCOHOL_DRUG_IOP_PER_DIEM,  # H0015
    }
)
"""Codes that by themselves say someone receives substance-use disorder treatment here."""
CONSENT_DAY_ZONE = ZoneInfo("Etc/GMT-14")
"""Coverage does not know the participant's zone: a consent's last day (`expires_on`, the
participant's date) is taken to end where days end first (UTC+14), so coverage never honours a
consent past its end anywhere, at the cost of up to a day early."""
RESTRICTED = "restricted service"
"""What a reader who may not see a Part 2 service is told it is."""


def consent_copy(consent: ConsentData) -> dict[str, Any]:
    """Coverage's copy of a Part 2 consent schedule published (`consent.changed`): who it names
    and until when, nothing else (the event carries no purpose, no document)."""
    return {
        **keys.part2_consent_key(consent.participant_id, consent.consent_id),
        "entity": ENTITY_PART2_CONSENT_COPY,
        "consent_id": consent.consent_id,
        "recipient_ids": sorted(consent.recipient_ids),
        "expires_on": consent.expires_on.isoformat() if consent.expires_on else None,
        "revoked": consent.revoked,
        "version": consent.revision,
    }


def consented(viewer_id: str, copies: Iterable[Mapping[str, Any]], today: date) -> bool:
    """Whether an active consent copy names `viewer_id`."""
    for copy in copies:
        expires = copy.get("expires_on")
        status = consent_status(
            bool(copy.get("revoked")), date.fromisoformat(expires) if expires else None, today
        )
        if status == "active" and viewer_id in (copy.get("recipient_ids") or ()):
            return True
    return False


@dataclass(frozen=True)
class Reader:
    """One reader of one participant's coverage, and how much of the Part 2 services they see."""

    participant: bool
    full: bool

    def notice(self, shows_part2: bool) -> str | None:
        """The notice a response showing Part 2 services (`shows_part2`) to this reader carries."""
        return REDISCLOSURE_NOTICE if shows_part2 and self.full and not self.participant else None


def reader(
    caller: Principal,
    participant_id: str,
    *,
    policy: Part2Policy,
    consents: Iterable[Mapping[str, Any]],
    today: date,
) -> Reader:
    """`caller` already may read the participant's coverage (themself or a coordinator)."""
    if caller.person_id == participant_id:
        return Reader(participant=True, full=True)
    full = policy.coordinator_sees(caller) or consented(caller.person_id, consents, today)
    return Reader(participant=False, full=full)


def is_part2_line(line: EstimateLine, policy: Part2Policy) -> bool:
    """A line billing a Part 2 service (a per-diem day is one if any of its sessions is)."""
    if any(policy.is_part2(source.kind) for source in line.sources):
        return True
    return line.item is not None and line.item.service.code in PART2_CODES


def is_part2_code(code: str) -> bool:
    """A billing code that by itself names substance-use treatment (an authorization for it, a
    claim or booked use under it). A type the program adds to Part 2 bills under an ordinary
    code (90837 ...): its estimate lines are restricted by type, an authorization is not."""
    return code in {c.value for c in PART2_CODES}


def part2_sources(items: Iterable[Mapping[str, Any]]) -> set[str]:
    """The sources (session ids, occurrences, per-diem days) whose claim or booked use bills a
    substance-use code."""
    return {
        str(item.get("source_id"))
        for item in items
        if any(is_part2_code(str(code)) for code in item.get("codes") or ())
    }
