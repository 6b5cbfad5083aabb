"""X12 005010X279A1 eligibility: 270 building, 271 parsing and summarising, 271 rendering."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from functions.coverage.vocabulary import PlanType, SubscriberRelationship
from functions.coverage.x12.builder import Dependent, EligibilityRequest, Subscriber, build_270
from functions.coverage.x12.codes import (
    REJECT_REASONS,
    BenefitInfo,
    CoverageLevel,
    FollowUp,
    Network,
    RejectionCategory,
    TimePeriod,
)
from functions.coverage.x12.delimiters import Delimiters
from functions.coverage.x12.models import CoverageStatus, Subject
from functions.coverage.x12.parser import parse_271
from functions.coverage.x12.renderer import BenefitProfile, CostShare, render_271
from functions.coverage.x12.summary import Accumulator, summarise
from functions.coverage.x12.tokenizer import X12Error, read_delimiters
from tests.unit import x12_samples as samples

# --------------------------------------------------------------------------- helpers


def _request(**overrides: Any) -> EligibilityRequest:
    fields: dict[str, Any] = {
        "control_number": 4711,
        "created": datetime(2025, 6, 15, 12, 1, 30),
        "sender_id": "TANDEMIOP",
        "receiver_id": "CLEARHOUSE",
        "payer_name": "SUMMIT NATIONAL HEALTH",
        "payer_id": "87726",
        "provider_name": "TANDEM BEHAVIORAL HEALTH",
        "provider_npi": "1234567893",
        "subscriber": Subscriber(
            first_name="ALEX",
            last_name="RIVERA",
            member_id="XQZ998877665",
            birth_date=date(1988, 3, 12),
            group_number="0071234",
        ),
        "date_of_service": date(2025, 6, 16),
        "trace_number": "TRC-000123",
    }
    fields.update(overrides)
    return EligibilityRequest(**fields)


SPOUSE = Dependent(
    first_name="SAM",
    last_name="RIVERA",
    birth_date=date(1989, 4, 1),
    relationship=SubscriberRelationship.SPOUSE,
)


def _segments(text: str, terminator: str = "~", element: str = "*") -> list[list[str]]:
    return [s.strip().split(element) for s in text.split(terminator) if s.strip()]


def _tags(text: str) -> list[str]:
    return [s[0] for s in _segments(text)]


def _one(text: str, tag: str) -> list[str]:
    found = [s for s in _segments(text) if s[0] == tag]
    assert len(found) == 1, f"expected one {tag}, got {len(found)}"
    return found[0]


# --------------------------------------------------------------------------- 270


def test_isa_is_fixed_width_with_5010_separators():
    text = build_270(_request())
    isa = text.split("~")[0] + "~"
    assert len(isa) == 106
    fields = isa[:-1].split("*")
    assert len(fields) == 17
    assert fields[6] == "TANDEMIOP      "
    assert fields[8] == "CLEARHOUSE     "
    assert fields[9:11] == ["250615", "1201"]
    assert fields[11] == "^"
    assert fields[12] == "00501"
    assert fields[13] == "000004711"
    assert fields[15] == "P"
    assert fields[16] == ":"


def test_envelope_control_numbers_agree():
    text = build_270(_request(control_number=123456789))
    assert _one(text, "ISA")[13] == _one(text, "IEA")[2] == "123456789"
    assert _one(text, "GS")[6] == _one(text, "GE")[2] == "123456789"
    assert _one(text, "GS")[1] == "HS"
    assert _one(text, "GS")[8] == _one(text, "ST")[3] == "005010X279A1"
    assert _one(text, "ST")[2] == _one(text, "SE")[2]


@pytest.mark.parametrize("dependent", [None, SPOUSE])
def test_se_counts_segments_from_st_to_se(dependent: Dependent | None):
    tags = _tags(build_270(_request(dependent=dependent)))
    counted = tags.index("SE") - tags.index("ST") + 1
    assert _one(build_270(_request(dependent=dependent)), "SE")[1] == str(counted)


def test_subscriber_patient_has_no_dependent_loop():
    # Given the subscriber is the patient
    text = build_270(_request())
    segments = _segments(text)
    # Then there are three HL levels, the subscriber's says it has no children
    assert [s for s in segments if s[0] == "HL"] == [
        ["HL", "1", "", "20", "1"],
        ["HL", "2", "1", "21", "1"],
        ["HL", "3", "2", "22", "0"],
    ]
    tags = [s[0] for s in segments]
    assert "INS" not in tags
    assert not any(s[0] == "NM1" and s[1] == "03" for s in segments)
    # And the trace, the date of service and the EQs sit in the subscriber's loop, in 5010 order
    subscriber_loop = tags[segments.index(["HL", "3", "2", "22", "0"]) + 1 :]
    assert subscriber_loop[:5] == ["TRN", "NM1", "REF", "DMG", "DTP"]
    assert subscriber_loop[5:8] == ["EQ", "EQ", "EQ"]
    assert _one(text, "TRN") == ["TRN", "1", "TRC-000123", "9TANDEMIOP"]
    assert ["NM1", "IL", "1", "RIVERA", "ALEX", "", "", "", "MI", "XQZ998877665"] in segments
    assert ["REF", "6P", "0071234"] in segments
    assert ["DMG", "D8", "19880312"] in segments
    assert _one(text, "DTP") == ["DTP", "291", "D8", "20250616"]


def test_dependent_patient_gets_a_2000d_loop():
    # Given the patient is the subscriber's spouse
    segments = _segments(build_270(_request(dependent=SPOUSE)))
    hls = [s for s in segments if s[0] == "HL"]
    # Then the subscriber level has a child and the dependent level hangs under it
    assert hls[2] == ["HL", "3", "2", "22", "1"]
    assert hls[3] == ["HL", "4", "3", "23", "0"]
    # And TRN, NM1*03, DMG, INS*N*01, DTP and the EQs all follow the dependent's HL
    after = segments[segments.index(hls[3]) + 1 :]
    tags = [s[0] for s in after]
    assert tags[:5] == ["TRN", "NM1", "DMG", "INS", "DTP"]
    assert after[1] == ["NM1", "03", "1", "RIVERA", "SAM"]
    assert after[2] == ["DMG", "D8", "19890401"]
    assert after[3] == ["INS", "N", "01"]
    assert [s[1] for s in after if s[0] == "EQ"] == ["30", "MH", "AI"]
    # And the subscriber's loop carries no trace, date of service or EQ
    before = segments[: segments.index(hls[3])]
    assert not {"TRN", "DTP", "EQ"} & {s[0] for s in before}


@pytest.mark.parametrize(
    ("relationship", "code"),
    [
        (SubscriberRelationship.SPOUSE, "01"),
        (SubscriberRelationship.CHILD, "19"),
        (SubscriberRelationship.DOMESTIC_PARTNER, "53"),
        (SubscriberRelationship.OTHER, "G8"),
    ],
)
def test_dependent_relationship_codes(relationship: SubscriberRelationship, code: str):
    dependent = SPOUSE.model_copy(update={"relationship": relationship})
    assert _one(build_270(_request(dependent=dependent)), "INS") == ["INS", "N", code]


def test_one_eq_per_service_type_in_order_without_duplicates():
    text = build_270(_request(service_types=("30", "MH", "AI", "A6", "A7", "A8", "MH")))
    assert [s[1] for s in _segments(text) if s[0] == "EQ"] == ["30", "MH", "AI", "A6", "A7", "A8"]


def test_payer_and_provider_loops():
    segments = _segments(build_270(_request()))
    assert ["NM1", "PR", "2", "SUMMIT NATIONAL HEALTH", "", "", "", "", "PI", "87726"] in segments
    assert ["NM1", "1P", "2", "TANDEM BEHAVIORAL HEALTH", "", "", "", "", "XX", "1234567893"] in segments
    assert _one(build_270(_request()), "BHT") == ["BHT", "0022", "13", "TRC-000123", "20250615", "120130"]


def test_individual_provider_is_a_person():
    segments = _segments(build_270(_request(provider_name="NGUYEN", provider_first_name="LINDA")))
    assert ["NM1", "1P", "1", "NGUYEN", "LINDA", "", "", "", "XX", "1234567893"] in segments


def test_group_number_is_optional():
    subscriber = _request().subscriber.model_copy(update={"group_number": None})
    assert "REF" not in _tags(build_270(_request(subscriber=subscriber)))


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "subscriber": Subscriber(
                first_name="A", last_name="O~BRIEN", member_id="M1", birth_date=date(1990, 1, 1)
            )
        },
        {
            "subscriber": Subscriber(
                first_name="A", last_name="B", member_id="AB*12", birth_date=date(1990, 1, 1)
            )
        },
        {
            "subscriber": Subscriber(
                first_name="A", last_name="B", member_id="M1", birth_date=date(1990, 1, 1), group_number="G:1"
            )
        },
        {"trace_number": "T^1"},
        {"payer_id": "877\n26"},
        {"sender_id": "TANDEM*IOP"},
        {"dependent": SPOUSE.model_copy(update={"first_name": "S~M"})},
    ],
)
def test_delimiters_in_values_are_refused(overrides: dict[str, Any]):
    with pytest.raises(ValueError, match="delimiter") as caught:
        build_270(_request(**overrides))
    assert "O~BRIEN" not in str(caught.value)
    assert "AB*12" not in str(caught.value)


@pytest.mark.parametrize(
    "overrides",
    [
        {"service_types": ("30", "ZZZ")},
        {"service_types": ()},
        {"provider_npi": "12345"},
        {"sender_id": "X" * 16},
        {"control_number": 1_000_000_000},
        {"trace_originator": "TANDEM"},
        {"date_of_service": date(1980, 1, 1)},
    ],
)
def test_invalid_requests_are_refused(overrides: dict[str, Any]):
    with pytest.raises(ValueError):  # noqa: PT011 -- pydantic's ValidationError is a ValueError
        _request(**overrides)


def test_a_dependent_cannot_be_self():
    with pytest.raises(ValueError, match="dependent"):
        Dependent(first_name="SAM", last_name="RIVERA", birth_date=date(1989, 4, 1), relationship="self")


def test_other_delimiters_are_declared_in_the_header():
    d = Delimiters(element="|", repetition="}", component=">", segment="~")
    text = build_270(_request(), d)
    assert read_delimiters(text) == d
    assert len(text.split("~")[0]) + 1 == 106


# --------------------------------------------------------------------------- 271 (a) national PPO


@pytest.fixture(scope="module")
def ppo():
    return parse_271(samples.NATIONAL_PPO)


def test_ppo_identifies_the_response(ppo):
    assert ppo.status is CoverageStatus.ACTIVE
    assert ppo.trace_number == "TRC-000123"
    assert [t.trace_type for t in ppo.traces] == ["2", "1"]
    assert ppo.reference == "TRC-000123"
    assert ppo.payer.name == "SUMMIT NATIONAL HEALTH"
    assert ppo.payer.identifier == "87726"
    assert ppo.payer.phone == "8005550199"
    assert ppo.provider.identifier == "1234567893"
    assert ppo.subscriber.first_name == "ALEX"
    assert ppo.subscriber.last_name == "RIVERA"
    assert ppo.subscriber.member_id == "XQZ998877665"
    assert ppo.subscriber.birth_date == date(1988, 3, 12)
    assert ppo.subscriber.relationship is SubscriberRelationship.SELF
    assert ppo.dependent is None
    assert ppo.patient_subject is Subject.SUBSCRIBER


def test_ppo_plan_facts(ppo):
    assert ppo.plan_begin == date(2025, 1, 1)
    assert ppo.plan_end == date(2025, 12, 31)
    assert ppo.eligibility.start == date(2025, 1, 1)
    assert ppo.eligibility.end == date(2025, 12, 31)
    assert ppo.insurance_type == "PR"
    assert ppo.plan_type is PlanType.PPO
    assert ppo.plan_description == "CHOICE PLUS PPO"
    assert ppo.group_number == "0071234"
    assert ppo.subscriber.group_name == "ACME MANUFACTURING"


def test_ppo_repetitions_become_one_benefit_per_service_type(ppo):
    active = ppo.find(info=BenefitInfo.ACTIVE_COVERAGE)
    assert [b.service_type for b in active] == ["30", "MH", "AI", "A6", "A7", "A8"]
    assert active[3].service_type_name == "Psychotherapy"
    deductibles = ppo.find(
        info=BenefitInfo.DEDUCTIBLE,
        level=CoverageLevel.INDIVIDUAL,
        period=TimePeriod.CALENDAR_YEAR,
        network=Network.IN_NETWORK,
        strict_network=True,
    )
    assert [(b.service_type, b.amount) for b in deductibles] == [
        ("30", Decimal("1500")),
        ("MH", Decimal("1500")),
    ]


def test_ppo_amounts_are_decimals(ppo):
    remaining = ppo.find(info=BenefitInfo.OUT_OF_POCKET, service_type="MH", period=TimePeriod.REMAINING)
    assert remaining[0].amount == Decimal("5212.37")
    assert isinstance(remaining[0].amount, Decimal)
    coinsurance = ppo.find(info=BenefitInfo.CO_INSURANCE, service_type="MH", network=Network.OUT_OF_NETWORK)
    assert [b.percent for b in coinsurance] == [Decimal("0.4")]


def test_ppo_benefit_details(ppo):
    # The DTP after an EB belongs to that EB (both of its service types)
    first = ppo.find(info=BenefitInfo.DEDUCTIBLE)[:2]
    assert [w.qualifier for b in first for w in b.dates] == ["348", "348"]
    assert first[0].dates[0].start == date(2025, 1, 1)
    # EB13 composite procedure
    (psychotherapy,) = ppo.find(info=BenefitInfo.CO_PAYMENT, service_type="A6")
    assert psychotherapy.procedure.qualifier == "HC"
    assert psychotherapy.procedure.code == "90837"
    # III place of service and MSG stay with their EB
    telehealth = [b for b in ppo.find(info=BenefitInfo.CO_PAYMENT, service_type="MH") if b.industry_codes]
    assert telehealth[0].amount == Decimal("0")
    assert telehealth[0].industry_codes[0].code == "02"
    assert telehealth[0].messages == ("TELEHEALTH VISITS WITH IN-NETWORK PROVIDERS",)
    # Authorization and visits
    assert all(b.authorization_required for b in ppo.find(info=BenefitInfo.CO_INSURANCE, service_type="MH"))
    (limit,) = ppo.find(info=BenefitInfo.LIMITATIONS, service_type="MH", period=TimePeriod.CALENDAR_YEAR)
    assert (limit.quantity_qualifier, limit.quantity) == ("VS", Decimal("30"))


def test_ppo_in_network_summary_prefers_mental_health_over_plan_level(ppo):
    # Given a 30 (plan) copay of $40 and an MH copay of $25, both in network
    # When summarising for MH then 30
    summary = summarise(ppo, ("MH", "30"), Network.IN_NETWORK)
    # Then the specific MH entries win, and the general one beats the telehealth-only one
    assert summary.copay == Decimal("25")
    assert summary.coinsurance == Decimal("0.2")
    assert summary.deductible == Accumulator(
        individual_total=Decimal("1500"),
        individual_remaining=Decimal("1100.00"),
        family_total=Decimal("3000"),
        family_remaining=Decimal("2400.50"),
    )
    assert summary.out_of_pocket == Accumulator(
        individual_total=Decimal("6000"),
        individual_remaining=Decimal("5212.37"),
        family_total=Decimal("12000"),
        family_remaining=Decimal("11000"),
    )
    assert summary.visit_limit == Decimal("30")
    assert summary.visits_remaining == Decimal("22")
    assert summary.prior_auth_required is True
    assert summary.not_covered is False


def test_ppo_plan_level_summary(ppo):
    summary = summarise(ppo, ("30",), Network.IN_NETWORK)
    assert summary.copay == Decimal("40")
    assert summary.coinsurance == Decimal("0.1")
    assert summary.visit_limit is None


def test_ppo_out_of_network_summary(ppo):
    summary = summarise(ppo, network=Network.OUT_OF_NETWORK)
    assert summary.deductible == Accumulator(
        individual_total=Decimal("3000"), individual_remaining=Decimal("3000"), family_total=Decimal("6000")
    )
    assert summary.out_of_pocket.individual_total == Decimal("12000")
    assert summary.copay is None
    assert summary.coinsurance == Decimal("0.4")


# --------------------------------------------------------------------------- 271 (b) W flags


def test_w_flags_apply_in_and_out_of_network():
    # Given a payer that flags its cost shares W (not applicable: same in and out of network)
    result = parse_271(samples.REGIONAL_W_FLAGS)
    assert result.plan_type is PlanType.HMO
    # When summarising either network
    inside = summarise(result, network=Network.IN_NETWORK)
    outside = summarise(result, network=Network.OUT_OF_NETWORK)
    # Then both see the W amounts
    for summary in (inside, outside):
        assert summary.copay == Decimal("30")
        assert summary.coinsurance == Decimal("0")
        assert summary.deductible.individual_total == Decimal("500")
        assert summary.deductible.individual_remaining == Decimal("500")
        assert summary.out_of_pocket.family_total == Decimal("8000")
    # And the messages after the copay EB travel with it
    assert inside.messages == (
        "COPAY APPLIES TO OUTPATIENT MENTAL HEALTH OFFICE VISITS",
        "TELEHEALTH VISITS COVERED AT THE SAME COST SHARE",
    )
    # And only out of network does the non-covered EB*I (and its message) apply
    assert inside.not_covered is False
    assert outside.not_covered is True
    assert "NO OUT OF NETWORK BENEFITS EXCEPT EMERGENCIES" in outside.messages
    assert "NO OUT OF NETWORK BENEFITS EXCEPT EMERGENCIES" not in inside.messages


def test_w_flags_and_strict_lookups():
    result = parse_271(samples.REGIONAL_W_FLAGS)
    assert (
        result.find(info=BenefitInfo.CO_PAYMENT, network=Network.IN_NETWORK)[0].network
        is Network.NOT_APPLICABLE
    )
    assert result.find(info=BenefitInfo.CO_PAYMENT, network=Network.IN_NETWORK, strict_network=True) == ()
    assert len(result.find(info=BenefitInfo.CO_PAYMENT, network=Network.NOT_APPLICABLE)) == 1


# --------------------------------------------------------------------------- 271 (c) LS/LE carve-out


def test_carve_out_vendor_stays_on_its_benefit():
    # Given MH is carved out to a vendor named inside LS*2120 ... LE*2120
    result = parse_271(samples.CARVE_OUT)
    # Then the vendor sits on the "contact following entity" EB, once per service type
    carved = result.find(info=BenefitInfo.CONTACT_FOLLOWING_ENTITY)
    assert [b.service_type for b in carved] == ["MH", "AI", "A6"]
    vendor = carved[0].entities[0]
    assert (vendor.entity_code, vendor.role) == ("PR", "payer")
    assert vendor.name == "MINDBRIDGE BEHAVIORAL HEALTH"
    assert (vendor.id_qualifier, vendor.identifier) == ("PI", "MBH01")
    assert vendor.phone == "8005550142"
    # And the EBs after LE are read as benefits of their own, without the vendor
    deductibles = result.find(info=BenefitInfo.DEDUCTIBLE)
    assert [b.amount for b in deductibles] == [Decimal("2000"), Decimal("1750")]
    assert all(b.entities == () and b.messages == () for b in deductibles)
    # And the PCP loop belongs to the EB*L before it
    (pcp_benefit,) = result.find(info=BenefitInfo.PRIMARY_CARE_PROVIDER)
    assert [(e.entity_code, e.name, e.first_name, e.identifier) for e in pcp_benefit.entities] == [
        ("P3", "NGUYEN", "LINDA", "1922334455")
    ]


def test_carve_out_summary_names_the_vendor():
    summary = summarise(parse_271(samples.CARVE_OUT))
    assert summary.deductible.individual_total == Decimal("2000")
    assert summary.deductible.individual_remaining == Decimal("1750")
    assert "MINDBRIDGE BEHAVIORAL HEALTH" in {c.name for c in summary.contacts}
    assert summary.messages == ("BEHAVIORAL HEALTH BENEFITS ARE ADMINISTERED BY A SEPARATE VENDOR",)
    assert summary.copay is None  # the $20 copay is for service type 98, not MH or 30


# --------------------------------------------------------------------------- 271 (d) rejections


@pytest.mark.parametrize(
    ("text", "code", "category", "follow_up", "loop", "valid", "retryable"),
    [
        (
            samples.MEMBER_NOT_FOUND,
            "72",
            RejectionCategory.MEMBER_NOT_FOUND,
            FollowUp.CORRECT_AND_RESUBMIT,
            "2100C",
            True,
            False,
        ),
        (
            samples.PAYER_UNAVAILABLE,
            "42",
            RejectionCategory.PAYER_UNAVAILABLE,
            FollowUp.RESUBMISSION_ALLOWED,
            "2100A",
            False,
            True,
        ),
        (
            samples.INVALID_BIRTH_DATE,
            "58",
            RejectionCategory.INVALID_BIRTH_DATE,
            FollowUp.CORRECT_AND_RESUBMIT,
            "2100C",
            True,
            False,
        ),
    ],
)
def test_rejections(text, code, category, follow_up, loop, valid, retryable):
    result = parse_271(text)
    assert result.status is CoverageStatus.REJECTED
    (rejection,) = result.rejections
    assert rejection.code == code
    assert rejection.message == REJECT_REASONS[code]
    assert rejection.category is category
    assert result.rejection_category is category
    assert rejection.follow_up is follow_up
    assert rejection.loop == loop
    assert rejection.valid_request is valid
    assert rejection.retryable is retryable
    assert result.benefits == ()
    assert result.trace_number == "TRC-000400"


def test_reject_reason_table_is_complete():
    required = "04 15 33 35 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 60 61 62 63"
    required += " 69 70 71 72 73 74 75 76 78 79 80 97 T4"
    assert set(required.split()) <= set(REJECT_REASONS)


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("42", RejectionCategory.PAYER_UNAVAILABLE),
        ("80", RejectionCategory.PAYER_UNAVAILABLE),
        ("72", RejectionCategory.MEMBER_NOT_FOUND),
        ("73", RejectionCategory.MEMBER_NOT_FOUND),
        ("75", RejectionCategory.MEMBER_NOT_FOUND),
        ("76", RejectionCategory.MEMBER_NOT_FOUND),
        ("58", RejectionCategory.INVALID_BIRTH_DATE),
        ("71", RejectionCategory.INVALID_BIRTH_DATE),
        ("43", RejectionCategory.INVALID_PROVIDER),
        ("57", RejectionCategory.OTHER),
        ("ZZ", RejectionCategory.OTHER),
    ],
)
def test_rejection_categories(code: str, category: RejectionCategory):
    text = samples.MEMBER_NOT_FOUND.replace("AAA*Y**72*C", f"AAA*Y**{code}*C")
    assert parse_271(text).rejections[0].category is category


# --------------------------------------------------------------------------- 271 (e) other delimiters, CRLF


def test_other_delimiters_and_crlf():
    # Given `|` elements, `}` repetitions, `>` components and CRLF after every `~`
    text = samples.PIPES_AND_CRLF
    assert read_delimiters(text) == Delimiters(element="|", repetition="}", component=">", segment="~")
    # When parsed
    result = parse_271(text)
    # Then repetitions and composites are split on the declared characters
    assert result.status is CoverageStatus.ACTIVE
    assert result.trace_number == "TRC-000555"
    assert result.subscriber.member_id == "MCD44556677"
    assert result.insurance_type == "MC"
    assert [b.service_type for b in result.find(info=BenefitInfo.ACTIVE_COVERAGE)] == ["30", "MH", "AI", "A8"]
    (group,) = result.find(info=BenefitInfo.CO_PAYMENT, service_type="MH")
    assert group.procedure.code == "90853"
    assert group.amount == Decimal("3")
    assert (result.plan_begin, result.plan_end) == (date(2025, 9, 1), date(2025, 9, 30))
    # And the HSD visit count answers the visit limit
    (limit,) = result.find(info=BenefitInfo.LIMITATIONS)
    assert limit.deliveries[0].quantity == Decimal("24")
    assert limit.deliveries[0].period is TimePeriod.SERVICE_YEAR
    assert summarise(result, ("A8",)).visit_limit == Decimal("24")


# --------------------------------------------------------------------------- 271 (f) spouse in 2000D


def test_spouse_benefits_sit_in_the_dependent_loop():
    # Given the patient is the subscriber's spouse, answered in loop 2000D
    result = parse_271(samples.SPOUSE_DEPENDENT)
    # Then the patient is the dependent, with the subscriber kept for matching
    assert result.patient_subject is Subject.DEPENDENT
    assert result.patient.first_name == "SAM"
    assert result.patient.birth_date == date(1989, 4, 1)
    assert result.dependent.relationship is SubscriberRelationship.SPOUSE
    assert result.subscriber.member_id == "XQZ998877665"
    assert result.group_number == "0071234"
    assert result.trace_number == "TRC-000124"
    assert {b.subject for b in result.benefits} == {Subject.DEPENDENT}
    assert (result.plan_begin, result.plan_end) == (date(2025, 1, 1), date(2025, 12, 31))
    # And the embedded individual deductible is separate from the family one
    summary = summarise(result)
    assert summary.deductible == Accumulator(
        individual_total=Decimal("1500"),
        individual_remaining=Decimal("900"),
        family_total=Decimal("3000"),
        family_remaining=Decimal("1800"),
    )
    assert (summary.copay, summary.coinsurance) == (Decimal("25"), Decimal("0.2"))


# --------------------------------------------------------------------------- 271 (g) inactive


def test_inactive_coverage():
    result = parse_271(samples.INACTIVE)
    assert result.status is CoverageStatus.INACTIVE
    assert result.plan_end == date(2025, 3, 31)
    assert result.rejections == ()
    summary = summarise(result)
    assert summary.status is CoverageStatus.INACTIVE
    assert summary.messages == ("COVERAGE TERMINATED - COBRA NOT ELECTED",)


# --------------------------------------------------------------------------- parser robustness


def test_newline_as_segment_terminator_and_unpadded_header():
    text = samples.INACTIVE.replace("~", "\n").replace("*SUMMITNATL     *", "*SUMMITNATL*")
    result = parse_271(text)
    assert result.status is CoverageStatus.INACTIVE
    assert result.trace_number == "TRC-000125"


def test_lines_wrapped_inside_segments_are_joined():
    text = samples.CARVE_OUT
    wrapped = "\n".join(text[i : i + 80] for i in range(0, len(text), 80))
    assert parse_271(wrapped) == parse_271(text)


def test_without_repetition_separator_eb03_is_one_code():
    # A 4010-style ISA11 ("U") declares no repetition separator
    text = samples.REGIONAL_W_FLAGS.replace("*^*00501*", "*U*00501*")
    result = parse_271(text)
    assert [b.service_type for b in result.find(info=BenefitInfo.ACTIVE_COVERAGE)] == ["30^MH^AI"]


def test_benefit_without_service_type_and_entity_without_ls():
    text = samples.INACTIVE.replace(
        "EB*6**30*PR*CHOICE PLUS PPO~",
        "EB*1**30*PR*CHOICE PLUS PPO~EB*C*IND****23*750~EB*U~NM1*X3*2*CAREGATE UM*****PI*CG1~",
    )
    result = parse_271(text)
    (deductible,) = result.find(info=BenefitInfo.DEDUCTIBLE)
    assert deductible.service_type is None
    assert summarise(result).deductible.individual_total == Decimal("750")
    (contact,) = result.find(info=BenefitInfo.CONTACT_FOLLOWING_ENTITY)
    assert contact.entities[0].name == "CAREGATE UM"
    assert contact.entities[0].role == "utilization management organization"


def test_percent_sent_as_whole_number_is_normalised():
    text = samples.SPOUSE_DEPENDENT.replace("EB*A*IND*MH***27**.2****Y~", "EB*A*IND*MH***27**20****Y~")
    assert summarise(parse_271(text)).coinsurance == Decimal("0.2")


def test_remaining_derived_from_year_to_date():
    text = samples.CARVE_OUT.replace("EB*C*IND*30***29*1750*****Y~", "EB*C*IND*30***24*400*****Y~")
    assert summarise(parse_271(text)).deductible.individual_remaining == Decimal("1600")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no ISA"),
        ("hello world", "no ISA"),
        ("ISA*00*   *00", "truncated"),
        (samples.INACTIVE.replace("ST*271*", "ST*999*"), "got 999"),
        (samples.INACTIVE.split("ST*")[0], "no transaction set"),
    ],
)
def test_unreadable_interchanges(text: str, message: str):
    with pytest.raises(X12Error, match=message):
        parse_271(text)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("DMG*D8*19770909*F~", "DMG*D8*1977O9O9*F~"),
        ("DTP*347*D8*20250331~", "DTP*347*RD8*20250331-20240101~"),
    ],
)
def test_malformed_values_fail_without_echoing_them(old: str, new: str):
    with pytest.raises(X12Error, match=r"segment \d+") as caught:
        parse_271(samples.INACTIVE.replace(old, new))
    assert "1977" not in str(caught.value)
    assert "2025" not in str(caught.value)


def test_malformed_amount():
    text = samples.CARVE_OUT.replace("*23*2000*", "*23*2,000*")
    with pytest.raises(X12Error, match=r"\(EB\): element 07"):
        parse_271(text)


# --------------------------------------------------------------------------- render_271 round trips

PROFILE = BenefitProfile(
    plan_begin=date(2025, 1, 1),
    plan_end=date(2025, 12, 31),
    plan_description="CHOICE PLUS PPO",
    in_network=CostShare(
        deductible=Accumulator(
            individual_total=Decimal("1500"),
            individual_remaining=Decimal("1100.50"),
            family_total=Decimal("3000"),
            family_remaining=Decimal("2400"),
        ),
        out_of_pocket=Accumulator(
            individual_total=Decimal("6000"),
            individual_remaining=Decimal("5200"),
            family_total=Decimal("12000"),
            family_remaining=Decimal("10400.25"),
        ),
        copay=Decimal("25"),
        coinsurance=Decimal("0.2"),
    ),
    out_of_network=CostShare(
        deductible=Accumulator(individual_total=Decimal("3000"), family_total=Decimal("6000")),
        out_of_pocket=Accumulator(individual_total=Decimal("12000")),
        coinsurance=Decimal("0.4"),
    ),
    visit_limit=30,
    visits_remaining=22,
    prior_auth_required=True,
    payer_message="IOP REQUIRES PRIOR AUTHORIZATION",
)


@pytest.mark.parametrize("dependent", [None, SPOUSE])
def test_render_round_trips_through_parse_and_summarise(dependent: Dependent | None):
    # Given a simulated payer's profile and the 270 it answers
    request = _request(dependent=dependent, service_types=("30", "MH", "AI", "A6"))
    # When it renders a 271 and we read it back
    result = parse_271(render_271(PROFILE, request))
    # Then the response matches the request and reports the profile's numbers
    assert result.status is CoverageStatus.ACTIVE
    assert result.trace_number == request.trace_number
    assert result.patient_subject is (Subject.DEPENDENT if dependent else Subject.SUBSCRIBER)
    assert result.patient.first_name == ("SAM" if dependent else "ALEX")
    assert result.subscriber.member_id == "XQZ998877665"
    assert (result.plan_begin, result.plan_end) == (PROFILE.plan_begin, PROFILE.plan_end)
    assert result.plan_description == "CHOICE PLUS PPO"
    for network, share in (
        (Network.IN_NETWORK, PROFILE.in_network),
        (Network.OUT_OF_NETWORK, PROFILE.out_of_network),
    ):
        summary = summarise(result, ("MH", "30"), network)
        assert summary.deductible == share.deductible
        assert summary.out_of_pocket == share.out_of_pocket
        assert summary.copay == share.copay
        assert summary.coinsurance == share.coinsurance
        assert summary.visit_limit == Decimal(30)
        assert summary.visits_remaining == Decimal(22)
        assert summary.prior_auth_required is True
        assert summary.messages == ("IOP REQUIRES PRIOR AUTHORIZATION",)


def test_rendered_271_is_well_formed():
    text = render_271(PROFILE, _request(), control_number=9001, created=datetime(2025, 6, 15, 12, 2))
    assert len(text.split("~")[0]) + 1 == 106
    tags = _tags(text)
    assert _one(text, "SE")[1] == str(tags.index("SE") - tags.index("ST") + 1)
    assert _one(text, "ST")[1] == "271"
    assert _one(text, "GS")[1] == "HB"
    assert _one(text, "ISA")[13] == "000009001"
    # The payer is the sender now
    assert _one(text, "ISA")[6].strip() == "CLEARHOUSE"
    assert _one(text, "BHT")[2:4] == ["11", "TRC-000123"]


def test_render_with_other_delimiters_and_line_breaks():
    d = Delimiters(element="|", repetition="}", component=">", segment="~")
    text = render_271(PROFILE, _request(), d=d).replace("~", "~\r\n")
    summary = summarise(parse_271(text))
    assert summary.deductible == PROFILE.in_network.deductible
    assert summary.copay == Decimal("25")


def test_render_inactive():
    profile = BenefitProfile(active=False, plan_end=date(2025, 3, 31), payer_message="COVERAGE TERMINATED")
    result = parse_271(render_271(profile, _request()))
    assert result.status is CoverageStatus.INACTIVE
    assert result.plan_end == date(2025, 3, 31)
    assert result.find(info=BenefitInfo.DEDUCTIBLE) == ()


@pytest.mark.parametrize(
    ("code", "dependent", "category", "loop"),
    [
        ("72", None, RejectionCategory.MEMBER_NOT_FOUND, "2100C"),
        ("75", SPOUSE, RejectionCategory.MEMBER_NOT_FOUND, "2100D"),
        ("71", None, RejectionCategory.INVALID_BIRTH_DATE, "2100C"),
        ("42", None, RejectionCategory.PAYER_UNAVAILABLE, "2000A"),
        ("43", None, RejectionCategory.INVALID_PROVIDER, "2100B"),
    ],
)
def test_render_rejections(code: str, dependent: Dependent | None, category: RejectionCategory, loop: str):
    result = parse_271(render_271(BenefitProfile(rejection_code=code), _request(dependent=dependent)))
    assert result.status is CoverageStatus.REJECTED
    assert [(r.code, r.category, r.loop) for r in result.rejections] == [(code, category, loop)]
    assert result.benefits == ()
    assert result.trace_number == "TRC-000123"


def test_render_refuses_unknown_rejection_codes():
    with pytest.raises(ValueError, match="reject reason"):
        BenefitProfile(rejection_code="99")


def test_render_refuses_delimiters_in_messages():
    with pytest.raises(ValueError, match="payer_message"):
        render_271(BenefitProfile(payer_message="CALL 800~555"), _request())
