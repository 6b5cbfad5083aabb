"""Part 2 sensitivity, audiences, the busy projection and consents (pure logic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.common.auth import Principal, Role
from functions.common.errors import InvalidInput
from functions.schedule.logic import consents, sensitivity
from functions.schedule.logic.sensitivity import REDISCLOSURE_NOTICE, Part2Policy
from functions.schedule.logic.teams import Relations
from functions.schedule.models import (
    PaperPart2ConsentIn,
    Part2ConsentIn,
    Part2ConsentRecord,
    PersonRecord,
    ScheduleEntry,
    SessionRecord,
)
from functions.schedule.vocabulary import (
    CareRole,
    ClinicianRole,
    GroupType,
    PersonKind,
    Sensitivity,
    SessionStatus,
    SessionType,
)

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
TODAY = date(2026, 11, 18)
ALEX = Principal(person_id="per_alex0001", role=Role.PARTICIPANT, username="alex")
JAMIE = Principal(person_id="per_jamie001", role=Role.PARTICIPANT, username="jamie")
COUNSELOR = Principal(person_id="per_counsel1", role=Role.CLINICIAN, username="c")
PRIYA = Principal(person_id="per_priya001", role=Role.CLINICIAN, username="p")  # couples therapist
SAM = Principal(person_id="per_sam00001", role=Role.CLINICIAN, username="s")  # Alex's therapist
COORDINATOR = Principal(person_id="per_coord001", role=Role.COORDINATOR, username="m")
ALEX_TEAM = Relations(
    participant_id=ALEX.person_id,
    care={
        CareRole.INDIVIDUAL_THERAPIST: SAM.person_id,
        CareRole.SUBSTANCE_USE_COUNSELOR: COUNSELOR.person_id,
    },
    couple_id="cpl_rivera001",
    partner_id=JAMIE.person_id,
    couples_therapist_id=PRIYA.person_id,
)


def entry(kind: SessionType | GroupType, clinician: Principal, **extra: object) -> ScheduleEntry:
    start = NOW + timedelta(days=1)
    return ScheduleEntry.model_validate(
        {
            "session_id": f"ses_{kind.value[:6]}0001",
            "type": kind,
            "status": SessionStatus.BOOKED,
            "start": start,
            "end": start + timedelta(hours=1),
            "role": "attendee",
            "clinician_ids": [clinician.person_id],
            "attendee_ids": [ALEX.person_id],
            "authorization_flags": ["outside_dates"],
            **extra,
        }
    )


def consent(**terms: object) -> Part2ConsentRecord:
    return Part2ConsentRecord.model_validate(
        {
            "consent_id": "cns_00000001",
            "participant_id": ALEX.person_id,
            "recipient_ids": [],
            "recipient_roles": [],
            "scope": "part2_schedule",
            "purpose": "coordinate my couples work",
            "expires_on": TODAY + timedelta(days=30),
            "source": "electronic",
            "attested_at": NOW,
            "recorded_by": ALEX.person_id,
            **terms,
        }
    )


DEFAULT = Part2Policy()


def reader(
    viewer: Principal, consents_given: list[Part2ConsentRecord] | None = None, policy: Part2Policy = DEFAULT
) -> sensitivity.Audience:
    return sensitivity.audience(
        viewer, ALEX.person_id, relations=ALEX_TEAM, consents=consents_given or [], policy=policy, today=TODAY
    )


class TestClassification:
    def test_substance_use_counseling_and_sober_groups_are_part2(self):
        policy = Part2Policy()
        assert policy.sensitivity(SessionType.SUBSTANCE_USE_COUNSELING) is Sensitivity.PART2
        assert policy.sensitivity(GroupType.SOBER_ACTIVITY) is Sensitivity.PART2
        assert policy.sensitivity(SessionType.COUPLES) is Sensitivity.STANDARD
        assert policy.sensitivity(GroupType.MINDFULNESS) is Sensitivity.STANDARD

    def test_the_program_adds_types_and_never_removes_the_defaults(self):
        policy = Part2Policy(extra_types=frozenset({"medication_management", "peer_support"}))
        assert policy.is_part2(SessionType.MEDICATION_MANAGEMENT)
        assert policy.is_part2(GroupType.PEER_SUPPORT)
        assert policy.is_part2(SessionType.SUBSTANCE_USE_COUNSELING)

    def test_coordinators_see_part2_unless_the_program_names_others(self):
        assert Part2Policy().coordinator_sees(COORDINATOR)
        assert not Part2Policy(coordinators=frozenset()).coordinator_sees(COORDINATOR)
        assert Part2Policy(coordinators=frozenset({COORDINATOR.person_id})).coordinator_sees(COORDINATOR)
        assert not Part2Policy().coordinator_sees(PRIYA)


class TestProjection:
    def test_the_couples_therapist_sees_the_counseling_as_busy_time_only(self):
        # Given Alex's week with an individual session and a substance-use counseling session
        week = [entry(SessionType.INDIVIDUAL, SAM), entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)]
        # When the couples therapist reads it
        shown = sensitivity.project(week, reader(PRIYA), Part2Policy())
        # Then the counseling is a busy block: its time, nothing else; no notice is owed
        individual, counseling = shown.items
        assert individual.type is SessionType.INDIVIDUAL
        assert individual.sensitivity is Sensitivity.STANDARD
        assert counseling.visibility == "busy"
        assert (counseling.start, counseling.end) == (week[1].start, week[1].end)
        dumped = counseling.model_dump()
        for hidden in ("session_id", "type", "group_id", "role", "sensitivity"):
            assert dumped[hidden] is None, hidden
        assert dumped["clinician_ids"] == dumped["attendee_ids"] == dumped["authorization_flags"] == []
        assert not shown.discloses_part2
        assert shown.notice is None

    def test_a_sober_group_is_busy_and_its_group_id_goes_too(self):
        group = entry(
            GroupType.SOBER_ACTIVITY, COUNSELOR, group_id="grp_sober001", session_id="grp_sober001@x"
        )
        (shown,) = sensitivity.project([group], reader(SAM), Part2Policy()).items
        assert shown.visibility == "busy"
        assert shown.group_id is None
        assert shown.session_id is None

    def test_a_cancelled_part2_item_is_not_busy_time(self):
        cancelled = entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR, status=SessionStatus.CANCELLED)
        assert sensitivity.project([cancelled], reader(PRIYA), Part2Policy()).items == []

    @pytest.mark.parametrize(
        "viewer", [ALEX, COUNSELOR, COORDINATOR], ids=["self", "counselor", "coordinator"]
    )
    def test_who_sees_it_in_full(self, viewer: Principal):
        (shown,) = sensitivity.project(
            [entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)], reader(viewer), Part2Policy()
        ).items
        assert shown.visibility == "full"
        assert shown.type is SessionType.SUBSTANCE_USE_COUNSELING
        assert shown.sensitivity is Sensitivity.PART2

    def test_the_notice_goes_to_everyone_but_the_participant(self):
        week = [entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)]
        assert sensitivity.project(week, reader(ALEX), Part2Policy()).notice is None
        assert sensitivity.project(week, reader(COUNSELOR), Part2Policy()).notice == REDISCLOSURE_NOTICE
        assert sensitivity.project(week, reader(COORDINATOR), Part2Policy()).notice == REDISCLOSURE_NOTICE

    def test_a_coordinator_the_program_does_not_name_sees_busy(self):
        policy = Part2Policy(coordinators=frozenset({"per_billing01"}))
        week = [entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)]
        (shown,) = sensitivity.project(week, reader(COORDINATOR, policy=policy), policy).items
        assert shown.visibility == "busy"

    def test_an_extra_type_the_program_marks_is_projected(self):
        policy = Part2Policy(extra_types=frozenset({"individual"}))
        (shown,) = sensitivity.project([entry(SessionType.INDIVIDUAL, SAM)], reader(PRIYA), policy).items
        assert shown.visibility == "busy"


class TestConsent:
    def test_a_consent_naming_the_couples_therapist_shows_them_the_items(self):
        week = [entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)]
        given = [consent(recipient_ids=[PRIYA.person_id])]
        shown = sensitivity.project(week, reader(PRIYA, given), Part2Policy())
        assert shown.items[0].visibility == "full"
        assert shown.notice == REDISCLOSURE_NOTICE
        # ... and nobody else on the team
        assert sensitivity.project(week, reader(SAM, given), Part2Policy()).items[0].visibility == "busy"

    def test_a_consent_to_a_position_follows_whoever_holds_it(self):
        given = [consent(recipient_roles=[CareRole.COUPLES_THERAPIST])]
        assert reader(PRIYA, given).sees_all_part2
        assert not reader(SAM, given).sees_all_part2
        moved_on = Relations(participant_id=ALEX.person_id, couples_therapist_id="per_newthera1")
        assert not sensitivity.consented(PRIYA.person_id, given, moved_on, TODAY)

    def test_revoked_or_expired_consents_count_for_nothing(self):
        revoked = consent(recipient_ids=[PRIYA.person_id], revoked_at=NOW, revoked_by=ALEX.person_id)
        expired = consent(recipient_ids=[PRIYA.person_id], expires_on=TODAY - timedelta(days=1))
        last_day = consent(recipient_ids=[PRIYA.person_id], expires_on=TODAY)
        assert sensitivity.consent_status(revoked, TODAY) == "revoked"
        assert sensitivity.consent_status(expired, TODAY) == "expired"
        assert sensitivity.consent_status(last_day, TODAY) == "active"
        assert not reader(PRIYA, [revoked, expired]).sees_all_part2
        assert reader(PRIYA, [last_day]).sees_all_part2

    def test_an_event_only_consent_holds_until_revoked(self):
        event_only = consent(recipient_ids=[PRIYA.person_id], expires_on=None, expiry_event="my discharge")
        assert sensitivity.consent_status(event_only, TODAY + timedelta(days=5000)) == "active"


class TestSessions:
    def session(self, kind: SessionType = SessionType.SUBSTANCE_USE_COUNSELING) -> SessionRecord:
        return SessionRecord(
            session_id="ses_0000000001",
            type=kind,
            start=NOW,
            end=NOW + timedelta(hours=1),
            clinician_ids=(COUNSELOR.person_id,),
            attendee_ids=(ALEX.person_id,),
            created_by=COORDINATOR.person_id,
            updated_at=NOW,
        )

    def test_its_people_and_named_coordinators_see_it_others_need_consent(self):
        policy = Part2Policy(coordinators=frozenset())
        session = self.session()
        today = {ALEX.person_id: TODAY}
        assert sensitivity.sees_session(session, COUNSELOR, policy, {}, today)
        assert sensitivity.sees_session(session, ALEX, policy, {}, today)
        assert sensitivity.needs_consents(session, COORDINATOR, policy)
        assert not sensitivity.sees_session(session, COORDINATOR, policy, {}, today)
        given = {ALEX.person_id: [consent(recipient_ids=[COORDINATOR.person_id])]}
        assert sensitivity.sees_session(session, COORDINATOR, policy, given, today)
        assert not sensitivity.needs_consents(session, COORDINATOR, Part2Policy())

    def test_the_notice_goes_with_a_part2_session_to_anyone_not_attending(self):
        policy = Part2Policy()
        assert sensitivity.session_discloses(self.session(), COUNSELOR, policy)
        assert not sensitivity.session_discloses(self.session(), ALEX, policy)
        assert not sensitivity.session_discloses(self.session(SessionType.INDIVIDUAL), SAM, policy)


def person(person_id: str, kind: PersonKind) -> PersonRecord:
    return PersonRecord(
        person_id=person_id,
        kind=kind,
        display_name="Someone",
        email=f"{person_id}@example.com",
        time_zone="America/Chicago",
        roles=[ClinicianRole.COUPLES_THERAPIST] if kind is PersonKind.CLINICIAN else None,
        created_at=NOW,
        updated_at=NOW,
    )


PEOPLE = {
    PRIYA.person_id: person(PRIYA.person_id, PersonKind.CLINICIAN),
    JAMIE.person_id: person(JAMIE.person_id, PersonKind.PARTICIPANT),
    COORDINATOR.person_id: person(COORDINATOR.person_id, PersonKind.COORDINATOR),
}


class TestRecordingConsents:
    def terms(self, **changes: object) -> Part2ConsentIn:
        return Part2ConsentIn.model_validate(
            {
                "recipient_ids": [PRIYA.person_id],
                "purpose": "coordinate my care",
                "expires_on": "2027-05-01",
                "attest": True,
                **changes,
            }
        )

    def test_a_signed_consent_records_every_element_and_the_servers_time(self):
        record = consents.signed_in_app(self.terms(), principal=ALEX, people=PEOPLE, now=NOW, today=TODAY)
        assert record.participant_id == ALEX.person_id
        assert record.recorded_by == ALEX.person_id
        assert record.attested_at == NOW
        assert record.source == "electronic"
        assert record.recipient_ids == [PRIYA.person_id]
        assert record.scope == "part2_schedule"
        assert consents.out(record, TODAY).status == "active"

    def test_each_missing_element_is_named(self):
        terms = self.terms(recipient_ids=[JAMIE.person_id, "per_nobody001"], expires_on=None)
        with pytest.raises(InvalidInput) as caught:
            consents.signed_in_app(terms, principal=ALEX, people=PEOPLE, now=NOW, today=TODAY)
        fields = {e.field for e in caught.value.errors}
        assert fields == {"body.recipient_ids.0", "body.recipient_ids.1", "body.expires_on"}
        with pytest.raises(InvalidInput) as caught:
            consents.signed_in_app(
                self.terms(recipient_ids=[]), principal=ALEX, people=PEOPLE, now=NOW, today=TODAY
            )
        assert [e.field for e in caught.value.errors] == ["body.recipient_ids"]

    @pytest.mark.parametrize("expires_on", ["2026-11-17", "2029-01-01"])
    def test_the_expiry_date_is_bounded(self, expires_on: str):
        with pytest.raises(InvalidInput) as caught:
            consents.signed_in_app(
                self.terms(expires_on=expires_on), principal=ALEX, people=PEOPLE, now=NOW, today=TODAY
            )
        assert [e.field for e in caught.value.errors] == ["body.expires_on"]

    def test_a_paper_consent_keeps_its_document_and_date(self):
        terms = PaperPart2ConsentIn.model_validate(
            {
                "recipient_roles": ["couples_therapist"],
                "purpose": "coordinate my care",
                "expiry_event": "discharge from the program",
                "document_reference": "DOC-2026-0042",
                "signed_on": "2026-11-16",
            }
        )
        record = consents.signed_on_paper(
            terms, participant_id=ALEX.person_id, principal=COORDINATOR, people=PEOPLE, now=NOW, today=TODAY
        )
        assert (record.source, record.document_reference, record.signed_on) == (
            "paper",
            "DOC-2026-0042",
            date(2026, 11, 16),
        )
        assert record.recorded_by == COORDINATOR.person_id
        assert record.participant_id == ALEX.person_id
        future = terms.model_copy(update={"signed_on": TODAY + timedelta(days=1)})
        with pytest.raises(InvalidInput) as caught:
            consents.signed_on_paper(
                future,
                participant_id=ALEX.person_id,
                principal=COORDINATOR,
                people=PEOPLE,
                now=NOW,
                today=TODAY,
            )
        assert [e.field for e in caught.value.errors] == ["body.signed_on"]

    def test_revoking_stamps_it_once(self):
        record = consents.signed_in_app(self.terms(), principal=ALEX, people=PEOPLE, now=NOW, today=TODAY)
        later = NOW + timedelta(hours=1)
        gone = consents.revoked(record, principal=ALEX, now=later)
        assert (gone.revoked_at, gone.revoked_by, gone.version) == (later, ALEX.person_id, 2)
        assert consents.revoked(gone, principal=COORDINATOR, now=later + timedelta(hours=1)) is gone
        assert consents.out(gone, TODAY).status == "revoked"

    def test_the_signature_is_required(self):
        from pydantic import ValidationError

        with pytest.raises(ValidationError):
            Part2ConsentIn.model_validate(
                {"recipient_ids": [PRIYA.person_id], "purpose": "care", "expires_on": "2027-01-01"}
            )
        with pytest.raises(ValidationError):
            self.terms(attest=False)


class TestCaseloadShown:
    """Being on a substance-use counselor's caseload says one is in substance-use treatment."""

    # The counselor is also Casey's individual therapist; Alex sees them for substance use only
    POSITIONS = {
        "per_alex0001": [CareRole.SUBSTANCE_USE_COUNSELOR],
        "per_casey001": [CareRole.INDIVIDUAL_THERAPIST, CareRole.SUBSTANCE_USE_COUNSELOR],
        "per_taylor01": [CareRole.INDIVIDUAL_THERAPIST],
    }

    def shown(self, reader: Principal, policy: Part2Policy | None = None) -> dict[str, list[CareRole]]:
        return sensitivity.caseload_shown(
            self.POSITIONS, reader=reader, clinician_id=COUNSELOR.person_id, policy=policy or Part2Policy()
        )

    def test_the_counselor_and_the_named_coordinators_see_every_position(self):
        assert self.shown(COUNSELOR) == self.POSITIONS
        assert self.shown(COORDINATOR) == self.POSITIONS
        assert sensitivity.caseload_discloses(self.POSITIONS) == {"per_alex0001": [], "per_casey001": []}

    def test_another_coordinator_sees_the_other_positions_only(self):
        policy = Part2Policy(coordinators=frozenset({"per_somebody"}))
        shown = self.shown(COORDINATOR, policy)
        assert shown == {
            "per_casey001": [CareRole.INDIVIDUAL_THERAPIST],
            "per_taylor01": [CareRole.INDIVIDUAL_THERAPIST],
        }
        assert sensitivity.caseload_discloses(shown) == {}
