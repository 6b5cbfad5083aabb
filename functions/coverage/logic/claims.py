"""Projected claims: what an attended session is expected to cost the participant and fill
of their deductible and out-of-pocket maximum, recorded once per session and attendee so
later estimates start from it until a fresh 271 replaces it. Pure: no boto3."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.common.models import iso
from functions.coverage import keys
from functions.coverage.billing import BillingReference
from functions.coverage.logic.costshare import BillingRule, DaySession, PartKind, Program, code_session
from functions.coverage.logic.estimates import (
    GROUP_CATEGORY,
    SESSION_CATEGORY,
    Coverage,
    Estimate,
    WeekService,
    estimate,
)

ENTITY_CLAIM = "PROJECTED_CLAIM"
ENTITY_BOOKED_USE = "BOOKED_USE"
ENTITY_FAMILY_SHARE = "FAMILY_SHARE"


def session_service(image: Mapping[str, Any], person_id: str, coverage: Coverage) -> WeekService | None:
    """The attended session as a billable service for `person_id`, or None when it bills
    nothing for them (not attended, not billable, or a couples session billed to the partner)."""
    if image.get("status") != "booked" or (image.get("attendance") or {}).get(person_id) != "attended":
        return None
    category = SESSION_CATEGORY.get(str(image.get("type")))
    if category is None:
        return None
    couple_id = image.get("couple_id")
    if image.get("type") == "couples":
        identified = coverage.identified_patients.get(str(couple_id)) or sorted(image["attendee_ids"])[0]
        if identified != person_id:
            return None
    return WeekService(
        source_id=str(image["session_id"]),
        kind=str(image["type"]),
        category=category,
        start=datetime.fromisoformat(str(image["start"])),
        end=datetime.fromisoformat(str(image["end"])),
        status="attended",
    )


def occurrence_service(image: Mapping[str, Any], person_id: str) -> WeekService | None:
    """An attended group occurrence as a billable service, or None."""
    if (image.get("attendance") or {}).get(person_id) != "attended" or not image.get("occurrence_end"):
        return None
    category = GROUP_CATEGORY.get(str(image.get("group_type")))
    if category is None:
        return None
    return WeekService(
        source_id=f"{image['group_id']}@{image['occurrence_start']}",
        kind=str(image["group_type"]),
        category=category,
        start=datetime.fromisoformat(str(image["occurrence_start"])),
        end=datetime.fromisoformat(str(image["occurrence_end"])),
        status="attended",
    )


def booked_use(
    image: Mapping[str, Any],
    person_id: str,
    coverage: Coverage,
    zone: ZoneInfo,
    per_diem: tuple[BillingRule, Program] | None = None,
) -> dict[str, Any] | None:
    """What a booked session is expected to draw on authorizations and visit limits, or None
    when it is not booked (any more), its attendance is recorded for this person, or it bills
    nothing for them. Coded per service; under a per-diem
    plan (`per_diem`, the plan's rule) it also carries what the day's coding needs (its
    category, minutes and the rule), and the day's booked sessions are coded together."""
    if image.get("status") != "booked":
        return None
    if (image.get("attendance") or {}).get(person_id):
        return None  # attendance recorded: attended is a claim now, missed bills nothing
    category = SESSION_CATEGORY.get(str(image.get("type")))
    if category is None:
        return None
    if image.get("type") == "couples":
        identified = (
            coverage.identified_patients.get(str(image.get("couple_id"))) or sorted(image["attendee_ids"])[0]
        )
        if identified != person_id:
            return None
    start = datetime.fromisoformat(str(image["start"]))
    minutes = int((datetime.fromisoformat(str(image["end"])) - start).total_seconds() // 60)
    lines = code_session(
        DaySession(on=start.astimezone(zone).date(), category=category, minutes=minutes, member_id=person_id)
    )
    if not lines:
        return None
    item: dict[str, Any] = {
        **keys.booked_key(person_id, str(image["session_id"])),
        "entity": ENTITY_BOOKED_USE,
        "source_id": str(image["session_id"]),
        "service_date": start.astimezone(zone).date().isoformat(),
        "codes": [code.value for code, _, _ in lines],
        "units": [units for _, units, _ in lines],
    }
    if per_diem is not None:
        rule, program = per_diem
        item["category"] = category.value
        item["minutes"] = minutes
        item["per_diem"] = {
            "minimum_hours": str(rule.per_diem_minimum_hours),
            "below_minimum": rule.below_minimum.value,
            "program": program.value,
        }
    return item


def projected_claim(
    person_id: str,
    service: WeekService,
    coverage: Coverage,
    reference: BillingReference,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> dict[str, Any] | None:
    """The claim item for one attended service (None when it bills nothing). Uninsured or
    unverified ones are recorded too: they consume prior authorizations, and only claims
    under a verified plan move its accumulators."""
    day = service.start.astimezone(zone).date()
    result = estimate(person_id, [service], coverage, reference, zone=zone, on=day)
    return _claim_item(person_id, service.source_id, day, result, now=now)


def day_claim(
    person_id: str,
    day: date,
    services: list[WeekService],
    coverage: Coverage,
    reference: BillingReference,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> dict[str, Any] | None:
    """The claim of a per-diem day, from every service the participant attended that day
    (None when they bill nothing): one S9480/H0015 line once the day has the plan's hours,
    its carve-outs beside it, or the services one by one below them. Priced after the
    participant's other claims, never after an earlier version of itself."""
    source = keys.day_source(day)
    others = replace(coverage, claims=[c for c in coverage.claims if c.get("source_id") != source])
    result = estimate(person_id, services, others, reference, zone=zone, on=day)
    return _claim_item(person_id, source, day, result, now=now, covers=[s.source_id for s in services])


def family_shares(
    person_id: str, source_id: str, claim: Mapping[str, Any] | None, members: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """What one member's claim counts toward their family's deductible and out-of-pocket
    maximum, filed with each other member of the family (`members`: person, plan), or the
    keys to withdraw when the claim is gone or moves nothing. Figures only: no codes, no
    dates of service beyond the day, nothing clinical."""
    others = [(person, plan) for person, plan in members if person != person_id]
    shared = [keys.family_share_key(person, person_id, source_id) for person, _ in others]
    if claim is None or claim.get("basis") != "insured":
        return [], shared
    shares = [
        {
            **key,
            "entity": ENTITY_FAMILY_SHARE,
            "plan_id": plan,
            "from_person_id": person_id,
            "network": claim.get("network"),
            "deductible_cents": int(claim.get("deductible_cents", 0)),
            "oop_cents": int(claim.get("oop_cents", 0)),
            "service_date": claim.get("service_date"),
            "recorded_at": claim["recorded_at"],
        }
        for key, (_, plan) in zip(shared, others, strict=True)
    ]
    return shares, []


def _claim_item(
    person_id: str,
    source_id: str,
    day: date,
    result: Estimate,
    *,
    now: datetime,
    covers: list[str] | None = None,
) -> dict[str, Any] | None:
    items = [line.item for line in result.lines if line.item]
    if not items:
        return None
    deductible = sum(p.cents for i in items for p in i.parts if p.kind is PartKind.DEDUCTIBLE)
    claim = {
        **keys.claim_key(person_id, source_id),
        "entity": ENTITY_CLAIM,
        "person_id": person_id,
        "source_id": source_id,
        "plan_id": result.plan_id,
        "basis": result.basis,
        "network": result.network.value if result.network else None,
        "codes": [i.service.code.value for i in items],
        "units": [i.service.units for i in items],
        "service_date": day.isoformat(),
        "allowed_cents": sum(i.allowed for i in items),
        "participant_cents": sum(i.participant_pays for i in items),
        "deductible_cents": deductible,
        "oop_cents": sum(i.cost_share for i in items),
        "recorded_at": iso(now),
    }
    if covers is not None:
        claim["covers"] = covers
    return claim
