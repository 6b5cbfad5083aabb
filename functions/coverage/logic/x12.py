"""X12 005010X279A1 eligibility: build a 270, parse a 271, summarise it, render a 271.

Pure logic (no AWS, no I/O, no logging). The parts live in x12_build, x12_parse and x12_render;
import from here.
"""

from __future__ import annotations

from functions.coverage.x12.builder import (
    Dependent,
    EligibilityRequest,
    Subscriber,
    build_270,
)
from functions.coverage.x12.codes import (
    REJECT_REASONS,
    BenefitInfo,
    CoverageLevel,
    FollowUp,
    Network,
    RejectionCategory,
    TimePeriod,
)
from functions.coverage.x12.delimiters import X12_DELIMITERS, Delimiters
from functions.coverage.x12.envelope import IMPLEMENTATION
from functions.coverage.x12.models import (
    Benefit,
    BenefitLine,
    CoverageStatus,
    Delivery,
    EligibilityResult,
    Entity,
    IndustryCode,
    Member,
    Procedure,
    Reference,
    Rejection,
    Subject,
    Trace,
    X12Date,
)
from functions.coverage.x12.parser import parse_271
from functions.coverage.x12.renderer import BenefitProfile, CostShare, render_271
from functions.coverage.x12.service_types import DEFAULT_SERVICE_TYPES, SERVICE_TYPES, service_type_name
from functions.coverage.x12.summary import (
    Accumulator,
    BenefitSummary,
    Limit,
    limits_of,
    procedures_named,
    summarise,
)
from functions.coverage.x12.tokenizer import X12Error, read_delimiters

__all__ = [
    "DEFAULT_SERVICE_TYPES",
    "IMPLEMENTATION",
    "REJECT_REASONS",
    "SERVICE_TYPES",
    "X12_DELIMITERS",
    "Accumulator",
    "Benefit",
    "BenefitInfo",
    "BenefitLine",
    "BenefitProfile",
    "BenefitSummary",
    "CostShare",
    "CoverageLevel",
    "CoverageStatus",
    "Delimiters",
    "Delivery",
    "Dependent",
    "EligibilityRequest",
    "EligibilityResult",
    "Entity",
    "FollowUp",
    "IndustryCode",
    "Limit",
    "Member",
    "Network",
    "Procedure",
    "Reference",
    "Rejection",
    "RejectionCategory",
    "Subject",
    "Subscriber",
    "TimePeriod",
    "Trace",
    "X12Date",
    "X12Error",
    "build_270",
    "limits_of",
    "parse_271",
    "procedures_named",
    "read_delimiters",
    "render_271",
    "service_type_name",
    "summarise",
]
