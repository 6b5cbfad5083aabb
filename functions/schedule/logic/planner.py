"""The coordinated week plan for a couple. No boto3.

Given both partners' plans, what they already have that week, their clinicians'
availability and bookings, and the groups with seats, propose what is missing:

1. one couples session where both partners and the couples therapist are free,
2. each partner's individual session with their own therapist on the same day, back to
   back with the couples session where possible,
3. substance-use counseling for whoever's plan needs it, the same day where possible,
4. group series (shared by both partners where both need more, with seats for them)
   until each partner's week reaches their plan's minimum sessions and hours,

honouring availability, time zones (all times are on the people's wall clocks), the
clinicians' buffer, licensure and the couple's evening/weekend preferences, and naming
every requirement it could not meet. Search is greedy over a quarter-hour grid, day by
day in the couple's zone: deterministic, explainable, and fast enough for a week.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from functions.schedule.logic.availability import unavailable_reason
from functions.schedule.logic.booking import SLOT, slots
from functions.schedule.logic.makeups import LEAD_TIME, week_bounds
from functions.schedule.models import AvailabilityRecord, GroupRecord, TreatmentPlan
from functions.schedule.vocabulary import DEFAULT_DURATION, EVENING_FROM_HOUR, SessionType


@dataclass
class Partner:
    person_id: str
    time_zone: str
    plan: TreatmentPlan
    sessions: int = 0
    hours: float = 0.0
    has: set[SessionType] = field(default_factory=set)
    individual_therapist: str | None = None
    counselor: str | None = None
    group_ids: set[str] = field(default_factory=set)


@dataclass
class Clinician:
    person_id: str
    time_zone: str
    availability: AvailabilityRecord | None


@dataclass(frozen=True)
class Preferences:
    evenings: bool = True
    weekends: bool = True


@dataclass(frozen=True)
class ProposedSession:
    type: SessionType
    clinician_id: str
    attendee_ids: tuple[str, ...]
    start: datetime
    end: datetime
    couple_id: str | None = None


@dataclass(frozen=True)
class ProposedGroup:
    group_id: str
    participant_ids: tuple[str, ...]
    occurrences: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class Unmet:
    requirement: str
    participant_id: str | None
    detail: str


@dataclass
class Proposal:
    sessions: list[ProposedSession] = field(default_factory=list)
    groups: list[ProposedGroup] = field(default_factory=list)
    unmet: list[Unmet] = field(default_factory=list)


@dataclass
class Week:
    """The search space and what is taken in it (slots per person, clinicians with buffer)."""

    week: str
    zone: str
    start: datetime
    end: datetime
    earliest: datetime
    busy: dict[str, set[datetime]]
    buffer: timedelta
    preferences: Preferences

    def days(self) -> list[date]:
        local = self.start.astimezone(ZoneInfo(self.zone)).date()
        return [local + timedelta(days=n) for n in range(7)]

    def allowed(self, start: datetime) -> bool:
        local = start.astimezone(ZoneInfo(self.zone))
        if not self.preferences.weekends and local.weekday() >= 5:
            return False
        return self.preferences.evenings or local.hour < EVENING_FROM_HOUR

    def free(self, person: str, start: datetime, end: datetime) -> bool:
        taken = self.busy.get(person, set())
        return not any(slot in taken for slot in slots(start, end))

    def take(self, session: ProposedSession) -> None:
        for person in session.attendee_ids:
            self.busy.setdefault(person, set()).update(slots(session.start, session.end))
        self.busy.setdefault(session.clinician_id, set()).update(
            slots(session.start, session.end + self.buffer)
        )


def _day_candidates(week: Week, day: date, duration: timedelta) -> Iterator[datetime]:
    zone = ZoneInfo(week.zone)
    cursor = max(datetime.combine(day, datetime.min.time(), tzinfo=zone), week.earliest)
    cursor = _ceil(cursor)
    end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    while cursor + duration <= min(end_of_day, week.end):
        yield cursor
        cursor += SLOT


def _ceil(moment: datetime) -> datetime:
    utc = moment.astimezone(ZoneInfo("UTC")).replace(second=0, microsecond=0)
    if utc.minute % 15 or moment.second or moment.microsecond:
        utc += timedelta(minutes=15 - utc.minute % 15)
    return utc


def _fits(
    week: Week, clinician: Clinician, attendees: tuple[str, ...], start: datetime, duration: timedelta
) -> bool:
    end = start + duration
    return (
        week.allowed(start)
        and unavailable_reason(clinician.availability, clinician.time_zone, start, end) is None
        and week.free(clinician.person_id, start, end + week.buffer)
        and all(week.free(a, start, end) for a in attendees)
    )


def _find(
    week: Week,
    kind: SessionType,
    clinician: Clinician,
    attendees: tuple[str, ...],
    days: list[date],
    *,
    prefer: list[datetime] | None = None,
    couple_id: str | None = None,
) -> ProposedSession | None:
    duration = DEFAULT_DURATION[kind]
    for start in prefer or []:
        if (
            week.start <= start < week.end
            and start >= week.earliest
            and _fits(week, clinician, attendees, start, duration)
        ):
            return ProposedSession(kind, clinician.person_id, attendees, start, start + duration, couple_id)
    for day in days:
        for start in _day_candidates(week, day, duration):
            if _fits(week, clinician, attendees, start, duration):
                return ProposedSession(
                    kind, clinician.person_id, attendees, start, start + duration, couple_id
                )
    return None


def _credit(partner: Partner, session: ProposedSession) -> None:
    partner.sessions += 1
    partner.hours += (session.end - session.start).total_seconds() / 3600
    partner.has.add(session.type)


def plan_week(
    *,
    couple_id: str,
    partners: list[Partner],
    couples_therapist: Clinician | None,
    clinicians: dict[str, Clinician],
    groups: list[tuple[GroupRecord, list[tuple[datetime, datetime]]]],
    week: Week,
) -> Proposal:
    proposal = Proposal()
    ids = tuple(p.person_id for p in partners)
    days = week.days()
    by_id = {p.person_id: p for p in partners}

    # 1 + 2. The couples session and each partner's individual session on the same day.
    couples_needed = not all(SessionType.COUPLES in p.has for p in partners)
    if couples_needed and couples_therapist is None:
        proposal.unmet.append(Unmet("couples_session", None, "the couple has no couples therapist"))
        couples_needed = False
    joint_day: date | None = None
    if couples_needed and couples_therapist is not None:
        for day in days:
            trial = replace(week, busy={k: set(v) for k, v in week.busy.items()})
            joint = _find(trial, SessionType.COUPLES, couples_therapist, ids, [day], couple_id=couple_id)
            if joint is None:
                continue
            trial.take(joint)
            individuals = _individuals(trial, partners, clinicians, [day], anchor=joint)
            if all(individuals.values()):
                joint_day = day
                break
        if joint_day is None:  # no day holds all three: the couples session on its own first free day
            joint = _find(week, SessionType.COUPLES, couples_therapist, ids, days, couple_id=couple_id)
        else:
            joint = _find(week, SessionType.COUPLES, couples_therapist, ids, [joint_day], couple_id=couple_id)
        if joint is None:
            proposal.unmet.append(
                Unmet(
                    "couples_session",
                    None,
                    "no time this week when both partners and the couples therapist are free",
                )
            )
        else:
            week.take(joint)
            proposal.sessions.append(joint)
            for partner in partners:
                _credit(partner, joint)
    anchor = next((s for s in proposal.sessions if s.type is SessionType.COUPLES), None)
    order = ([joint_day] if joint_day else []) + [d for d in days if d != joint_day]
    for partner_id, session in _individuals(week, partners, clinicians, order, anchor=anchor).items():
        partner = by_id[partner_id]
        if session is not None:
            proposal.sessions.append(session)
            _credit(partner, session)
        elif SessionType.INDIVIDUAL not in partner.has:
            reason = (
                "no individual therapist on the care team"
                if not partner.individual_therapist
                else ("no time this week when the partner and their individual therapist are free")
            )
            proposal.unmet.append(Unmet("individual_session", partner_id, reason))

    # 3. Substance-use counseling, the same day as the partner's other sessions where possible.
    for partner in partners:
        if (
            not partner.plan.needs_substance_use_counseling
            or SessionType.SUBSTANCE_USE_COUNSELING in partner.has
        ):
            continue
        counselor = clinicians.get(partner.counselor or "")
        if counselor is None:
            proposal.unmet.append(
                Unmet("substance_use_counseling", partner.person_id, "no counselor on the care team")
            )
            continue
        mine = [s for s in proposal.sessions if partner.person_id in s.attendee_ids]
        prefer = [s.end for s in mine] + [
            s.start - DEFAULT_DURATION[SessionType.SUBSTANCE_USE_COUNSELING] for s in mine
        ]
        session = _find(
            week, SessionType.SUBSTANCE_USE_COUNSELING, counselor, (partner.person_id,), order, prefer=prefer
        )
        if session is None:
            proposal.unmet.append(
                Unmet("substance_use_counseling", partner.person_id, "no time this week with the counselor")
            )
            continue
        week.take(session)
        proposal.sessions.append(session)
        _credit(partner, session)

    # 4. Groups until each partner reaches their plan's minimum (shared where both need more).
    for group, occurrences in sorted(groups, key=lambda g: (-len(g[1]), g[0].group_id)):
        needing = [
            p
            for p in partners
            if _under(p)
            and p.sessions + len(occurrences) <= p.plan.sessions_per_week_max
            and group.group_id not in p.group_ids
        ]
        if not needing or not occurrences:
            continue
        if not all(week.allowed(s) for s, _ in occurrences):
            continue
        seats = group.capacity - group.seats_taken - group.waitlisted
        takers = needing if len(needing) == 2 and seats >= 2 else needing[:1] if seats >= 1 else []
        takers = [p for p in takers if all(week.free(p.person_id, s, e) for s, e in occurrences)]
        if not takers:
            continue
        proposal.groups.append(
            ProposedGroup(group.group_id, tuple(p.person_id for p in takers), tuple(occurrences))
        )
        for partner in takers:
            partner.group_ids.add(group.group_id)
            partner.sessions += len(occurrences)
            partner.hours += sum((e - s).total_seconds() / 3600 for s, e in occurrences)
            for start, end in occurrences:
                week.busy.setdefault(partner.person_id, set()).update(slots(start, end))

    for partner in partners:
        if partner.sessions < partner.plan.sessions_per_week_min:
            proposal.unmet.append(
                Unmet(
                    "sessions_per_week",
                    partner.person_id,
                    f"{partner.sessions} of at least {partner.plan.sessions_per_week_min} sessions",
                )
            )
        if partner.hours < partner.plan.hours_per_week_min:
            proposal.unmet.append(
                Unmet(
                    "hours_per_week",
                    partner.person_id,
                    f"{round(partner.hours, 2)} of at least {partner.plan.hours_per_week_min} hours",
                )
            )
    return proposal


def _under(partner: Partner) -> bool:
    return (
        partner.sessions < partner.plan.sessions_per_week_min
        or partner.hours < partner.plan.hours_per_week_min
    )


def _individuals(
    week: Week,
    partners: list[Partner],
    clinicians: dict[str, Clinician],
    days: list[date],
    *,
    anchor: ProposedSession | None,
) -> dict[str, ProposedSession | None]:
    """Each partner's individual session, back to back with the anchor where possible
    (one just before it, the other just after, or both before in parallel)."""
    found: dict[str, ProposedSession | None] = {}
    duration = DEFAULT_DURATION[SessionType.INDIVIDUAL]
    for partner in partners:
        if SessionType.INDIVIDUAL in partner.has:
            continue
        therapist = clinicians.get(partner.individual_therapist or "")
        if therapist is None:
            found[partner.person_id] = None
            continue
        prefer = [anchor.start - duration, anchor.end] if anchor else []
        session = _find(week, SessionType.INDIVIDUAL, therapist, (partner.person_id,), days, prefer=prefer)
        found[partner.person_id] = session
        if session is not None:
            week.take(session)
    return found


def week_of_bounds(
    week: str,
    zone: str,
    now: datetime,
    busy: dict[str, set[datetime]],
    buffer: timedelta,
    preferences: Preferences,
) -> Week:
    start, end = week_bounds(week, zone)
    return Week(
        week=week,
        zone=zone,
        start=start,
        end=end,
        earliest=_ceil(max(start, now + LEAD_TIME)),
        busy=busy,
        buffer=buffer,
        preferences=preferences,
    )
