"""Render a realistic 005010X279A1 271 from a simple benefit profile (the local simulated payer).

Pure: no I/O, no clock, no logging. What it writes reads back through `parse_271` + `summarise`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field, field_validator

from functions.coverage.x12.builder import EligibilityRequest, check_request
from functions.coverage.x12.codes import (
    REJECT_REASONS,
    REJECTION_CATEGORIES,
    RELATIONSHIP_CODES,
    RejectionCategory,
)
from functions.coverage.x12.delimiters import X12_DELIMITERS, Delimiters
from functions.coverage.x12.envelope import check_text, d8, segment, wrap_interchange
from functions.coverage.x12.models import X12Model
from functions.coverage.x12.summary import Accumulator

_PAYER_LEVEL_CODES = frozenset({"42", "79", "80", "T4"})
"""AAA03 codes the payer reports about itself or the submitter (loop 2000A)."""


class CostShare(X12Model):
    """What the patient pays in one network."""

    deductible: Accumulator = Accumulator()
    out_of_pocket: Accumulator = Accumulator()
    copay: Decimal | None = Field(default=None, ge=0, description="Per visit")
    coinsurance: Decimal | None = Field(default=None, ge=0, le=1, description="Fraction: 0.2 is 20 %")


class BenefitProfile(X12Model):
    """A plan as a simulated payer describes it."""

    active: bool = True
    plan_begin: date | None = None
    plan_end: date | None = None
    insurance_type: str = Field(default="PR", pattern=r"^[0-9A-Z]{1,3}$", description="EB04, PR = PPO")
    plan_description: str = Field(default="PPO", min_length=1, max_length=50)
    group_number: str | None = Field(default=None, min_length=1, max_length=50)
    in_network: CostShare = CostShare()
    out_of_network: CostShare | None = None
    visit_limit: int | None = Field(default=None, ge=0, description="Visits per calendar year")
    visits_remaining: int | None = Field(default=None, ge=0)
    prior_auth_required: bool | None = None
    rejection_code: str | None = Field(default=None, description="AAA03; the 271 then carries no benefits")
    payer_message: str | None = Field(default=None, min_length=1, max_length=264)

    @field_validator("rejection_code")
    @classmethod
    def _known_code(cls, value: str | None) -> str | None:
        if value is not None and value not in REJECT_REASONS:
            raise ValueError("unknown AAA reject reason code")
        return value


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _rejection(code: str, d: Delimiters) -> str:
    category = REJECTION_CATEGORIES.get(code, RejectionCategory.OTHER)
    valid, follow_up = ("N", "R") if category is RejectionCategory.PAYER_UNAVAILABLE else ("Y", "C")
    return segment(d, "AAA", valid, "", code, follow_up)


def _benefits(profile: BenefitProfile, service_types: str, d: Delimiters) -> list[str]:
    def eb(*elements: str) -> str:
        return segment(d, "EB", *elements)

    auth = {True: "Y", False: "N", None: ""}[profile.prior_auth_required]
    out = [
        eb(
            "1" if profile.active else "6",
            "FAM",
            service_types,
            profile.insurance_type,
            profile.plan_description,
        )
    ]
    if profile.payer_message:
        out.append(segment(d, "MSG", profile.payer_message))
    if not profile.active:
        return out
    networks = [("Y", profile.in_network)]
    if profile.out_of_network is not None:
        networks.append(("N", profile.out_of_network))
    for flag, share in networks:
        for info, acc in (("C", share.deductible), ("G", share.out_of_pocket)):
            for level, total, remaining in (
                ("IND", acc.individual_total, acc.individual_remaining),
                ("FAM", acc.family_total, acc.family_remaining),
            ):
                for period, value in (("23", total), ("29", remaining)):
                    if value is not None:
                        out.append(
                            eb(
                                info,
                                level,
                                service_types,
                                "",
                                "",
                                period,
                                _amount(value),
                                "",
                                "",
                                "",
                                "",
                                flag,
                            )
                        )
        if share.copay is not None:
            out.append(
                eb("B", "IND", service_types, "", "", "27", _amount(share.copay), "", "", "", auth, flag)
            )
        if share.coinsurance is not None:
            out.append(
                eb(
                    "A",
                    "IND",
                    service_types,
                    "",
                    "",
                    "27",
                    "",
                    _amount(share.coinsurance),
                    "",
                    "",
                    auth,
                    flag,
                )
            )
    for period, visits in (("23", profile.visit_limit), ("29", profile.visits_remaining)):
        if visits is not None:
            out.append(eb("F", "IND", service_types, "", "", period, "", "", "VS", str(visits), auth, "W"))
    return out


def render_271(
    profile: BenefitProfile,
    request: EligibilityRequest,
    *,
    control_number: int | None = None,
    created: datetime | None = None,
    d: Delimiters = X12_DELIMITERS,
) -> str:
    """The 271 a payer holding `profile` would answer `request` with.

    Echoes the request's trace (TRN*2), payer, provider, subscriber and dependent. Benefits sit in
    the patient's loop (2000D when the request names a dependent), for the requested service types.
    A `rejection_code` replaces the benefits with one AAA: payer-level codes in 2000A, provider
    codes in 2100B, member codes in the patient's 2100C/2100D.
    """
    check_request(request, d)
    for where, value in (
        ("plan_description", profile.plan_description),
        ("group_number", profile.group_number or ""),
        ("payer_message", profile.payer_message or ""),
    ):
        check_text(value, where, d)

    def seg(tag: str, *elements: str) -> str:
        return segment(d, tag, *elements)

    sub, dep = request.subscriber, request.dependent
    code = profile.rejection_code
    category = REJECTION_CATEGORIES.get(code, RejectionCategory.OTHER) if code else None
    at_payer = code in _PAYER_LEVEL_CODES
    at_provider = category is RejectionCategory.INVALID_PROVIDER and not at_payer
    at_member = code is not None and not at_payer and not at_provider
    when = created or request.created

    body = [
        seg("BHT", "0022", "11", request.trace_number, d8(when), when.strftime("%H%M%S")),
        seg("HL", "1", "", "20", "1"),
    ]
    if code and at_payer:
        body.append(_rejection(code, d))
    body += [
        seg("NM1", "PR", "2", request.payer_name, "", "", "", "", "PI", request.payer_id),
        seg("HL", "2", "1", "21", "1"),
        seg(
            "NM1",
            "1P",
            "1" if request.provider_first_name else "2",
            request.provider_name,
            request.provider_first_name or "",
            "",
            "",
            "",
            "XX",
            request.provider_npi,
        ),
    ]
    if code and at_provider:
        body.append(_rejection(code, d))
    trace = seg("TRN", "2", request.trace_number, request.trace_originator)
    dates = []
    if profile.plan_begin:
        dates.append(seg("DTP", "346", "D8", d8(profile.plan_begin)))
    if profile.plan_end:
        dates.append(seg("DTP", "347", "D8", d8(profile.plan_end)))
    benefits = [] if code else _benefits(profile, d.repeated(request.service_types), d)
    body += [seg("HL", "3", "2", "22", "1" if dep else "0")]
    if dep is None:
        body.append(trace)
    body.append(seg("NM1", "IL", "1", sub.last_name, sub.first_name, "", "", "", "MI", sub.member_id))
    group = profile.group_number or sub.group_number
    if group:
        body.append(seg("REF", "6P", group))
    if code and at_member and dep is None:
        body.append(_rejection(code, d))
    body.append(seg("DMG", "D8", d8(sub.birth_date)))
    if dep is None:
        body += [seg("INS", "Y", "18"), *dates, *benefits]
    else:
        body += [
            seg("HL", "4", "3", "23", "0"),
            trace,
            seg("NM1", "03", "1", dep.last_name, dep.first_name),
        ]
        if code and at_member:
            body.append(_rejection(code, d))
        body += [
            seg("DMG", "D8", d8(dep.birth_date)),
            seg("INS", "N", RELATIONSHIP_CODES[dep.relationship]),
            *dates,
            *benefits,
        ]
    return wrap_interchange(
        body,
        transaction="271",
        sender=(request.receiver_qualifier, request.receiver_id),
        receiver=(request.sender_qualifier, request.sender_id),
        control_number=control_number or request.control_number,
        created=when,
        usage=request.usage,
        d=d,
    )
