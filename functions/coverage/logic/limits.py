"""Visit and day limits a 271 states, and how many of them a participant has used before a day.

A payer states a limit as a quantity (EB09/EB10, or HSD) of visits (`VS`) or days (`DY`) per
period (EB06/HSD05): per calendar or service year, per admission or episode, or only what
remains (period 29). The engine enforces one allowance per plan, chosen in this order:

1. a visit limit per year (calendar, service, contract): counted over that year;
2. a limit of visits or days per admission or episode: counted over the participant's stay in
   the program, which is their one admission (Tandem has no readmissions: a new stay is a new
   participant record);
3. only what remains: counted from the 271 on.

What was used before the estimated week: what the 271 says was used (its limit less what
remains), the attended visits claimed since the 271, and the visits booked between the 271 and
the week (individual sessions, and group occurrences of the weeks in between). A day limit
counts days with any such visit, a visit limit visits (an add-on code is part of its visit).

Weekly limits (HSD `VS` per week) are not an allowance: the estimate says which weeks go over.
Pure: no boto3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from functions.coverage.logic.costshare import BillingCode
from functions.coverage.logic.eligibility import CostShareOut, LimitOut
from functions.coverage.x12.codes import TimePeriod

VISIT_POOL = "mental_health"
"""A 271's visit limit counts every mental-health visit (office, group, per-diem day) together."""

YEARLY = frozenset(
    {None, TimePeriod.CALENDAR_YEAR, TimePeriod.SERVICE_YEAR, TimePeriod.CONTRACT, TimePeriod.YEARS}
)
"""Periods counted over the plan year."""

STAY = frozenset({TimePeriod.ADMISSION, TimePeriod.EPISODE})
"""Periods counted over the participant's stay in the program."""

PERIOD_WORDS: Mapping[TimePeriod, str] = {
    TimePeriod.CALENDAR_YEAR: "calendar year",
    TimePeriod.SERVICE_YEAR: "service year",
    TimePeriod.CONTRACT: "contract",
    TimePeriod.YEARS: "year",
    TimePeriod.WEEK: "week",
    TimePeriod.MONTH: "month",
    TimePeriod.EPISODE: "episode",
    TimePeriod.ADMISSION: "admission",
    TimePeriod.VISIT: "visit",
    TimePeriod.DAY: "day",
}

Unit = Literal["visit", "day"]
Scope = Literal["year", "stay", "remaining"]
UNIT_CODES: Mapping[str, Unit] = {"VS": "visit", "DY": "day"}


@dataclass(frozen=True)
class Allowance:
    """The one limit the engine enforces for a plan."""

    allowed: int
    """Visits (or days) the engine allows from the start of the period (or, with only what
    remains given, from the 271 on)."""
    unit: Unit
    scope: Scope
    """What it is counted over: the plan year, the stay, or (only what remains given) from the 271."""
    period: TimePeriod | None
    """The 271's period (None: not stated)."""
    stated: str
    """How the payer stated it, for the estimate's notes: "30 visits per service year"."""
    used_by_271: int | None = None
    """What the 271 counts as used (its limit less what remains), when it gave both."""


def _whole(quantity: Decimal) -> int | None:
    return int(quantity) if quantity == quantity.to_integral_value() and quantity >= 0 else None


def _remaining(limits: Iterable[LimitOut], unit_code: str) -> int | None:
    return next(
        (
            whole
            for q in limits
            if q.kind == "remaining"
            and q.unit_code == unit_code
            and (whole := _whole(q.quantity)) is not None
        ),
        None,
    )


def allowance(share: CostShareOut) -> Allowance | None:
    """The limit the engine enforces for these benefits, or None when they state none it counts."""
    period = share.visit_limit_period
    if share.visit_limit is not None and (period in YEARLY or period in STAY):
        per = PERIOD_WORDS.get(period, "plan year") if period else "plan year"
        used = (
            max(share.visit_limit - share.visits_remaining, 0) if share.visits_remaining is not None else None
        )
        scope: Scope = "stay" if period in STAY else "year"
        return Allowance(
            share.visit_limit, "visit", scope, period, f"{share.visit_limit} visits per {per}", used
        )
    for limit in share.limits:
        unit = UNIT_CODES.get(limit.unit_code)
        allowed = _whole(limit.quantity)
        if limit.kind != "limit" or unit is None or limit.period not in STAY or allowed is None:
            continue
        if limit.procedure is not None:
            continue  # a limit on one procedure is that procedure's, not the category's
        left = _remaining(share.limits, limit.unit_code)
        words = "visits" if unit == "visit" else "days"
        return Allowance(
            allowed,
            unit,
            "stay",
            limit.period,
            f"{allowed} {words} per {PERIOD_WORDS[limit.period]}",
            max(allowed - left, 0) if left is not None else None,
        )
    if share.visits_remaining is not None:
        return Allowance(
            share.visits_remaining, "visit", "remaining", None, f"{share.visits_remaining} visits left"
        )
    return None


