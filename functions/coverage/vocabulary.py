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


class CostShareOrder(StrEnum):
    """How a plan combines a category's copay with the deductible and coinsurance (its SBC
    says; a 271 cannot)."""

    COPAY_BEFORE_DEDUCTIBLE = "copay_before_deductible"
    """The copay is the whole share; the deductible does not apply and is left untouched."""
    DEDUCTIBLE_THEN_COPAY = "deductible_then_copay"
    """The allowed amount goes to the deductible first; once it is met, the copay applies."""
    COPAY_THEN_COINSURANCE = "copay_then_coinsurance"
    """The copay, then coinsurance on the rest of the allowed amount (no deductible)."""
    DEDUCTIBLE_THEN_COINSURANCE = "deductible_then_coinsurance"
    """No copay: the deductible, then coinsurance."""


ENTITY_PLAN = "PLAN"
ENTITY_BILLING_CHOICE = "BILLING_CHOICE"
ENTITY_PART2_CONSENT_COPY = "PART2_CONSENT_COPY"
