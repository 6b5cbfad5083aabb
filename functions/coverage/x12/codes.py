"""The X12 005010X279A1 code lists the 270 builder, the 271 parser and the renderer share.

EB01 eligibility or benefit information, EB02 coverage level, EB06/HSD05 time period, EB12 network,
AAA04 follow-up and AAA03 reject reasons (with the category each falls in), EB04 insurance types
and plan types, NM101 entity roles, INS02 relationships and EB09/HSD01 quantity qualifiers.
Pure data: each list is a table of code -> word (and, where written, word -> code).
"""

from __future__ import annotations

from enum import StrEnum

from functions.coverage.vocabulary import PlanType, SubscriberRelationship


class BenefitInfo(StrEnum):
    """EB01 eligibility or benefit information."""

    ACTIVE_COVERAGE = "active_coverage"
    ACTIVE_FULL_RISK_CAPITATION = "active_full_risk_capitation"
    ACTIVE_SERVICES_CAPITATED = "active_services_capitated"
    ACTIVE_SERVICES_CAPITATED_TO_PCP = "active_services_capitated_to_pcp"
    ACTIVE_PENDING_INVESTIGATION = "active_pending_investigation"
    INACTIVE = "inactive"
    INACTIVE_PENDING_ELIGIBILITY_UPDATE = "inactive_pending_eligibility_update"
    INACTIVE_PENDING_INVESTIGATION = "inactive_pending_investigation"
    CO_INSURANCE = "co_insurance"
    CO_PAYMENT = "co_payment"
    DEDUCTIBLE = "deductible"
    COVERAGE_BASIS = "coverage_basis"
    BENEFIT_DESCRIPTION = "benefit_description"
    EXCLUSIONS = "exclusions"
    LIMITATIONS = "limitations"
    OUT_OF_POCKET = "out_of_pocket"
    UNLIMITED = "unlimited"
    NON_COVERED = "non_covered"
    COST_CONTAINMENT = "cost_containment"
    RESERVE = "reserve"
    PRIMARY_CARE_PROVIDER = "primary_care_provider"
    PRE_EXISTING_CONDITION = "pre_existing_condition"
    MANAGED_CARE_COORDINATOR = "managed_care_coordinator"
    SERVICES_RESTRICTED_TO_PROVIDER = "services_restricted_to_provider"
    NOT_DEEMED_MEDICALLY_NECESSARY = "not_deemed_medically_necessary"
    BENEFIT_DISCLAIMER = "benefit_disclaimer"
    SECOND_SURGICAL_OPINION_REQUIRED = "second_surgical_opinion_required"
    OTHER_OR_ADDITIONAL_PAYOR = "other_or_additional_payor"
    PRIOR_YEAR_HISTORY = "prior_year_history"
    CARD_REPORTED_LOST_STOLEN = "card_reported_lost_stolen"
    CONTACT_FOLLOWING_ENTITY = "contact_following_entity"
    CANNOT_PROCESS = "cannot_process"
    OTHER_SOURCE_OF_DATA = "other_source_of_data"
    HEALTH_CARE_FACILITY = "health_care_facility"
    SPEND_DOWN = "spend_down"


