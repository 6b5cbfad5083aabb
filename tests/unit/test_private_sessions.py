"""The couple boundary in pure logic: the projection's second reason (private individual
work), who may mark a session private, and what notify makes of a private session and of the
joint session beside it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.common.auth import Principal, Role
from functions.common.errors import Forbidden, InvalidInput
from functions.notify.logic.reminders import Recipient, SessionSnapshot, plan_session_change
from functions.notify.logic.templates import RenderContext, render
from functions.notify.vocabulary import Channel, Language, MessageKind
from functions.schedule.logic import booking, makeups, sensitivity
from functions.schedule.models import SessionRecord
from functions.schedule.vocabulary import SessionStatus, SessionType
from tests.support import published_images
from tests.unit.test_sensitivity import (
    ALEX,
    COORDINATOR,
    COUNSELOR,
    DEFAULT,
    JAMIE,
    NOW,
    PRIYA,
    SAM,
    consent,
    entry,
    reader,
)

PRESCRIBER = Principal(person_id="per_presc001", role=Role.CLINICIAN, username="r")


def private(kind: SessionType = SessionType.INDIVIDUAL, clinician: Principal = SAM, **extra: object):
    return entry(kind, clinician, private=True, **extra)


class TestProjection:
    def test_the_participant_its_clinicians_and_coordinators_see_a_private_session(self):
        for viewer in (ALEX, SAM, COORDINATOR):
            [shown] = sensitivity.project([private()], reader(viewer), DEFAULT).items
            assert (shown.visibility, shown.session_id, shown.private) == ("full", "ses_indivi0001", True)

    def test_the_rest_of_the_care_team_sees_the_busy_block_a_part2_item_is(self):
        part2 = entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)
        for viewer in (PRIYA, COUNSELOR):
            [busy] = sensitivity.project([private()], reader(viewer), DEFAULT).items
            [part2_busy] = sensitivity.project([part2], reader(PRIYA), DEFAULT).items
            assert busy == part2_busy  # same times: nothing tells the reasons apart
            assert (busy.visibility, busy.private, busy.type) == ("busy", None, None)

    def test_a_private_session_with_another_clinician_is_busy_to_the_individual_therapist(self):
        medication = private(SessionType.MEDICATION_MANAGEMENT, PRESCRIBER)
        assert sensitivity.project([medication], reader(SAM), DEFAULT).items[0].visibility == "busy"
        assert sensitivity.project([medication], reader(PRESCRIBER), DEFAULT).items[0].visibility == "full"

    def test_part2_consent_does_not_open_private_work(self):
        to_priya = consent(recipient_roles=["couples_therapist"], recipient_ids=[PRIYA.person_id])
        audience = reader(PRIYA, [to_priya])
        assert (audience.sees_all_part2, audience.sees_all_private) == (True, False)
        part2 = entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)
        shown = sensitivity.project([private(), part2], audience, DEFAULT).items
        assert [e.visibility for e in shown] == ["busy", "full"]

    def test_each_reason_stands_alone(self):
        assert reader(PRIYA).withholds(private(), DEFAULT) == "private"
        assert (
            reader(PRIYA).withholds(entry(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR), DEFAULT)
            == "part2"
        )
        # A private Part 2 session: the counselor delivers it, so sees it whichever the reason
        both = private(SessionType.SUBSTANCE_USE_COUNSELING, COUNSELOR)
        assert reader(COUNSELOR).withholds(both, DEFAULT) is None
        assert reader(PRIYA).withholds(both, DEFAULT) == "part2"
        assert reader(PRIYA).withholds(entry(SessionType.INDIVIDUAL, SAM, private=False), DEFAULT) is None

    def test_a_cancelled_private_session_is_not_even_busy_time(self):
        cancelled = private(status=SessionStatus.CANCELLED)
        assert sensitivity.project([cancelled], reader(PRIYA), DEFAULT).items == []


def session(kind: SessionType = SessionType.INDIVIDUAL, **extra: object) -> SessionRecord:
    couples = kind is SessionType.COUPLES
    start = NOW + timedelta(days=2)
    return SessionRecord.model_validate(
        {
            "session_id": "ses_couples001" if couples else "ses_private001",
            "type": kind,
            "start": start,
            "end": start + timedelta(hours=1),
            "clinician_ids": [PRIYA.person_id if couples else SAM.person_id],
            "attendee_ids": [ALEX.person_id, JAMIE.person_id] if couples else [ALEX.person_id],
            "couple_id": "cpl_rivera001" if couples else None,
            "time_zones": {ALEX.person_id: "America/Chicago", JAMIE.person_id: "America/Chicago"},
            "created_by": COORDINATOR.person_id,
            "updated_at": NOW,
            **extra,
        }
    )


class TestMarking:
    @pytest.mark.parametrize("who", [ALEX, SAM])
    def test_the_participant_or_its_clinician_marks_it(self, who: Principal):
        marked = booking.privacy_changed(session(), principal=who, private=True, now=NOW)
        assert (marked.private, marked.version, marked.event) == (True, 2, session().event)

    @pytest.mark.parametrize("who", [JAMIE, PRIYA, COORDINATOR])
    def test_nobody_else_does(self, who: Principal):
        with pytest.raises(Forbidden):
            booking.privacy_changed(session(), principal=who, private=True, now=NOW)

    def test_a_couples_session_is_never_private(self):
        with pytest.raises(InvalidInput) as raised:
            booking.privacy_changed(session(SessionType.COUPLES), principal=PRIYA, private=True, now=NOW)
        assert [e.field for e in raised.value.errors] == ["body.private"]
        assert not booking.may_be_private(SessionType.COUPLES)
        assert all(booking.may_be_private(t) for t in SessionType if t is not SessionType.COUPLES)


class TestMakeups:
    @pytest.mark.parametrize("was_private", [True, False])
    def test_the_makeup_of_a_private_session_is_private_too(self, was_private: bool):
        missed = session(private=was_private)
        later = missed.start + timedelta(days=1)
        offer = makeups.offer(
            person_id=ALEX.person_id,
            missed=missed,
            week="2026-W48",
            makeup_slots=[(later, later + timedelta(hours=1))],
            check_in_clinician=SAM.person_id,
            check_in_slots=[(later + timedelta(hours=2), later + timedelta(hours=2, minutes=20))],
            now=NOW,
        )
        stored = type(offer).from_attributes(offer.to_attributes())
        for index, kind in enumerate((SessionType.INDIVIDUAL, SessionType.CHECK_IN)):
            request = makeups.makeup_request(stored, index)
            assert (request.type, request.private) == (kind, was_private)


def snapshot_of(attributes: dict[str, Any]) -> SessionSnapshot:
    """Notify's view of the session, from the event schedule publishes for it."""
    snapshot, _ = SessionSnapshot.from_event(published_images(attributes))
    return snapshot


