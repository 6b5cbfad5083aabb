"""Sensitive records: which items are 42 CFR Part 2, and what each reader may see of them. No boto3.

Substance-use disorder treatment records (the `PART2_TYPES`, plus whatever the program adds
with `PART2_EXTRA_TYPES`) are shown in full only to:

- the participant themself;
- the clinicians who deliver the item (a session's clinicians, a group's facilitator);
- the coordinators the program names (`PART2_COORDINATORS`: every coordinator by default);
- whoever the participant consented to (a `Part2ConsentRecord`, active today: by person id,
  or by care-team position, resolved against the participant's team at the time of the read).

Everyone else who may read the participant's schedule (the rest of the care team) sees a
busy block: the time only. A cancelled Part 2 item is not busy time, so they do not see it at
all. Partners never read each other's schedule (`teams.may_see_participant`), whatever this
module says.

Every response that carries a Part 2 item in full to someone other than the participant
carries the 42 CFR 2.32 notice (`REDISCLOSURE_NOTICE`, header `REDISCLOSURE_HEADER`).

The couple boundary is the projection's second reason: a session the participant marked
**private** (individual work only, never a couples session) is shown in full only to the
participant, the session's own clinicians and coordinators (who schedule it); everyone else
(the couples therapist above all) sees the same busy block. Part 2 consent does not open it:
consent is about substance-use records, privacy about what stays out of the joint work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from functions.common import part2
from functions.common.auth import Principal, Role
from functions.common.part2 import NOTICE_HEADER_DOC as NOTICE_HEADER_DOC
from functions.common.part2 import REDISCLOSURE_HEADER as REDISCLOSURE_HEADER
from functions.common.part2 import REDISCLOSURE_NOTICE as REDISCLOSURE_NOTICE
from functions.common.part2 import ConsentStatus
from functions.common.part2 import Part2Policy as Part2Policy
from functions.common.part2 import notice_headers as notice_headers
from functions.schedule.logic.teams import Relations
from functions.schedule.models import Part2ConsentRecord, ScheduleEntry, SessionRecord
from functions.schedule.vocabulary import CareRole, Sensitivity, SessionStatus

# The policy, the notice and its header live in functions.common.part2 (coverage shares them).

Withheld = Literal["part2", "private"]
"""Why a reader sees an item as busy time: 42 CFR Part 2, or the participant's private work."""


def consent_status(consent: Part2ConsentRecord, today: date) -> ConsentStatus:
    """`today` is the participant's date (their zone): a consent holds through `expires_on`."""
    return part2.consent_status(consent.revoked_at is not None, consent.expires_on, today)


def _holder(relations: Relations, role: CareRole) -> str | None:
    if role is CareRole.COUPLES_THERAPIST:
        return relations.couples_therapist_id
    return relations.care.get(role)


def consented(
    viewer_id: str, consents: Iterable[Part2ConsentRecord], relations: Relations, today: date
) -> bool:
    """Whether an active consent names the viewer, or a care-team position they hold now."""
    for consent in consents:
        if consent_status(consent, today) != "active":
            continue
        if viewer_id in consent.recipient_ids:
            return True
        if any(_holder(relations, role) == viewer_id for role in consent.recipient_roles):
            return True
    return False


@dataclass(frozen=True)
class Audience:
    """One reader of one participant's records, and how much of the Part 2 ones they see."""

    viewer_id: str
    subject_id: str
    sees_all_part2: bool
    """The participant, a coordinator the program names, or a consented recipient."""
    sees_all_private: bool = False
    """The participant or a coordinator (who schedules): never by Part 2 consent."""

    def sees_in_full(self, clinician_ids: Iterable[str]) -> bool:
        """For a Part 2 item delivered by `clinician_ids`."""
        return self.sees_all_part2 or self.viewer_id in clinician_ids

    def sees_private_in_full(self, clinician_ids: Iterable[str]) -> bool:
        """For a private session delivered by `clinician_ids`."""
        return self.sees_all_private or self.viewer_id in clinician_ids

    def withholds(self, entry: ScheduleEntry, policy: Part2Policy) -> Withheld | None:
        """Why this reader sees `entry` as busy time only (None: they see it in full)."""
        if policy.is_part2(entry.type) and not self.sees_in_full(entry.clinician_ids):
            return "part2"
        if entry.private and not self.sees_private_in_full(entry.clinician_ids):
            return "private"
        return None


def audience(
    viewer: Principal,
    subject_id: str,
    *,
    relations: Relations,
    consents: Iterable[Part2ConsentRecord],
    policy: Part2Policy,
    today: date,
) -> Audience:
    sees_all = (
        viewer.person_id == subject_id
        or policy.coordinator_sees(viewer)
        or consented(viewer.person_id, consents, relations, today)
    )
    return Audience(
        viewer_id=viewer.person_id,
        subject_id=subject_id,
        sees_all_part2=sees_all,
        sees_all_private=viewer.person_id == subject_id or viewer.role is Role.COORDINATOR,
    )