BENEFIT_INFO_CODES: dict[str, BenefitInfo] = {
    "1": BenefitInfo.ACTIVE_COVERAGE,
    "2": BenefitInfo.ACTIVE_FULL_RISK_CAPITATION,
    "3": BenefitInfo.ACTIVE_SERVICES_CAPITATED,
    "4": BenefitInfo.ACTIVE_SERVICES_CAPITATED_TO_PCP,
    "5": BenefitInfo.ACTIVE_PENDING_INVESTIGATION,
    "6": BenefitInfo.INACTIVE,
    "7": BenefitInfo.INACTIVE_PENDING_ELIGIBILITY_UPDATE,
    "8": BenefitInfo.INACTIVE_PENDING_INVESTIGATION,
    "A": BenefitInfo.CO_INSURANCE,
    "B": BenefitInfo.CO_PAYMENT,
    "C": BenefitInfo.DEDUCTIBLE,
    "CB": BenefitInfo.COVERAGE_BASIS,
    "D": BenefitInfo.BENEFIT_DESCRIPTION,
    "E": BenefitInfo.EXCLUSIONS,
    "F": BenefitInfo.LIMITATIONS,
    "G": BenefitInfo.OUT_OF_POCKET,
    "H": BenefitInfo.UNLIMITED,
    "I": BenefitInfo.NON_COVERED,
    "J": BenefitInfo.COST_CONTAINMENT,
    "K": BenefitInfo.RESERVE,
    "L": BenefitInfo.PRIMARY_CARE_PROVIDER,
    "M": BenefitInfo.PRE_EXISTING_CONDITION,
    "MC": BenefitInfo.MANAGED_CARE_COORDINATOR,
    "N": BenefitInfo.SERVICES_RESTRICTED_TO_PROVIDER,
    "O": BenefitInfo.NOT_DEEMED_MEDICALLY_NECESSARY,
    "P": BenefitInfo.BENEFIT_DISCLAIMER,
    "Q": BenefitInfo.SECOND_SURGICAL_OPINION_REQUIRED,
    "R": BenefitInfo.OTHER_OR_ADDITIONAL_PAYOR,
    "S": BenefitInfo.PRIOR_YEAR_HISTORY,
    "T": BenefitInfo.CARD_REPORTED_LOST_STOLEN,
    "U": BenefitInfo.CONTACT_FOLLOWING_ENTITY,
    "V": BenefitInfo.CANNOT_PROCESS,
    "W": BenefitInfo.OTHER_SOURCE_OF_DATA,
    "X": BenefitInfo.HEALTH_CARE_FACILITY,
    "Y": BenefitInfo.SPEND_DOWN,
}
BENEFIT_INFO_TO_CODE: dict[BenefitInfo, str] = {v: k for k, v in BENEFIT_INFO_CODES.items()}
ACTIVE_INFO = frozenset(BENEFIT_INFO_CODES[c] for c in "12345")
INACTIVE_INFO = frozenset(BENEFIT_INFO_CODES[c] for c in "678")


class CoverageLevel(StrEnum):
    """EB02 coverage level."""

    INDIVIDUAL = "individual"
    FAMILY = "family"
    EMPLOYEE_ONLY = "employee_only"
    EMPLOYEE_AND_SPOUSE = "employee_and_spouse"
    EMPLOYEE_AND_CHILDREN = "employee_and_children"
    CHILDREN_ONLY = "children_only"
    DEPENDENTS_ONLY = "dependents_only"
    SPOUSE_AND_CHILDREN = "spouse_and_children"
    SPOUSE_ONLY = "spouse_only"


COVERAGE_LEVEL_CODES: dict[str, CoverageLevel] = {
    "IND": CoverageLevel.INDIVIDUAL,
    "FAM": CoverageLevel.FAMILY,
    "EMP": CoverageLevel.EMPLOYEE_ONLY,
    "ESP": CoverageLevel.EMPLOYEE_AND_SPOUSE,
    "ECH": CoverageLevel.EMPLOYEE_AND_CHILDREN,
    "CHD": CoverageLevel.CHILDREN_ONLY,
    "DEP": CoverageLevel.DEPENDENTS_ONLY,
    "SPC": CoverageLevel.SPOUSE_AND_CHILDREN,
    "SPO": CoverageLevel.SPOUSE_ONLY,
}
COVERAGE_LEVEL_TO_CODE: dict[CoverageLevel, str] = {v: k for k, v in COVERAGE_LEVEL_CODES.items()}


class TimePeriod(StrEnum):
    """EB06 / HSD05 time period qualifier."""

    HOUR = "hour"
    DAY = "day"
    HOURS_24 = "24_hours"
    YEARS = "years"
    SERVICE_YEAR = "service_year"
    CALENDAR_YEAR = "calendar_year"
    YEAR_TO_DATE = "year_to_date"
    CONTRACT = "contract"
    EPISODE = "episode"
    VISIT = "visit"
    OUTLIER = "outlier"
    REMAINING = "remaining"
    EXCEEDED = "exceeded"
    NOT_EXCEEDED = "not_exceeded"
    LIFETIME = "lifetime"
    LIFETIME_REMAINING = "lifetime_remaining"
    MONTH = "month"
    WEEK = "week"
    ADMISSION = "admission"