def recipients(snapshot: SessionSnapshot) -> list[Recipient]:
    return [Recipient(person_id=p, zone="America/Chicago") for p in snapshot.people]


class TestNotifications:
    def test_marking_private_tells_nobody_anything(self):
        before = snapshot_of(session().to_attributes())
        planned = plan_session_change(before, old=None, marker=None, recipients=recipients(before), now=NOW)
        assert planned is not None
        marked = booking.privacy_changed(session(), principal=ALEX, private=True, now=NOW)
        after = snapshot_of(marked.to_attributes())
        again = plan_session_change(
            after, old=before, marker=planned.marker, recipients=recipients(after), now=NOW
        )
        assert again is not None
        assert (again.messages, again.retire) == ((), ())

    def test_a_private_session_is_told_to_its_own_people_and_the_joint_one_carries_nothing_of_it(self):
        mine = snapshot_of(session(private=True).to_attributes())
        joint = snapshot_of(
            session(
                SessionType.COUPLES, start=mine.start + timedelta(hours=1), end=mine.end + timedelta(hours=1)
            ).to_attributes()
        )
        told = plan_session_change(mine, old=None, marker=None, recipients=recipients(mine), now=NOW)
        assert told is not None
        assert {m.person_id for m in told.messages} == {ALEX.person_id, SAM.person_id}
        together = plan_session_change(joint, old=None, marker=None, recipients=recipients(joint), now=NOW)
        assert together is not None
        for message in together.messages:
            assert message.session_id == joint.session_id
            assert message.kind is not None
            text = render(
                RenderContext(
                    kind=message.kind,
                    channel=Channel.EMAIL,
                    language=Language.EN,
                    zone="America/Chicago",
                    now=NOW,
                    start=message.start,
                    end=message.end,
                    session_type=message.session_type,
                )
            )
            assert "individual" not in f"{text.subject} {text.text}"
            assert mine.session_id not in text.text
        assert {m.kind for m in together.messages} >= {MessageKind.BOOKED}
