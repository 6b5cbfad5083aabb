"""Who saw a participant's Part 2 items: what a read discloses, the disclosure entry's shape,
and a listing's date bounds and cursors (pure logic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from functions.common.audit import Disclosure, disclosure_resource, stamp
from functions.common.auth import Principal, Role
from functions.common.errors import BadRequest, InvalidInput
from functions.common.tables import DISCLOSURE_PARTITION
from functions.schedule.logic import disclosures, sensitivity
from functions.schedule.logic.sensitivity import Part2Policy
from functions.schedule.logic.teams import Relations
from functions.schedule.models import ScheduleEntry, SessionRecord
from functions.schedule.vocabulary import GroupType, SessionStatus, SessionType

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
COUNSELOR = Principal(person_id="per_counsel1", role=Role.CLINICIAN, username="c")
PRIYA = Principal(person_id="per_priya001", role=Role.CLINICIAN, username="p")
COORDINATOR = Principal(person_id="per_coord001", role=Role.COORDINATOR, username="m")
ALEX = Principal(person_id="per_alex0001", role=Role.PARTICIPANT, username="a")
CHICAGO = ZoneInfo("America/Chicago")


def entry(
    item_id: str, kind: SessionType | GroupType, attendees: list[str], clinician: str = COUNSELOR.person_id
) -> ScheduleEntry:
    return ScheduleEntry(
        session_id=item_id,
        type=kind,
        status=SessionStatus.BOOKED,
        start=NOW,
        end=NOW + timedelta(hours=1),
        role="attendee",
        clinician_ids=[clinician],
        attendee_ids=attendees,
    )


def projected(entries: list[ScheduleEntry], viewer: Principal, subject: str) -> list[ScheduleEntry]:
    reader = sensitivity.audience(
        viewer,
        subject,
        relations=Relations(participant_id=subject),
        consents=[],
        policy=Part2Policy(),
        today=NOW.date(),
    )
    return sensitivity.project(entries, reader, Part2Policy()).items


class TestWhatAReadDiscloses:
    def test_a_clinicians_own_week_discloses_each_patients_part2_items_to_them(self):
        # Given the counselor's week: two patients' counseling, a sober group, an individual session
        week = [
            entry("ses_alex000001", SessionType.SUBSTANCE_USE_COUNSELING, ["per_alex0001"]),
            entry("ses_casey00001", SessionType.SUBSTANCE_USE_COUNSELING, ["per_casey001"]),
            entry("ses_alex000002", SessionType.SUBSTANCE_USE_COUNSELING, ["per_alex0001"]),
            entry("grp_sober0001@2026-11-19T18:00:00Z", GroupType.SOBER_ACTIVITY, ["per_casey001"]),
            entry("ses_alex000003", SessionType.INDIVIDUAL, ["per_alex0001"]),
        ]
        shown = disclosures.of_entries(projected(week, COUNSELOR, COUNSELOR.person_id), COUNSELOR.person_id)
        # Then one list per patient, with their Part 2 items only
        assert shown == {
            "per_alex0001": ["ses_alex000001", "ses_alex000002"],
            "per_casey001": ["ses_casey00001", "grp_sober0001@2026-11-19T18:00:00Z"],
        }

    def test_busy_blocks_and_the_participants_own_items_disclose_nothing(self):
        week = [entry("ses_alex000001", SessionType.SUBSTANCE_USE_COUNSELING, ["per_alex0001"])]
        # The couples therapist sees busy time only
        assert disclosures.of_entries(projected(week, PRIYA, ALEX.person_id), PRIYA.person_id) == {}
        # Alex sees it in full: it is their own
        assert disclosures.of_entries(projected(week, ALEX, ALEX.person_id), ALEX.person_id) == {}
        # A coordinator sees it in full: disclosed
        assert disclosures.of_entries(
            projected(week, COORDINATOR, ALEX.person_id), COORDINATOR.person_id
        ) == {"per_alex0001": ["ses_alex000001"]}

    def test_a_facilitators_group_occurrence_names_nobody(self):
        mine = entry("grp_sober0001@2026-11-19T18:00:00Z", GroupType.SOBER_ACTIVITY, [])
        assert (
            disclosures.of_entries(projected([mine], COUNSELOR, COUNSELOR.person_id), COUNSELOR.person_id)
            == {}
        )

    def test_a_session_discloses_to_whoever_does_not_attend_it(self):
        session = SessionRecord(
            session_id="ses_0000000001",
            type=SessionType.SUBSTANCE_USE_COUNSELING,
            start=NOW,
            end=NOW + timedelta(hours=1),
            clinician_ids=(COUNSELOR.person_id,),
            attendee_ids=(ALEX.person_id,),
            created_by=COORDINATOR.person_id,
            updated_at=NOW,
        )
        policy = Part2Policy()
        assert disclosures.of_session(session, COUNSELOR, policy) == {"per_alex0001": ["ses_0000000001"]}
        assert disclosures.of_session(session, ALEX, policy) == {}
        standard = session.model_copy(update={"type": SessionType.INDIVIDUAL})
        assert disclosures.of_session(standard, COUNSELOR, policy) == {}


class TestTheEntry:
    def test_it_is_filed_under_the_participant_and_reads_back_as_written(self):
        written = Disclosure(
            entry_id="e1",
            actor_id=COUNSELOR.person_id,
            actor_role="clinician",
            action="schedule.read",
            resource=disclosure_resource(ALEX.person_id),
            at=NOW,
            request_id="req-1",
            outcome="success",
            subject_id=ALEX.person_id,
            via="person/per_alex0001/schedule",
            item_ids=("ses_1", "grp_1@2026-11-19T18:00:00Z"),
        )
        item = written.to_item()
        assert item["pk"] == {"S": DISCLOSURE_PARTITION + ALEX.person_id}
        assert item["sk"]["S"].startswith("2026-11-18T17:00:00.000000Z#")
        assert item["item_ids"] == {"L": [{"S": "ses_1"}, {"S": "grp_1@2026-11-19T18:00:00Z"}]}
        assert Disclosure.from_item(item) == written


class TestWindow:
    def test_dates_are_whole_days_in_the_participants_zone(self):
        bounds = disclosures.window(date(2026, 11, 1), date(2026, 11, 1), CHICAGO)
        # 1 November 2026 is the day US daylight time ends: 25 hours, 05:00Z to 06:00Z the next day
        assert bounds == disclosures.Window(
            since="2026-11-01T05:00:00.000000Z", before="2026-11-02T06:00:00.000000Z"
        )
        assert bounds.holds(stamp(datetime(2026, 11, 2, 5, 59, tzinfo=UTC)) + "#e")
        assert not bounds.holds(stamp(datetime(2026, 11, 2, 6, 0, tzinfo=UTC)) + "#e")
        assert not bounds.holds(stamp(datetime(2026, 11, 1, 4, 59, tzinfo=UTC)) + "#e")

    def test_either_end_may_be_open(self):
        assert disclosures.window(None, None, CHICAGO) == disclosures.Window(None, None)
        assert disclosures.window(date(2026, 1, 1), None, CHICAGO).before is None
        assert disclosures.window(None, date(2199, 12, 31), CHICAGO).since is None

    def test_from_after_to_is_refused_naming_the_field(self):
        with pytest.raises(InvalidInput) as raised:
            disclosures.window(date(2026, 11, 2), date(2026, 11, 1), CHICAGO)
        assert [e.field for e in raised.value.errors] == ["query.from"]


class TestCursor:
    def key(self, subject: str = ALEX.person_id, at: datetime = NOW) -> dict[str, str]:
        return {"pk": DISCLOSURE_PARTITION + subject, "sk": stamp(at) + "#e1"}

    def test_a_key_of_this_list_within_its_dates_is_good(self):
        bounds = disclosures.window(date(2026, 11, 18), date(2026, 11, 18), CHICAGO)
        assert disclosures.checked_start(self.key(), ALEX.person_id, bounds) == self.key()
        assert disclosures.checked_start(None, ALEX.person_id, bounds) is None

    @pytest.mark.parametrize(
        ("subject", "at"),
        [
            ("per_jamie001", NOW),  # another participant's list
            (ALEX.person_id, NOW - timedelta(days=3)),  # outside the dates asked for
        ],
    )
    def test_another_lists_key_is_refused(self, subject: str, at: datetime):
        bounds = disclosures.window(date(2026, 11, 18), date(2026, 11, 18), CHICAGO)
        with pytest.raises(BadRequest) as raised:
            disclosures.checked_start(self.key(subject, at), ALEX.person_id, bounds)
        assert [e.field for e in raised.value.errors] == ["query.cursor"]