def busy(entry: ScheduleEntry) -> ScheduleEntry:
    """The time of `entry` and nothing else: no id, type, group, clinician or attendee."""
    return ScheduleEntry(
        session_id=None,
        type=None,
        group_id=None,
        status=entry.status,
        start=entry.start,
        end=entry.end,
        role=None,
        clinician_ids=[],
        attendee_ids=[],
        authorization_flags=[],
        visibility="busy",
        sensitivity=None,
        private=None,
    )


@dataclass(frozen=True)
class Projection:
    items: list[ScheduleEntry]
    discloses_part2: bool
    """True when an item is Part 2, in full, for someone who does not attend it."""

    @property
    def notice(self) -> str | None:
        return REDISCLOSURE_NOTICE if self.discloses_part2 else None


def project(entries: Iterable[ScheduleEntry], reader: Audience, policy: Part2Policy) -> Projection:
    """What `reader` sees of the participant's schedule entries: every read of a schedule goes
    through here before it is rendered. A Part 2 item or a private session they may not see in
    full is a busy block (the same block, whichever the reason)."""
    shown: list[ScheduleEntry] = []
    discloses = False
    for entry in entries:
        sensitivity = policy.sensitivity(entry.type)
        if reader.withholds(entry, policy):
            if entry.status is SessionStatus.BOOKED:
                shown.append(busy(entry))
            continue
        if sensitivity is Sensitivity.PART2 and reader.viewer_id not in entry.attendee_ids:
            discloses = True  # someone else's record (a clinician's own week holds their patients')
        shown.append(entry.model_copy(update={"visibility": "full", "sensitivity": sensitivity}))
    return Projection(items=shown, discloses_part2=discloses)


def session_discloses(session: SessionRecord, viewer: Principal, policy: Part2Policy) -> bool:
    """Whether showing `session` to `viewer` carries Part 2 records to someone not attending it."""
    return policy.is_part2(session.type) and viewer.person_id not in session.attendee_ids


def sees_session(
    session: SessionRecord,
    viewer: Principal,
    policy: Part2Policy,
    consents: dict[str, list[Part2ConsentRecord]],
    today: dict[str, date],
) -> bool:
    """Whether `viewer` (already one of the session's people, or a coordinator) may see a Part 2
    `session` in full: its people do; a coordinator the program names does; another coordinator
    only with every attendee's consent naming them (`consents` and `today` per attendee)."""
    if not policy.is_part2(session.type) or viewer.person_id in session.people:
        return True
    if policy.coordinator_sees(viewer):
        return True
    no_team = Relations(participant_id="")
    return all(
        consented(viewer.person_id, consents.get(attendee, []), no_team, today[attendee])
        for attendee in session.attendee_ids
    )


def needs_consents(session: SessionRecord, viewer: Principal, policy: Part2Policy) -> bool:
    """Whether `sees_session` needs the attendees' consents to decide (one read each)."""
    return (
        policy.is_part2(session.type)
        and viewer.person_id not in session.people
        and not policy.coordinator_sees(viewer)
    )


def sees_substance_use_need(reader: Audience, relations: Relations) -> bool:
    """Whether `reader` may see that the participant needs substance-use counseling (their
    treatment plan says so): it identifies them as in substance-use treatment, so it is Part 2,
    shown to whom sees their Part 2 items in full and to their substance-use counselor."""
    counselor = relations.care.get(CareRole.SUBSTANCE_USE_COUNSELOR)
    return reader.sees_in_full([counselor] if counselor else [])


def caseload_shown(
    positions: dict[str, list[CareRole]], *, reader: Principal, clinician_id: str, policy: Part2Policy
) -> dict[str, list[CareRole]]:
    """A clinician's caseload (participant -> the clinician's positions on their team) as
    `reader` sees it. A substance-use counselor's position says the participant is in
    substance-use treatment (Part 2, as the counselor on a care team does): the clinician
    themself (who delivers it) and the coordinators the program names see it; any other reader
    sees the clinician's other positions only, and no participant it leaves none for."""
    if reader.person_id == clinician_id or policy.coordinator_sees(reader):
        return positions
    kept: dict[str, list[CareRole]] = {}
    for participant, roles in positions.items():
        others = sorted(set(roles) - {CareRole.SUBSTANCE_USE_COUNSELOR})
        if others:
            kept[participant] = others
    return kept


def caseload_discloses(positions: dict[str, list[CareRole]]) -> dict[str, list[str]]:
    """Whose substance-use treatment a caseload shows: their disclosure lists (no item)."""
    return {p: [] for p, roles in positions.items() if CareRole.SUBSTANCE_USE_COUNSELOR in roles}
