"""A simulated clearinghouse and payers: what `make serve` and the tests talk to.

It reads the 270 it is sent (a small segment reader: just the elements `build_270` writes) and
answers with a 271 rendered by `render_271`. It answers **any** payer and member id: the
seeded demo members with their own plans, a few member-id patterns with the interesting
answers, and everyone else with a plausible active PPO (a newcomer's new plan checks as
active, as most real plans do).

Member-id patterns (the member id starts with the pattern, in any case, so `SIM-HDHP-0042`
and `sim-hdhp` both match; any payer id):

| member id starts with       | answer                                                          |
|-----------------------------|-----------------------------------------------------------------|
| SIM-OUTAGE (or payer OUTAGE)| no answer at all: the clearinghouse is down (a transient        |
|                             | failure; locally the CORE endpoint answers 503 + Retry-After)   |
| SIM-REFUSED                 | the clearinghouse refuses the inquiry itself (a 999: as it      |
|                             | would a malformed 270): 502, nothing stored, nothing retried    |
| SIM-NOTFOUND                | rejected: AAA 75 subscriber/insured not found                   |
| SIM-BADDOB                  | rejected: AAA 58 invalid birth date                             |
| SIM-BUSY                    | rejected: AAA 42 payer unable to respond now (retry later)      |
| SIM-REJECT-<code>           | rejected with that AAA03 code, e.g. SIM-REJECT-72 (invalid      |
|                             | member id); an unknown code is answered 75                      |
| SIM-TERMED or SIM-INACTIVE  | inactive: coverage ended 30 days before the date of service     |
| SIM-PERDIEM                 | active PPO whose payer pays intensive outpatient per diem (the  |
|                             | 271 can only say so in a message: price it with the payer's     |
|                             | per-diem fee schedule)                                          |
| SIM-HDHP                    | active high-deductible plan: $3,300 deductible ($6,600 family), |
|                             | nothing met, no copay, 10 % coinsurance after the deductible    |
| anything else               | active PPO: $1,500 deductible ($3,000 family), $300 met, $30    |
|                             | copay, 20 % coinsurance, $6,000 out-of-pocket maximum, 40 % out |
|                             | of network                                                      |

The seeded demo members answer with their own plans:

| payer / member            | answer                                                        |
|---------------------------|---------------------------------------------------------------|
| LSM01 LSM884201-01 / -02  | Lone Star Mutual family PPO, embedded deductibles, some met   |
| PCP22 PCX-55120934        | Pacific Crest PPO, July plan year, prior auth, 30-visit limit |

(a seeded member whose 270 gives another birth date gets AAA 71). Plan years follow the date
of service, so the demo stays current.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from functions.coverage.port import ClearinghouseFailure, ClearinghouseRefused
from functions.coverage.x12.builder import Dependent, EligibilityRequest, Subscriber
from functions.coverage.x12.codes import REJECT_REASONS, RELATIONSHIP_BY_CODE
from functions.coverage.x12.renderer import BenefitProfile, CostShare, render_271
from functions.coverage.x12.summary import Accumulator
from functions.coverage.x12.tokenizer import X12Error, read_delimiters

OUTAGE_PAYER = "OUTAGE"
OUTAGE_MEMBER = "SIM-OUTAGE"
REFUSED_MEMBER = "SIM-REFUSED"


def _calendar_year(on: date) -> tuple[date, date]:
    return date(on.year, 1, 1), date(on.year, 12, 31)


def _july_year(on: date) -> tuple[date, date]:
    start = date(on.year if on.month >= 7 else on.year - 1, 7, 1)
    return start, date(start.year + 1, 6, 30)


def _usd(amount: str) -> Decimal:
    return Decimal(amount)


# Lone Star Mutual: one family PPO for the Riveras. Embedded deductibles: each member has their
# own individual deductible inside the family one; family totals count both partners.
_LSM_OUT_OF_NETWORK = CostShare(
    deductible=Accumulator(
        individual_total=_usd("3000"),
        individual_remaining=_usd("3000"),
        family_total=_usd("6000"),
        family_remaining=_usd("6000"),
    ),
    out_of_pocket=Accumulator(
        individual_total=_usd("12000"),
        individual_remaining=_usd("12000"),
        family_total=_usd("24000"),
        family_remaining=_usd("24000"),
    ),
    coinsurance=Decimal("0.40"),
)


def _lone_star(individual_deductible_left: str, individual_oop_left: str) -> Callable[[date], BenefitProfile]:
    def profile(on: date) -> BenefitProfile:
        begin, end = _calendar_year(on)
        return BenefitProfile(
            plan_begin=begin,
            plan_end=end,
            plan_description="LONE STAR CHOICE PPO",
            group_number="TX-20417",
            in_network=CostShare(
                deductible=Accumulator(
                    individual_total=_usd("1500"),
                    individual_remaining=_usd(individual_deductible_left),
                    # Alex has met $400 and Jamie $150 of the family's $3,000.
                    family_total=_usd("3000"),
                    family_remaining=_usd("2450"),
                ),
                out_of_pocket=Accumulator(
                    individual_total=_usd("6000"),
                    individual_remaining=_usd(individual_oop_left),
                    family_total=_usd("12000"),
                    family_remaining=_usd("11270"),
                ),
                copay=_usd("30"),
                coinsurance=Decimal("0.20"),
            ),
            out_of_network=_LSM_OUT_OF_NETWORK,
            prior_auth_required=False,
            payer_message="OUTPATIENT MENTAL HEALTH COST SHARE EQUALS MEDICAL OFFICE VISITS",
        )

    return profile


def _pacific_crest(on: date) -> BenefitProfile:
    begin, end = _july_year(on)
    return BenefitProfile(
        plan_begin=begin,
        plan_end=end,
        plan_description="PACIFIC CREST PPO 2500",
        in_network=CostShare(
            deductible=Accumulator(
                individual_total=_usd("2500"),
                individual_remaining=_usd("2500"),
                family_total=_usd("5000"),
                family_remaining=_usd("5000"),
            ),
            out_of_pocket=Accumulator(
                individual_total=_usd("7500"),
                individual_remaining=_usd("7500"),
                family_total=_usd("15000"),
                family_remaining=_usd("15000"),
            ),
            copay=_usd("40"),
            coinsurance=Decimal("0.30"),
        ),
        visit_limit=30,
        visits_remaining=30,
        prior_auth_required=True,
        payer_message="PRIOR AUTHORIZATION REQUIRED FOR INTENSIVE OUTPATIENT SERVICES",
    )


def _rejected(code: str) -> Callable[[date], BenefitProfile]:
    return lambda on: BenefitProfile(rejection_code=code)


def _ppo(on: date) -> BenefitProfile:
    """The plausible active PPO anyone the simulator does not otherwise know has."""
    begin, end = _calendar_year(on)
    return BenefitProfile(
        plan_begin=begin,
        plan_end=end,
        plan_description="CHOICE PPO",
        in_network=CostShare(
            deductible=Accumulator(
                individual_total=_usd("1500"),
                individual_remaining=_usd("1200"),
                family_total=_usd("3000"),
                family_remaining=_usd("2700"),
            ),
            out_of_pocket=Accumulator(
                individual_total=_usd("6000"),
                individual_remaining=_usd("5700"),
                family_total=_usd("12000"),
                family_remaining=_usd("11700"),
            ),
            copay=_usd("30"),
            coinsurance=Decimal("0.20"),
        ),
        out_of_network=_LSM_OUT_OF_NETWORK,
        prior_auth_required=False,
    )


def _per_diem(on: date) -> BenefitProfile:
    return _ppo(on).model_copy(
        update={
            "plan_description": "CHOICE PPO IOP PER DIEM",
            "payer_message": "INTENSIVE OUTPATIENT PROGRAM REIMBURSED PER DIEM",
        }
    )


def _high_deductible(on: date) -> BenefitProfile:
    begin, end = _calendar_year(on)
    return BenefitProfile(
        plan_begin=begin,
        plan_end=end,
        plan_description="HSA QUALIFIED HDHP 3300",
        in_network=CostShare(
            deductible=Accumulator(
                individual_total=_usd("3300"),
                individual_remaining=_usd("3300"),
                family_total=_usd("6600"),
                family_remaining=_usd("6600"),
            ),
            out_of_pocket=Accumulator(
                individual_total=_usd("7000"),
                individual_remaining=_usd("7000"),
                family_total=_usd("14000"),
                family_remaining=_usd("14000"),
            ),
            coinsurance=Decimal("0.10"),
        ),
        prior_auth_required=False,
    )


def _terminated(on: date) -> BenefitProfile:
    return BenefitProfile(
        active=False,
        plan_begin=date(on.year - 1, 1, 1),
        plan_end=on - timedelta(days=30),
        payer_message="COVERAGE TERMINATED",
    )


@dataclass(frozen=True)
class DemoMember:
    """A member as the simulated payer knows them."""

    profile: Callable[[date], BenefitProfile]
    birth_date: date | None = None
    """The patient's birth date on the payer's file (None: not compared)."""


DEMO_MEMBERS: Mapping[tuple[str, str], DemoMember] = {
    ("LSM01", "LSM884201-01"): DemoMember(_lone_star("1100", "5420"), date(1988, 9, 30)),
    ("LSM01", "LSM884201-02"): DemoMember(_lone_star("1350", "5850"), date(1990, 4, 12)),
    ("PCP22", "PCX-55120934"): DemoMember(_pacific_crest, date(1993, 1, 22)),
}
SPECIAL_MEMBERS: Mapping[str, DemoMember] = {
    "SIM-NOTFOUND": DemoMember(_rejected("75")),
    "SIM-BADDOB": DemoMember(_rejected("58")),
    "SIM-BUSY": DemoMember(_rejected("42")),
    "SIM-TERMED": DemoMember(_terminated),
    "SIM-INACTIVE": DemoMember(_terminated),
    "SIM-PERDIEM": DemoMember(_per_diem),
    "SIM-HDHP": DemoMember(_high_deductible),
}
"""Member-id prefixes (compared in upper case) and the answer each chooses."""
REJECT_PREFIX = "SIM-REJECT-"


def special_member(member_id: str) -> DemoMember | None:
    """The pattern `member_id` matches (see the module docstring), if any."""
    upper = member_id.upper()
    if upper.startswith(REJECT_PREFIX):
        code = upper[len(REJECT_PREFIX) :][:2]
        return DemoMember(_rejected(code if code in REJECT_REASONS else "75"))
    return next((m for prefix, m in SPECIAL_MEMBERS.items() if upper.startswith(prefix)), None)


def is_outage(payer_id: str, member_id: str) -> bool:
    return payer_id.upper() == OUTAGE_PAYER or member_id.upper().startswith(OUTAGE_MEMBER)


class SimulatedClearinghouse:
    """Answers 270s from the demo members; see the module docstring for the cast."""

    def __init__(
        self,
        members: Mapping[tuple[str, str], DemoMember] = DEMO_MEMBERS,
    ) -> None:
        self.members = members
        self.received = 0

    def submit(self, x12_270: str) -> str:
        self.received += 1
        request = read_270(x12_270)
        if is_outage(request.payer_id, request.subscriber.member_id):
            raise ClearinghouseFailure("simulated outage")
        if request.subscriber.member_id.upper().startswith(REFUSED_MEMBER):
            raise ClearinghouseRefused("simulated refusal (999)")
        return render_271(self._profile(request), request, created=request.created)

    def _profile(self, request: EligibilityRequest) -> BenefitProfile:
        payer, member_id = request.payer_id, request.subscriber.member_id
        on = request.date_of_service
        special = special_member(member_id)
        if special is not None:
            return special.profile(on)
        member = self.members.get((payer, member_id))
        if member is None:
            return _ppo(on)  # any other payer or member: a plausible active PPO
        patient_birth = (request.dependent or request.subscriber).birth_date
        if member.birth_date is not None and member.birth_date != patient_birth:
            return BenefitProfile(rejection_code="71")
        return member.profile(on)


# --------------------------------------------------------------------------- reading a 270


def _d8(raw: str) -> date:
    return datetime.strptime(raw, "%Y%m%d").date()


def read_270(text: str) -> EligibilityRequest:
    """The request a 270 (as `build_270` writes it) carries. ClearinghouseRefused when unreadable,
    as a clearinghouse answers a broken interchange with a 999 rather than a 271."""
    try:
        return _read_270(text)
    except (X12Error, ValueError, KeyError, IndexError):
        raise ClearinghouseRefused("the 270 could not be read") from None


def _read_270(text: str) -> EligibilityRequest:
    d = read_delimiters(text)
    body = text[text.index("ISA") :]
    if d.segment not in "\r\n":
        body = body.replace("\r", "").replace("\n", "")
    segments = [raw.strip().split(d.element) for raw in body.split(d.segment) if raw.strip()]

    def el(seg: list[str], n: int) -> str:
        return seg[n].strip() if n < len(seg) else ""

    fields: dict[str, object] = {"service_types": []}
    people: dict[str, dict[str, object]] = {"IL": {}, "03": {}}
    current: dict[str, object] | None = None
    for seg in segments:
        tag = seg[0].upper()
        if tag == "ISA":
            fields |= {
                "sender_qualifier": el(seg, 5),
                "sender_id": el(seg, 6),
                "receiver_qualifier": el(seg, 7),
                "receiver_id": el(seg, 8),
                "control_number": int(el(seg, 13)),
                "usage": el(seg, 15),
            }
        elif tag == "BHT":
            fields["created"] = datetime.strptime(el(seg, 4) + el(seg, 5)[:6], "%Y%m%d%H%M%S")
        elif tag == "NM1" and el(seg, 1) == "PR":
            fields |= {"payer_name": el(seg, 3), "payer_id": el(seg, 9)}
        elif tag == "NM1" and el(seg, 1) == "1P":
            fields |= {"provider_name": el(seg, 3), "provider_npi": el(seg, 9)}
            if el(seg, 4):
                fields["provider_first_name"] = el(seg, 4)
        elif tag == "NM1" and el(seg, 1) in people:
            current = people[el(seg, 1)]
            current |= {"last_name": el(seg, 3), "first_name": el(seg, 4)}
            if el(seg, 9):
                current["member_id"] = el(seg, 9)
        elif tag == "REF" and el(seg, 1) == "6P" and current is people["IL"]:
            current["group_number"] = el(seg, 2)
        elif tag == "DMG" and current is not None:
            current["birth_date"] = _d8(el(seg, 2))
        elif tag == "INS" and current is people["03"]:
            current["relationship"] = RELATIONSHIP_BY_CODE[el(seg, 2)]
        elif tag == "TRN":
            fields |= {"trace_number": el(seg, 2), "trace_originator": el(seg, 3)}
        elif tag == "DTP" and el(seg, 1) == "291":
            fields["date_of_service"] = _d8(el(seg, 3))
        elif tag == "EQ":
            service_types = fields["service_types"]
            assert isinstance(service_types, list)
            service_types.append(el(seg, 1))
    fields["service_types"] = tuple(fields["service_types"])  # type: ignore[arg-type]
    fields["subscriber"] = Subscriber.model_validate(people["IL"])
    if people["03"]:
        fields["dependent"] = Dependent.model_validate(people["03"])
    return EligibilityRequest.model_validate(fields)
