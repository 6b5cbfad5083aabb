"""The program's billing reference data: each payer's fee schedule and the chargemaster.
Shapes and their mapping to the cost-share engine's types. No boto3."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from functions.common.models import DisplayName, StoredRecord, iso
from functions.coverage import keys
from functions.coverage.logic.costshare import (
    BelowMinimum,
    BillingCode,
    BillingModel,
    BillingRule,
    Chargemaster,
    FeeSchedule,
    NetworkTier,
    Program,
)
from functions.coverage.logic.money import to_cents, to_dollars

Money = Annotated[Decimal, Field(ge=0, le=100000, decimal_places=2, description="US dollars, exact")]


class FeeScheduleIn(BaseModel):
    """What one payer allows per billing code (per 15-minute unit for H0004), and how the
    program bills it: per service, or per diem for a day with enough attended hours."""

    model_config = ConfigDict(extra="forbid")

    payer_name: DisplayName
    billing_model: BillingModel = BillingModel.PER_SERVICE
    program: Program = Field(
        default=Program.MENTAL_HEALTH, description="Per diem code: S9480 (mental health) or H0015."
    )
    per_diem_minimum_hours: Decimal = Field(default=Decimal(3), ge=1, le=12, decimal_places=2)
    below_minimum: BelowMinimum = BelowMinimum.PER_SERVICE
    in_network_allowed: dict[BillingCode, Money]
    out_of_network_allowed: dict[BillingCode, Money] = Field(default_factory=dict)


class FeeScheduleOut(FeeScheduleIn):
    payer_id: str
    updated_at: datetime
    version: int


class ChargemasterIn(BaseModel):
    """The program's gross charges per code, and cash prices for self-pay participants."""

    model_config = ConfigDict(extra="forbid")

    prices: dict[BillingCode, Money]
    self_pay_prices: dict[BillingCode, Money] = Field(default_factory=dict)


class ChargemasterOut(ChargemasterIn):
    updated_at: datetime
    version: int


def _cents(table: dict[BillingCode, Decimal]) -> dict[str, int]:
    return {code.value: to_cents(amount) for code, amount in table.items()}


def _dollars(table: dict[str, Any]) -> dict[BillingCode, Decimal]:
    return {BillingCode(code): to_dollars(int(cents)) for code, cents in table.items()}


class FeeScheduleRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    payer_id: str
    payer_name: str
    billing_model: BillingModel
    program: Program
    per_diem_minimum_hours: Decimal
    below_minimum: BelowMinimum
    in_network_cents: dict[str, int]
    out_of_network_cents: dict[str, int]
    updated_at: datetime
    version: int = 1

    @classmethod
    def build(
        cls, payer_id: str, request: FeeScheduleIn, *, now: datetime, version: int
    ) -> FeeScheduleRecord:
        return cls(
            payer_id=payer_id,
            payer_name=request.payer_name,
            billing_model=request.billing_model,
            program=request.program,
            per_diem_minimum_hours=request.per_diem_minimum_hours,
            below_minimum=request.below_minimum,
            in_network_cents=_cents(request.in_network_allowed),
            out_of_network_cents=_cents(request.out_of_network_allowed),
            updated_at=now,
            version=version,
        )

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.fee_schedule_key(self.payer_id),
            "entity": "FEE_SCHEDULE",
            **self.model_dump(mode="json"),
            "per_diem_minimum_hours": str(self.per_diem_minimum_hours),
            "updated_at": iso(self.updated_at),
        }

    def out(self) -> FeeScheduleOut:
        return FeeScheduleOut(
            payer_id=self.payer_id,
            payer_name=self.payer_name,
            billing_model=self.billing_model,
            program=self.program,
            per_diem_minimum_hours=self.per_diem_minimum_hours,
            below_minimum=self.below_minimum,
            in_network_allowed=_dollars(self.in_network_cents),
            out_of_network_allowed=_dollars(self.out_of_network_cents),
            updated_at=self.updated_at,
            version=self.version,
        )

    def rule(self) -> BillingRule:
        return BillingRule(
            model=self.billing_model,
            per_diem_minimum_hours=self.per_diem_minimum_hours,
            below_minimum=self.below_minimum,
        )

    def schedule(self, network: NetworkTier) -> FeeSchedule:
        table = self.in_network_cents if network is NetworkTier.IN_NETWORK else self.out_of_network_cents
        return FeeSchedule(
            payer=self.payer_id,
            network=network,
            allowed={BillingCode(code): cents for code, cents in table.items()},
            billing=self.rule(),
        )


class ChargemasterRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    prices_cents: dict[str, int]
    self_pay_cents: dict[str, int]
    updated_at: datetime
    version: int = 1

    @classmethod
    def build(cls, request: ChargemasterIn, *, now: datetime, version: int) -> ChargemasterRecord:
        return cls(
            prices_cents=_cents(request.prices),
            self_pay_cents=_cents(request.self_pay_prices),
            updated_at=now,
            version=version,
        )

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.chargemaster_key(),
            "entity": "CHARGEMASTER",
            **self.model_dump(mode="json"),
            "updated_at": iso(self.updated_at),
        }

    def out(self) -> ChargemasterOut:
        return ChargemasterOut(
            prices=_dollars(self.prices_cents),
            self_pay_prices=_dollars(self.self_pay_cents),
            updated_at=self.updated_at,
            version=self.version,
        )

    def chargemaster(self) -> Chargemaster:
        return Chargemaster(
            prices={BillingCode(c): v for c, v in self.prices_cents.items()},
            self_pay_prices={BillingCode(c): v for c, v in self.self_pay_cents.items()},
        )


class BillingReference(BaseModel):
    """Everything the estimates price with: read in one Query and cached per container."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    fee_schedules: dict[str, FeeScheduleRecord]
    chargemaster: ChargemasterRecord | None = None

    @classmethod
    def from_items(cls, items: list[dict[str, Any]]) -> BillingReference:
        fees = {
            str(i["payer_id"]): FeeScheduleRecord.from_attributes(i)
            for i in items
            if keys.billing_item(i) is keys.BillingItem.FEE_SCHEDULE
        }
        master = next((i for i in items if keys.billing_item(i) is keys.BillingItem.CHARGEMASTER), None)
        return cls(
            fee_schedules=fees, chargemaster=ChargemasterRecord.from_attributes(master) if master else None
        )

    @property
    def revision(self) -> int:
        """The sum of its items' versions: every change (an item replaced, a payer added)
        raises it, so a participant's copy is only ever replaced by a newer one."""
        versions = [f.version for f in self.fee_schedules.values()]
        if self.chargemaster is not None:
            versions.append(self.chargemaster.version)
        return sum(versions)


# --- each participant's copy of the prices -------------------------------------------------
#
# The estimates read a participant's coverage partition and their week: two reads, the most a
# read route may make. The prices they are computed with are therefore copied into that
# partition (`PERSON#<p>` / `PRICES`): written when the participant's plan is saved or their
# first session reaches coverage, and rewritten for every holder (found through the gsi1
# bucket `PRICES`) when a coordinator changes a fee schedule or the chargemaster. A copy is
# only ever replaced by a newer one (`revision`).

ENTITY_PRICES = "PRICES"
REFERENCE_CHANGED = "billing.reference.changed"
"""The event (source `tandem.coverage`) that has every participant's copy rewritten."""


def prices_item(person_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The participant's copy of the billing reference `items` (one Query of the BILLING
    partition), ready to put."""
    return {
        **keys.prices_key(person_id),
        "entity": ENTITY_PRICES,
        "person_id": person_id,
        "reference": [keys.without_partition(i) for i in items],
        "revision": BillingReference.from_items(items).revision,
        **keys.prices_holder_index(person_id),
    }


def reference_of(prices: dict[str, Any]) -> BillingReference:
    """The billing reference a participant's copy holds."""
    return BillingReference.from_items([dict(i) for i in prices.get("reference") or []])
