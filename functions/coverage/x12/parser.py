"""Parse an X12 005010X279A1 271 eligibility response: its HL hierarchy (2000A payer, 2000B provider,
2000C subscriber, 2000D dependent) and their loops (2100 names, 2110 benefits, 2120 benefit entities)
become an `EligibilityResult`. Pure: no I/O, no logging.

Error messages name segment positions and element numbers, never element values (they may be PHI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from functions.coverage.x12.codes import (
    ACTIVE_INFO,
    BENEFIT_INFO_CODES,
    COVERAGE_LEVEL_CODES,
    FOLLOW_UP_CODES,
    INACTIVE_INFO,
    NETWORK_CODES,
    REJECT_REASONS,
    REJECTION_CATEGORIES,
    TIME_PERIOD_CODES,
    RejectionCategory,
)
from functions.coverage.x12.delimiters import Delimiters
from functions.coverage.x12.models import (
    Benefit,
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
from functions.coverage.x12.tokenizer import Segment, tokenise, transaction

# --------------------------------------------------------------------------- element readers


def _decimal(seg: Segment, n: int) -> Decimal | None:
    raw = seg.get(n)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise seg.fail(f"element {n:02d} is not a number") from None
    if not value.is_finite():
        raise seg.fail(f"element {n:02d} is not a number")
    return value


def _d8(seg: Segment, raw: str) -> date:
    raw = raw.strip()
    if len(raw) < 8 or not raw[:8].isdigit():
        raise seg.fail("malformed date")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise seg.fail("malformed date") from None


def _dtp(seg: Segment) -> X12Date | None:
    qualifier, fmt, value = seg.get(1), seg.get(2).upper(), seg.get(3)
    if not qualifier or not value:
        return None
    if fmt in ("D8", "DT"):
        day = _d8(seg, value)
        return X12Date(qualifier=qualifier, start=day, end=day)
    if fmt in ("RD8", "RDT"):
        first, sep, last = value.partition("-")
        start = _d8(seg, first)
        end = _d8(seg, last) if sep else start
        if end < start:
            raise seg.fail("date range ends before it starts")
        return X12Date(qualifier=qualifier, start=start, end=end)
    return None


def _yes_no(raw: str) -> bool | None:
    return {"Y": True, "N": False}.get(raw.upper())


# --------------------------------------------------------------------------- parser


@dataclass
class _MemberDraft:
    first_name: str | None = None
    last_name: str | None = None
    member_id: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    group_number: str | None = None
    group_name: str | None = None
    plan_number: str | None = None
    relationship_code: str | None = None
    dates: list[X12Date] = field(default_factory=list)

    def freeze(self) -> Member:
        return Member(
            first_name=self.first_name,
            last_name=self.last_name,
            member_id=self.member_id,
            birth_date=self.birth_date,
            gender=self.gender,
            group_number=self.group_number,
            group_name=self.group_name,
            plan_number=self.plan_number,
            relationship_code=self.relationship_code,
            dates=tuple(self.dates),
        )


@dataclass
class _BenefitDraft:
    eb: Segment
    subject: Subject
    line: int | None = None
    text: str | None = None
    messages: list[str] = field(default_factory=list)
    dates: list[X12Date] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    industry_codes: list[IndustryCode] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)

    def freeze(self, d: Delimiters) -> list[Benefit]:
        eb = self.eb
        info_code = eb.get(1).upper()
        level_code = eb.opt(2)
        period_code = eb.opt(6)
        percent = _decimal(eb, 8)
        if percent is not None and percent > 1:
            percent = percent / 100  # some payers send 20 for 20 %; X12 means a fraction (.2)
        quantity_qualifier = eb.opt(9)
        common = {
            "subject": self.subject,
            "info": BENEFIT_INFO_CODES.get(info_code),
            "info_code": info_code,
            "level": COVERAGE_LEVEL_CODES.get(level_code.upper()) if level_code else None,
            "level_code": level_code,
            "insurance_type": eb.opt(4),
            "plan_description": eb.opt(5),
            "period": TIME_PERIOD_CODES.get(period_code) if period_code else None,
            "period_code": period_code,
            "amount": _decimal(eb, 7),
            "percent": percent,
            "quantity_qualifier": quantity_qualifier,
            "quantity": _decimal(eb, 10),
            "authorization_required": _yes_no(eb.get(11)),
            "network": NETWORK_CODES.get(eb.get(12).upper()),
            "procedure": _procedure(eb.get(13), d),
            "messages": tuple(self.messages),
            "dates": tuple(self.dates),
            "entities": tuple(self.entities),
            "deliveries": tuple(self.deliveries),
            "industry_codes": tuple(self.industry_codes),
            "references": tuple(self.references),
            "line": self.line,
            "segment": self.text,
        }
        raw_types = eb.get(3)
        types = [t.strip() for t in raw_types.split(d.repetition)] if d.repetition else [raw_types]
        service_types: list[str | None] = [t for t in types if t] or [None]
        return [Benefit.model_validate({**common, "service_type": st}) for st in service_types]


def _procedure(raw: str, d: Delimiters) -> Procedure | None:
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(d.component)]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    modifiers = tuple(m for m in parts[2:6] if m)
    return Procedure(qualifier=parts[0], code=parts[1], modifiers=modifiers)


_LEVEL_SUBJECT = {"22": Subject.SUBSCRIBER, "23": Subject.DEPENDENT}
_LOOP_LETTER = {"20": "A", "21": "B", "22": "C", "23": "D"}


class _Parser:
    def __init__(self, d: Delimiters) -> None:
        self.d = d
        self.level = ""
        self.named = False  # the NM1 of the current HL has been read
        self.in_ls = False
        self.draft: _BenefitDraft | None = None
        self.entity: dict[str, str | None] | None = None  # the 2120 entity being read
        self.reference: str | None = None
        self.traces: list[Trace] = []
        self.payer: Entity | None = None
        self.provider: Entity | None = None
        self.members: dict[Subject, _MemberDraft] = {}
        self.rejections: list[Rejection] = []
        self.benefits: list[Benefit] = []
        self.first_index = 1

    # -- helpers

    @property
    def subject(self) -> Subject | None:
        return _LEVEL_SUBJECT.get(self.level)

    def member(self) -> _MemberDraft | None:
        subject = self.subject
        if subject is None:
            return None
        return self.members.setdefault(subject, _MemberDraft())

    def close_entity(self) -> None:
        if self.entity is not None and self.draft is not None:
            self.draft.entities.append(Entity.model_validate(self.entity))
        self.entity = None

    def close_benefit(self) -> None:
        self.close_entity()
        if self.draft is not None:
            self.benefits.extend(self.draft.freeze(self.d))
        self.draft = None
        self.in_ls = False

    def loop(self) -> str:
        letter = _LOOP_LETTER.get(self.level, "?")
        if self.draft is not None:
            return f"2110{letter}"
        return f"2100{letter}" if self.named else f"2000{letter}"

    # -- segments

    def feed(self, seg: Segment) -> None:
        if seg.tag == "ST":
            self.first_index = seg.index
        handler = getattr(self, f"on_{seg.tag.lower()}", None)
        if handler is not None:
            handler(seg)

    def on_bht(self, seg: Segment) -> None:
        self.reference = seg.opt(3)

    def on_hl(self, seg: Segment) -> None:
        self.close_benefit()
        self.level = seg.get(3)
        self.named = False

    def on_trn(self, seg: Segment) -> None:
        if seg.get(2):
            self.traces.append(Trace(trace_type=seg.get(1), number=seg.get(2), originator=seg.opt(3)))

    def on_nm1(self, seg: Segment) -> None:
        if self.in_ls or (self.draft is not None and self.named):
            # 2120: a benefit-related entity. Payers that omit LS/LE still get it attached.
            self.close_entity()
            self.entity = {
                "entity_code": seg.get(1),
                "name": seg.opt(3),
                "first_name": seg.opt(4),
                "id_qualifier": seg.opt(8),
                "identifier": seg.opt(9),
                "phone": None,
            }
            return
        self.close_benefit()
        self.named = True
        if self.level in ("20", "21"):
            party = Entity(
                entity_code=seg.get(1),
                name=seg.opt(3),
                first_name=seg.opt(4),
                id_qualifier=seg.opt(8),
                identifier=seg.opt(9),
            )
            if self.level == "20":
                self.payer = party
            else:
                self.provider = party
            return
        member = self.member()
        if member is not None:
            member.last_name, member.first_name = seg.opt(3), seg.opt(4)
            if seg.get(9):
                member.member_id = seg.get(9)

    def on_per(self, seg: Segment) -> None:
        phone = next((seg.get(n + 1) for n in (3, 5, 7) if seg.get(n) == "TE" and seg.get(n + 1)), None)
        if self.entity is not None:
            self.entity["phone"] = phone
        elif self.level == "20" and self.payer is not None and phone:
            self.payer = self.payer.model_copy(update={"phone": phone})

    def on_ref(self, seg: Segment) -> None:
        qualifier, value = seg.get(1), seg.get(2)
        if not qualifier or not value:
            return
        if self.draft is not None:
            self.draft.references.append(Reference(qualifier=qualifier, value=value, description=seg.opt(3)))
            return
        member = self.member()
        if member is None:
            return
        if qualifier in ("6P", "1L") and member.group_number is None:
            member.group_number, member.group_name = value, seg.opt(3)
        elif qualifier == "18":
            member.plan_number = value

    def on_dmg(self, seg: Segment) -> None:
        member = self.member()
        if member is not None and seg.get(1) == "D8" and seg.get(2):
            member.birth_date = _d8(seg, seg.get(2))
            member.gender = seg.opt(3)

    def on_ins(self, seg: Segment) -> None:
        member = self.member()
        if member is not None and seg.get(2):
            member.relationship_code = seg.get(2)

    def on_dtp(self, seg: Segment) -> None:
        if self.in_ls:
            return
        when = _dtp(seg)
        if when is None:
            return
        if self.draft is not None:
            self.draft.dates.append(when)
            return
        member = self.member()
        if member is not None:
            member.dates.append(when)

    def on_aaa(self, seg: Segment) -> None:
        code = seg.get(3)
        follow_up = seg.get(4).upper()
        self.rejections.append(
            Rejection(
                code=code,
                message=REJECT_REASONS.get(code, "Unknown reject reason"),
                category=REJECTION_CATEGORIES.get(code, RejectionCategory.OTHER),
                follow_up=FOLLOW_UP_CODES.get(follow_up),
                valid_request=_yes_no(seg.get(1)),
                loop=self.loop(),
                subject=self.subject,
            )
        )

    def on_eb(self, seg: Segment) -> None:
        self.close_benefit()
        self.draft = _BenefitDraft(
            eb=seg,
            subject=self.subject or Subject.SUBSCRIBER,
            line=seg.index - self.first_index + 1,
            text=self.d.element.join(seg.elements).rstrip(self.d.element),
        )

    def on_msg(self, seg: Segment) -> None:
        if self.draft is not None and seg.get(1):
            self.draft.messages.append(seg.get(1))

    def on_hsd(self, seg: Segment) -> None:
        if self.draft is None:
            return
        period_code = seg.get(5)
        self.draft.deliveries.append(
            Delivery(
                quantity_qualifier=seg.opt(1),
                quantity=_decimal(seg, 2),
                unit=seg.opt(3),
                sample_selection_modulus=_decimal(seg, 4),
                period=TIME_PERIOD_CODES.get(period_code) if period_code else None,
                period_count=_decimal(seg, 6),
                frequency_code=seg.opt(7),
                pattern_code=seg.opt(8),
            )
        )

    def on_iii(self, seg: Segment) -> None:
        if self.draft is not None and seg.get(1) and seg.get(2):
            self.draft.industry_codes.append(IndustryCode(qualifier=seg.get(1), code=seg.get(2)))

    def on_ls(self, seg: Segment) -> None:
        self.in_ls = self.draft is not None

    def on_le(self, seg: Segment) -> None:
        self.close_entity()
        self.in_ls = False

    def on_se(self, seg: Segment) -> None:
        self.close_benefit()

    # -- result

    def result(self) -> EligibilityResult:
        self.close_benefit()
        subscriber = self.members[Subject.SUBSCRIBER].freeze() if Subject.SUBSCRIBER in self.members else None
        dependent = self.members[Subject.DEPENDENT].freeze() if Subject.DEPENDENT in self.members else None
        draft = EligibilityResult(
            status=CoverageStatus.INACTIVE,
            reference=self.reference,
            traces=tuple(self.traces),
            payer=self.payer,
            provider=self.provider,
            subscriber=subscriber,
            dependent=dependent,
            rejections=tuple(self.rejections),
            benefits=tuple(self.benefits),
        )
        return draft.model_copy(update=_derived(draft))


_PLAN_DATES = frozenset({"291", "292", "307", "346", "347", "356", "357"})
"""DTP qualifiers that date the plan (plan, benefit, eligibility, plan begin/end, eligibility
begin/end); 348/349 date one benefit (a deductible's year) and are not the plan's."""


def _derived(result: EligibilityResult) -> dict[str, object]:
    """Status, plan dates and plan facts, read from the patient's loop first."""
    benefits = result.patient_benefits
    if result.blocking_rejections:
        status = CoverageStatus.REJECTED
    elif any(b.info in ACTIVE_INFO for b in benefits):
        status = CoverageStatus.ACTIVE
    else:
        status = CoverageStatus.INACTIVE
    members = [m for m in (result.patient, result.subscriber, result.dependent) if m is not None]
    dates = [when for m in members for when in m.dates]
    # Benefit-level plan dates (2110C/D), the coverage line's first, count when the member
    # level (2100C/D) has none.
    coverage_first = sorted(benefits, key=lambda b: b.info not in ACTIVE_INFO | INACTIVE_INFO)
    benefit_dates = [when for b in coverage_first for when in b.dates if when.qualifier in _PLAN_DATES]

    def first(*qualifiers: str) -> X12Date | None:
        return next((w for q in qualifiers for w in dates if w.qualifier == q), None) or next(
            (w for q in qualifiers for w in benefit_dates if w.qualifier == q), None
        )

    eligibility = first("291", "307", "356", "292")
    begin, end = first("346", "356"), first("347", "357")
    plan = next((b for b in benefits if b.info in ACTIVE_INFO | INACTIVE_INFO), None)
    described = next((b for b in benefits if b.insurance_type or b.plan_description), None)
    group = next((m.group_number for m in members if m.group_number), None)
    return {
        "status": status,
        "eligibility": eligibility,
        "plan_begin": begin.start if begin else eligibility.start if eligibility else None,
        "plan_end": end.end
        if end
        else eligibility.end
        if eligibility and eligibility.end != eligibility.start
        else None,
        "insurance_type": (plan.insurance_type if plan else None)
        or (described.insurance_type if described else None),
        "plan_description": (plan.plan_description if plan else None)
        or (described.plan_description if described else None),
        "group_number": group,
    }


def parse_271(text: str) -> EligibilityResult:
    """Read the first 271 transaction set of an interchange.

    Delimiters come from the ISA header; line breaks after (or inside) segments are ignored.
    Raises X12Error (a ValueError) when the text is not a readable 271.
    """
    d, segments = tokenise(text)
    parser = _Parser(d)
    for seg in transaction(segments):
        parser.feed(seg)
    return parser.result()