TIME_PERIOD_CODES: dict[str, TimePeriod] = {
    "6": TimePeriod.HOUR,
    "7": TimePeriod.DAY,
    "13": TimePeriod.HOURS_24,
    "21": TimePeriod.YEARS,
    "22": TimePeriod.SERVICE_YEAR,
    "23": TimePeriod.CALENDAR_YEAR,
    "24": TimePeriod.YEAR_TO_DATE,
    "25": TimePeriod.CONTRACT,
    "26": TimePeriod.EPISODE,
    "27": TimePeriod.VISIT,
    "28": TimePeriod.OUTLIER,
    "29": TimePeriod.REMAINING,
    "30": TimePeriod.EXCEEDED,
    "31": TimePeriod.NOT_EXCEEDED,
    "32": TimePeriod.LIFETIME,
    "33": TimePeriod.LIFETIME_REMAINING,
    "34": TimePeriod.MONTH,
    "35": TimePeriod.WEEK,
    "36": TimePeriod.ADMISSION,
}
TIME_PERIOD_TO_CODE: dict[TimePeriod, str] = {v: k for k, v in TIME_PERIOD_CODES.items()}


class Network(StrEnum):
    """EB12 in-plan-network indicator."""

    IN_NETWORK = "in_network"  # Y
    OUT_OF_NETWORK = "out_of_network"  # N
    NOT_APPLICABLE = "not_applicable"  # W: applies in and out of network alike
    UNKNOWN = "unknown"  # U


NETWORK_CODES: dict[str, Network] = {
    "Y": Network.IN_NETWORK,
    "N": Network.OUT_OF_NETWORK,
    "W": Network.NOT_APPLICABLE,
    "U": Network.UNKNOWN,
}
NETWORK_TO_CODE: dict[Network, str] = {v: k for k, v in NETWORK_CODES.items()}


class FollowUp(StrEnum):
    """AAA04 follow-up action."""

    CORRECT_AND_RESUBMIT = "correct_and_resubmit"  # C
    RESUBMISSION_NOT_ALLOWED = "resubmission_not_allowed"  # N
    RESUBMIT_ORIGINAL = "resubmit_original"  # P
    RESUBMISSION_ALLOWED = "resubmission_allowed"  # R
    DO_NOT_RESUBMIT_INQUIRY_INITIATED = "do_not_resubmit_inquiry_initiated"  # S
    WAIT_30_DAYS = "wait_30_days"  # W
    WAIT_10_DAYS = "wait_10_days"  # X
    DO_NOT_RESUBMIT_WILL_HAND_OVER = "do_not_resubmit_will_hand_over"  # Y


FOLLOW_UP_CODES: dict[str, FollowUp] = {
    "C": FollowUp.CORRECT_AND_RESUBMIT,
    "N": FollowUp.RESUBMISSION_NOT_ALLOWED,
    "P": FollowUp.RESUBMIT_ORIGINAL,
    "R": FollowUp.RESUBMISSION_ALLOWED,
    "S": FollowUp.DO_NOT_RESUBMIT_INQUIRY_INITIATED,
    "W": FollowUp.WAIT_30_DAYS,
    "X": FollowUp.WAIT_10_DAYS,
    "Y": FollowUp.DO_NOT_RESUBMIT_WILL_HAND_OVER,
}
FOLLOW_UP_TO_CODE: dict[FollowUp, str] = {v: k for k, v in FOLLOW_UP_CODES.items()}

