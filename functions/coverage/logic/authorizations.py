"""Prior authorizations: units (or days) of some billing codes authorized in a date range.
Attended services consume them (projected claims); booked sessions project their use; a
service outside every window or beyond the remaining units is flagged; two or fewer units
left, or expiry seven days away, raises an alert for coordinators. Pure: no boto3.

Several authorizations may be active at once: a service draws on the one that covers its
code and date and ends first (the one that would otherwise expire unused).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.common.errors import FieldError, InvalidInput
from functions.common.models import CalendarDate, SingleLine, StoredRecord, iso
from functions.coverage import keys
from functions.coverage.logic.costshare import (
    BelowMinimum,
    BillingCode,
    BillingModel,
    BillingRule,
    DaySession,
    Program,
    ServiceCategory,
    billing_lines,
)

LOW_UNITS = 2
EXPIRY_WARNING = timedelta(days=7)
ENTITY_AUTHORIZATION = "AUTHORIZATION"
AuthNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{0,39}$")]


class UnitKind(StrEnum):
    UNITS = "units"
    """Each billed unit counts (an H0004 line of 4 units uses 4)."""
    DAYS = "days"
    """Each distinct day with a service of the codes counts once (per-diem authorizations)."""


class AuthorizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authorization_number: AuthNumber
    payer_id: SingleLine = Field(min_length=1, max_length=50)
    billing_codes: list[BillingCode] = Field(min_length=1, max_length=12)
    unit_kind: UnitKind = UnitKind.UNITS
    authorized: int = Field(ge=1, le=1000, description="Units or days authorized")
    start: CalendarDate
    end: CalendarDate


class AuthorizationRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    person_id: str
    authorization_id: str
    authorization_number: str
    payer_id: str
    billing_codes: list[BillingCode]
    unit_kind: UnitKind
    authorized: int
    start: date
    end: date
    alerted: list[str] = Field(default_factory=list, description="Alerts already raised (low, expiring)")
    updated_at: datetime
    version: int = 1

    def to_attributes(self) -> dict[str, Any]:
        warn_on = self.end - EXPIRY_WARNING
        return {
            **keys.authorization_key(self.person_id, self.authorization_id),
            "entity": ENTITY_AUTHORIZATION,
            # The nightly sweep finds authorizations a week from expiry in one bucket.
            **keys.authorization_expiry_index(self.person_id, self.authorization_id, warn_on),
            **self.model_dump(mode="json"),
            "updated_at": iso(self.updated_at),
        }


def new_authorization_id() -> str:
    return "aut_" + uuid.uuid4().hex


def check(request: AuthorizationIn) -> None:
    if request.end < request.start:
        raise InvalidInput(
            "the authorization ends before it starts", errors=[FieldError("body.end", "before start")]
        )


@dataclass(frozen=True)
class Use:
    """A service drawing on authorizations: attended (consumed) or booked (projected)."""

    source_id: str
    day: date
    code: BillingCode
    units: int
    consumed: bool
    payer_id: str | None = None
    """The payer billed (claims); None where it is not known yet (bookings)."""


@dataclass
class Standing:
    record: AuthorizationRecord
    consumed: int = 0
    projected: int = 0
    days: set[date] = field(default_factory=set)

    @property
    def remaining(self) -> int:
        return self.record.authorized - self.consumed - self.projected

    @property
    def remaining_after_consumed(self) -> int:
        return self.record.authorized - self.consumed


@dataclass(frozen=True)
class Flag:
    source_id: str
    reason: str


def apply_uses(
    records: Iterable[AuthorizationRecord], uses: Iterable[Use]
) -> tuple[list[Standing], list[Flag]]:
    """Draw each use (consumed first, then projected, each by date) on the authorization
    covering its code and day that ends first; flag those no authorization can take."""
    standings = [Standing(r) for r in sorted(records, key=lambda r: (r.end, r.authorization_id))]
    flags: list[Flag] = []
    for use in sorted(uses, key=lambda u: (not u.consumed, u.day, u.source_id)):
        covering = [
            s
            for s in standings
            if use.code in s.record.billing_codes and use.payer_id in (None, s.record.payer_id)
        ]
        if not covering:
            continue  # no authorization concerns this code (or this payer's claim)
        in_window = [s for s in covering if s.record.start <= use.day <= s.record.end]
        if not in_window:
            flags.append(Flag(use.source_id, "outside every authorization's dates"))
            continue
        taken = False
        for standing in in_window:
            need = (
                (0 if use.day in standing.days else 1)
                if standing.record.unit_kind is UnitKind.DAYS
                else use.units
            )
            if need <= standing.remaining:
                if use.consumed:
                    standing.consumed += need
                else:
                    standing.projected += need
                standing.days.add(use.day)
                taken = True
                break
        if not taken:
            flags.append(Flag(use.source_id, "beyond the authorized units"))
    return standings, flags


def uses_from(
    claims: Iterable[Mapping[str, Any]],
    booked: Iterable[Mapping[str, Any]],
    *,
    today: date,
    payers: Mapping[str, str | None] | None = None,
) -> list[Use]:
    """Consumed uses from projected claims (drawn only on their payer's authorizations; a
    self-pay claim draws on none); projected uses from booked sessions not yet attended."""
    uses: list[Use] = []
    claimed = set()
    for claim in claims:
        claimed.add(str(claim["source_id"]))
        if claim.get("basis") == "self_pay":
            continue
        payer = (payers or {}).get(str(claim.get("plan_id")))
        for code, units in zip(claim.get("codes") or [], claim.get("units") or [], strict=False):
            uses.append(
                Use(
                    str(claim["source_id"]),
                    date.fromisoformat(str(claim["service_date"])),
                    BillingCode(code),
                    int(units),
                    True,
                    payer,
                )
            )
    per_diem_days: dict[date, list[Mapping[str, Any]]] = {}
    for item in booked:
        if str(item["source_id"]) in claimed:
            continue
        day = date.fromisoformat(str(item["service_date"]))
        if day < today:
            continue
        if item.get("per_diem"):
            per_diem_days.setdefault(day, []).append(item)
            continue
        for code, units in zip(item.get("codes") or [], item.get("units") or [], strict=False):
            uses.append(Use(str(item["source_id"]), day, BillingCode(code), int(units), False))
    for day, items in sorted(per_diem_days.items()):
        uses.extend(_per_diem_day(day, items, claimed))
    return uses


def _per_diem_day(day: date, items: list[Mapping[str, Any]], claimed: set[str]) -> list[Use]:
    """A per-diem day's booked sessions, coded together as the day's claim will be (one
    S9480/H0015 unit with the plan's hours); nothing once the day has its claim."""
    source = keys.day_source(day)
    if source in claimed:
        return []
    terms = items[0]["per_diem"]
    rule = BillingRule(
        model=BillingModel.PER_DIEM,
        per_diem_minimum_hours=Decimal(str(terms["minimum_hours"])),
        below_minimum=BelowMinimum(str(terms["below_minimum"])),
    )
    sessions = [
        DaySession(
            on=day, category=ServiceCategory(str(i["category"])), minutes=int(i["minutes"]), member_id="-"
        )
        for i in items
    ]
    return [
        Use(source, day, line.code, line.units, False)
        for line in billing_lines(sessions, rule, Program(str(terms["program"])))
    ]


def alerts_due(standing: Standing, *, today: date) -> list[str]:
    """The alerts this authorization owes coordinators now and has not raised yet."""
    due = []
    if standing.record.start <= today <= standing.record.end:
        if standing.remaining_after_consumed <= LOW_UNITS and "low" not in standing.record.alerted:
            due.append("low")
        if standing.record.end - today <= EXPIRY_WARNING and "expiring" not in standing.record.alerted:
            due.append("expiring")
    return due


def estimate_flags(
    records: Iterable[AuthorizationRecord],
    claims: Iterable[Mapping[str, Any]],
    booked: Iterable[Mapping[str, Any]],
    lines: Iterable[tuple[str, date, BillingCode, int, bool]],
    *,
    today: date,
    payers: Mapping[str, str | None] | None = None,
) -> dict[str, list[str]]:
    """Flags per source id for an estimate's lines (source, day, code, units, attended),
    drawn after what is already consumed and alongside every other booked session."""
    lines = list(lines)
    in_estimate = {source for source, *_ in lines}
    uses = [
        u
        for u in uses_from(claims, booked, today=today, payers=payers)
        if u.source_id not in in_estimate or u.consumed
    ]
    claimed = {u.source_id for u in uses if u.consumed}
    uses += [
        Use(source, day, code, units, False)
        for source, day, code, units, attended in lines
        if source not in claimed and not attended
    ]
    _, flags = apply_uses(records, uses)
    found: dict[str, list[str]] = {}
    for flag in flags:
        if flag.source_id in in_estimate:
            found.setdefault(flag.source_id, []).append(flag.reason)
    return found
