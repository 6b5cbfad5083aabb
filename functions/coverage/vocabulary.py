"""Coverage's domain vocabulary: the one place these words are spelt."""

from __future__ import annotations

from enum import StrEnum


class PlanType(StrEnum):
    PPO = "PPO"
    HMO = "HMO"
    EPO = "EPO"
    POS = "POS"
    SELF_PAY = "SELF_PAY"


class SubscriberRelationship(StrEnum):
    """The participant's relationship to the plan's subscriber (X12 INS/PAT codes map here)."""

    SELF = "self"
    SPOUSE = "spouse"
    DOMESTIC_PARTNER = "domestic_partner"
    CHILD = "child"
    OTHER = "other"


class PlanStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING_VERIFICATION = "pending_verification"


class NetworkStatus(StrEnum):
    """The program's network status with the plan's payer."""

    IN_NETWORK = "in_network"
    OUT_OF_NETWORK = "out_of_network"
    UNKNOWN = "unknown"


ENTITY_PLAN = "PLAN"
ENTITY_BILLING_CHOICE = "BILLING_CHOICE"