def _visits(codes: Iterable[object]) -> int:
    """Visits a claim or booking makes: its lines less add-on codes (part of their visit)."""
    return sum(1 for code in codes if str(code) != BillingCode.PSYCHOTHERAPY_ADD_ON_30.value)


@dataclass(frozen=True)
class Expected:
    """A visit expected before the estimated week and not yet claimed: a booked session, or an
    occurrence of a group the participant is enrolled in."""

    source_id: str
    day: date
    visits: int = 1
    per_diem: bool = False


def booked_expected(booked: Iterable[Mapping[str, Any]]) -> list[Expected]:
    """Coverage's projected uses of booked sessions, as expected visits."""
    return [
        Expected(
            str(item.get("source_id")),
            date.fromisoformat(str(item["service_date"])),
            _visits(item.get("codes") or ()),
            bool(item.get("per_diem")),
        )
        for item in booked
    ]


def used_before(
    limit: Allowance,
    *,
    plan_id: str,
    checked_at: datetime,
    claims: Iterable[Mapping[str, Any]],
    expected: Iterable[Expected],
    before: date,
    pricing: frozenset[str] = frozenset(),
) -> int:
    """Visits (or days) counted against `limit` before `before`.

    The 271's own count stands for everything up to its check when it gave one and its period
    is the one `before` falls in; claims recorded after it and visits expected between it and
    `before` are added. Without the 271's count, a yearly or stay limit counts every claim of
    its period (at least what the payer counts from this program); only what remains given,
    claims count from the 271 on. `pricing`: the sources being estimated (never counted twice).
    """
    same_year = limit.period is not TimePeriod.CALENDAR_YEAR or checked_at.year == before.year
    baseline = limit.used_by_271 if limit.used_by_271 is not None and same_year else None
    counted_by_271 = baseline is not None or limit.scope == "remaining"

    def in_period(day: date) -> bool:
        return limit.period is not TimePeriod.CALENDAR_YEAR or day.year == before.year

    visits = 0
    days: set[date] = set()
    per_diem_days: set[date] = set()
    claimed: set[str] = set()
    for claim in claims:
        if claim.get("plan_id") != plan_id or claim.get("basis", "insured") != "insured":
            continue
        source = str(claim.get("source_id"))
        covers = {str(c) for c in claim.get("covers") or ()}
        claimed |= {source, *covers}
        if source in pricing or pricing.intersection(covers):
            continue
        if counted_by_271 and datetime.fromisoformat(str(claim["recorded_at"])) <= checked_at:
            continue  # the 271 already counts it
        day = date.fromisoformat(str(claim["service_date"]))
        if not in_period(day) or day >= before:
            continue
        visits += _visits(claim.get("codes") or ())
        days.add(day)
    seen: set[str] = set()
    for item in expected:
        if item.source_id in pricing or item.source_id in claimed or item.source_id in seen:
            continue
        seen.add(item.source_id)
        if not checked_at.date() <= item.day < before or not in_period(item.day):
            continue
        days.add(item.day)
        if item.per_diem:
            per_diem_days.add(item.day)  # a per-diem day is one visit, however many sessions it has
        else:
            visits += item.visits
    counted = len(days) if limit.unit == "day" else visits + len(per_diem_days)
    return (baseline or 0) + counted


@dataclass(frozen=True)
class Counted:
    """An estimate line as the limit notes see it."""

    day: date
    beyond_limit: bool
    """Priced at the full charge because the allowance was used up."""
    visit: bool
    """A covered visit (not an add-on code)."""


def limit_notes(share: CostShareOut, limit: Allowance | None, lines: Iterable[Counted]) -> list[str]:
    """What an estimate says about the 271's limits: when its sessions cross the allowance, and
    each week that has more visits than a weekly limit allows."""
    lines = list(lines)
    notes = []
    over = next((line for line in lines if line.beyond_limit), None)
    if over is not None and limit is not None:
        year, number, _ = over.day.isocalendar()
        monday = date.fromisocalendar(year, number, 1).isoformat()
        notes.append(
            f"the week of {monday} crosses the plan's {limit.unit} limit ({limit.stated}): from "
            f"{over.day.isoformat()} sessions are beyond it and shown at the full charge"
        )
    for weekly in share.limits:
        if weekly.kind != "limit" or weekly.unit_code != "VS" or weekly.period is not TimePeriod.WEEK:
            continue
        allowed = int(weekly.quantity)
        weeks: dict[tuple[int, int], int] = {}
        for line in lines:
            if line.visit:
                year, number, _ = line.day.isocalendar()
                weeks[(year, number)] = weeks.get((year, number), 0) + 1
        for (year, number), count in sorted(weeks.items()):
            if count > allowed:
                monday = date.fromisocalendar(year, number, 1).isoformat()
                notes.append(
                    f"the week of {monday} has {count} visits; the plan allows {allowed} a week "
                    "(visits beyond that may be denied)"
                )
    return notes