# AAA03 reject reason codes of 005010X279A1 (all loops).
REJECT_REASONS: dict[str, str] = {
    "04": "Authorized quantity exceeded",
    "15": "Required application data missing",
    "33": "Input errors",
    "35": "Out of network",
    "41": "Authorization/access restrictions",
    "42": "Unable to respond at current time",
    "43": "Invalid/missing provider identification",
    "44": "Invalid/missing provider name",
    "45": "Invalid/missing provider specialty",
    "46": "Invalid/missing provider phone number",
    "47": "Invalid/missing provider state",
    "48": "Invalid/missing referring provider identification number",
    "49": "Provider is not primary care physician",
    "50": "Provider ineligible for inquiries",
    "51": "Provider not on file",
    "52": "Service dates not within provider plan enrollment",
    "53": "Inquired benefit inconsistent with provider type",
    "54": "Inappropriate product/service ID qualifier",
    "55": "Inappropriate product/service ID",
    "56": "Inappropriate date",
    "57": "Invalid/missing date(s) of service",
    "58": "Invalid/missing date-of-birth",
    "60": "Date of birth follows date(s) of service",
    "61": "Date of death precedes date(s) of service",
    "62": "Date of service not within allowable inquiry period",
    "63": "Date of service in future",
    "64": "Invalid/missing patient ID",
    "65": "Invalid/missing patient name",
    "66": "Invalid/missing patient gender code",
    "67": "Patient not found",
    "68": "Duplicate patient ID number",
    "69": "Inconsistent with patient's age",
    "70": "Inconsistent with patient's gender",
    "71": "Patient birth date does not match that for the patient on the database",
    "72": "Invalid/missing subscriber/insured ID",
    "73": "Invalid/missing subscriber/insured name",
    "74": "Invalid/missing subscriber/insured gender code",
    "75": "Subscriber/insured not found",
    "76": "Duplicate subscriber/insured ID number",
    "77": "Subscriber found, patient not found",
    "78": "Subscriber/insured not in group/plan identified",
    "79": "Invalid participant identification",
    "80": "No response received - transaction terminated",
    "97": "Invalid or missing provider address",
    "98": "Experimental service or procedure",
    "AA": "Authorization number not found",
    "AE": "Requires primary care physician authorization",
    "AF": "Invalid/missing diagnosis code(s)",
    "AG": "Invalid/missing procedure code(s)",
    "AO": "Additional patient condition information required",
    "CI": "Certification information does not match patient",
    "E8": "Requires medical review",
    "IA": "Invalid authorization number format",
    "MA": "Missing authorization",
    "T4": "Payer name or identifier missing",
}


class RejectionCategory(StrEnum):
    """What the caller does about an AAA: retry later, fix member data, fix provider setup, or read."""

    PAYER_UNAVAILABLE = "payer_unavailable"
    MEMBER_NOT_FOUND = "member_not_found"
    INVALID_BIRTH_DATE = "invalid_birth_date"
    INVALID_PROVIDER = "invalid_provider"
    OTHER = "other"


REJECTION_CATEGORIES: dict[str, RejectionCategory] = {
    **dict.fromkeys(("42", "80"), RejectionCategory.PAYER_UNAVAILABLE),
    **dict.fromkeys(
        ("64", "65", "67", "68", "72", "73", "75", "76", "77", "78"), RejectionCategory.MEMBER_NOT_FOUND
    ),
    **dict.fromkeys(("58", "60", "71"), RejectionCategory.INVALID_BIRTH_DATE),
    **dict.fromkeys(
        ("41", "43", "44", "45", "46", "47", "48", "50", "51", "79", "97"), RejectionCategory.INVALID_PROVIDER
    ),
}

