"""Coverage's shapes: output and stored models, mapped explicitly."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.common.models import StoredRecord
from functions.coverage.vocabulary import ENTITY_PLAN, PlanStatus, PlanType, SubscriberRelationship


class PlanOut(BaseModel):
    plan_id: str
    payer_name: str
    plan_type: PlanType
    member_id_last4: str | None = Field(
        default=None, description="Only the last four characters of the member id are ever returned."
    )
    subscriber_relationship: SubscriberRelationship
    effective_from: date | None = None
    effective_to: date | None = None
    status: PlanStatus


class PlanList(BaseModel):
    items: list[PlanOut]


class PlanRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    person_id: str
    plan_id: str
    payer_name: str
    payer_id: str | None = None
    plan_type: PlanType
    member_id: str | None = None
    subscriber_relationship: SubscriberRelationship
    effective_from: date | None = None
    effective_to: date | None = None
    status: PlanStatus = PlanStatus.PENDING_VERIFICATION
    version: int = 1

    @staticmethod
    def key(person_id: str, plan_id: str) -> dict[str, str]:
        return {"pk": f"PERSON#{person_id}", "sk": f"PLAN#{plan_id}"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.person_id, self.plan_id),
            "entity": ENTITY_PLAN,
            **self.model_dump(mode="json"),
        }