# EB04 insurance type codes most often seen on commercial and public plans.
INSURANCE_TYPES: dict[str, str] = {
    "12": "Medicare secondary working aged beneficiary or spouse with employer group health plan",
    "13": "Medicare secondary end-stage renal disease beneficiary",
    "14": "Medicare secondary, no-fault insurance including auto is primary",
    "15": "Medicare secondary worker's compensation",
    "16": "Medicare secondary public health service or other federal agency",
    "41": "Medicare secondary black lung",
    "42": "Medicare secondary veteran's administration",
    "43": "Medicare secondary disabled beneficiary under age 65 with large group health plan",
    "47": "Medicare secondary, other liability insurance is primary",
    "AP": "Auto insurance policy",
    "C1": "Commercial",
    "CO": "Consolidated Omnibus Budget Reconciliation Act (COBRA)",
    "CP": "Medicare conditionally primary",
    "D": "Disability",
    "DB": "Disability benefits",
    "EP": "Exclusive provider organization",
    "FF": "Family or friends",
    "GP": "Group policy",
    "HM": "Health maintenance organization (HMO)",
    "HN": "Health maintenance organization (HMO) - Medicare risk",
    "HS": "Special low income Medicare beneficiary",
    "IN": "Indemnity",
    "IP": "Individual policy",
    "LC": "Long term care",
    "LD": "Long term policy",
    "LI": "Life insurance",
    "LT": "Litigation",
    "MA": "Medicare Part A",
    "MB": "Medicare Part B",
    "MC": "Medicaid",
    "MH": "Medigap Part A",
    "MI": "Medigap Part B",
    "MP": "Medicare primary",
    "OT": "Other",
    "PE": "Property insurance - personal",
    "PL": "Personal",
    "PP": "Personal payment (cash - no insurance)",
    "PR": "Preferred provider organization (PPO)",
    "PS": "Point of service (POS)",
    "QM": "Qualified Medicare beneficiary",
    "RP": "Property insurance - real",
    "SP": "Supplemental policy",
    "TF": "Tax equity fiscal responsibility act (TEFRA)",
    "WC": "Workers compensation",
    "WU": "Wrap up policy",
}
PLAN_TYPES: dict[str, PlanType] = {
    "PR": PlanType.PPO,
    "HM": PlanType.HMO,
    "EP": PlanType.EPO,
    "PS": PlanType.POS,
}

# NM101 entity identifier codes seen in 2100A/B and 2120C/D.
ENTITY_ROLES: dict[str, str] = {
    "1I": "preferred provider organization",
    "1P": "provider",
    "2B": "third-party administrator",
    "03": "dependent",
    "13": "contracted service provider",
    "36": "employer",
    "73": "other physician",
    "FA": "facility",
    "GP": "gateway provider",
    "GW": "group",
    "I3": "independent physicians association",
    "IL": "insured or subscriber",
    "LR": "legal representative",
    "P3": "primary care provider",
    "P4": "prior insurance carrier",
    "P5": "plan sponsor",
    "PR": "payer",
    "PRP": "primary payer",
    "SEP": "secondary payer",
    "TTP": "tertiary payer",
    "VER": "party performing verification",
    "VN": "vendor",
    "VY": "organization completing configuration change",
    "X3": "utilization management organization",
    "Y2": "managed care organization",
}

# INS02 individual relationship codes (2100C/2100D) and the domain's relationship words.
RELATIONSHIP_CODES: dict[SubscriberRelationship, str] = {
    SubscriberRelationship.SELF: "18",
    SubscriberRelationship.SPOUSE: "01",
    SubscriberRelationship.CHILD: "19",
    SubscriberRelationship.DOMESTIC_PARTNER: "53",
    SubscriberRelationship.OTHER: "G8",
}
RELATIONSHIP_BY_CODE: dict[str, SubscriberRelationship] = {v: k for k, v in RELATIONSHIP_CODES.items()}


QUANTITY_UNITS: dict[str, str] = {
    "8H": "minimum",
    "99": "quantity used",
    "CA": "covered days (actual)",
    "CE": "covered days (estimated)",
    "D3": "coinsurance days",
    "DB": "deductible blood units",
    "DY": "days",
    "FL": "units",
    "HS": "hours",
    "LA": "lifetime reserve days (actual)",
    "LE": "lifetime reserve days (estimated)",
    "M2": "maximum",
    "MN": "months",
    "P6": "services or procedures",
    "QA": "quantity approved",
    "S7": "age, high value",
    "S8": "age, low value",
    "VS": "visits",
    "YY": "years",
}
"""EB09 / HSD01 quantity qualifiers."""
