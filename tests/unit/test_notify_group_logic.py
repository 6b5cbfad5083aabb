"""Group occurrence reminders and the weekly digest: the pure rules (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from functions.common.models import iso
from functions.notify.logic.digest import (
    DigestItem,
    digest_zones,
    in_digest_window,
    next_week,
    plan_digest,
    week_items,
)
from functions.notify.logic.groups import (
    GroupReminders,
    attends,
    facilitator_joined,
    facilitator_left,
    facilitator_moves,
    group_reminder_current,
    group_reminder_id,
    horizon,
    occurrences,
    plan_group_reminders,
    series_change,
)
from functions.notify.logic.quiet_hours import QuietHours
from functions.notify.logic.reminders import Recipient
from functions.notify.logic.templates import RenderContext, render
from functions.notify.models import GroupSeries, UpcomingSession
from functions.notify.vocabulary import (
    Channel,
    Language,
    MessageKind,
    MessageStatus,
    SeriesRole,
    SeriesStatus,
    Topic,
)
from tests.unit.test_notify_templates import DIAGNOSIS_WORDS, PARTICIPANT_NAMES, SESSION_TYPE_WORDS

LA = "America/Los_Angeles"
PT = ZoneInfo(LA)
PERSON, GROUP = "per_alex00001", "grp_mindful0001"
PARTNER, LEAD, OTHER_LEAD = "per_jamie0001", "per_clin00001", "per_clin00002"


def pt(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=PT).astimezone(UTC)


def series(**changes: object) -> GroupSeries:
    base = GroupSeries(
        person_id=PERSON,
        group_id=GROUP,
        group_type="mindfulness",
        title="Tuesday evening mindfulness",
        rrule="FREQ=WEEKLY;BYDAY=TU,TH",
        first_start=datetime(2027, 6, 1, 18, 0, tzinfo=PT),
        time_zone=LA,
        duration_minutes=90,
        status=SeriesStatus.ENROLLED,
        since="2027-05-25T16:00:00Z",
        joined_at=pt(5, 25, 9),
        facilitator_id=LEAD,
    )
    return base.model_copy(update=changes)


def person(
    *,
    email: tuple[int, ...] = (1440,),
    sms: tuple[int, ...] = (120,),
    quiet: tuple[time, time] = (time(21), time(8)),
    digests: tuple[Channel, ...] = (Channel.EMAIL,),
) -> Recipient:
    return Recipient(
        person_id=PERSON,
        zone=LA,
        quiet=QuietHours(quiet[0], quiet[1], LA),
        channels=(Channel.EMAIL, Channel.SMS),
        offsets={Channel.EMAIL: email, Channel.SMS: sms},
        topics={Topic.REMINDERS: (Channel.EMAIL, Channel.SMS), Topic.DIGESTS: digests},
    )


def due_times(plan: GroupReminders) -> dict[str, tuple[datetime, MessageStatus]]:
    return {m.message_id: (m.due_at, m.status) for m in plan.messages}


# --- occurrences and who attends them ----------------------------------------------------------


def test_occurrences_keep_their_local_time_across_the_dst_change():
    found = list(occurrences(series(), pt(11, 1, 0), pt(11, 12, 0)))
    assert [begins.astimezone(PT).strftime("%a %d %H:%M") for begins, _ in found] == [
        "Tue 02 18:00",
        "Thu 04 18:00",
        "Tue 09 18:00",  # PST from 7 November: 02:00 UTC, not 01:00
        "Thu 11 18:00",
    ]
    assert all(end - begins == timedelta(minutes=90) for begins, end in found)


def test_roster_changes_apply_to_future_occurrences_only():
    joined_wednesday = series(joined_at=pt(6, 2, 12))
    assert not attends(joined_wednesday, pt(6, 1, 18))
    assert attends(joined_wednesday, pt(6, 3, 18))
    assert not attends(series(status=SeriesStatus.WITHDRAWN), pt(6, 3, 18))


def test_what_an_enrolment_record_asks_of_notify():
    image = {
        "participant_id": PERSON,
        "group_id": GROUP,
        "group_type": "mindfulness",
        "title": "Tuesday evening mindfulness",
        "facilitator_id": "per_clin00001",
        "rrule": "FREQ=WEEKLY;BYDAY=TU,TH",
        "first_start": "2027-06-01T18:00:00-07:00",
        "time_zone": LA,
        "duration_minutes": 90,
        "since": "2027-06-01T16:00:00Z",
        "joined_at": "2027-06-01T16:00:00Z",
        "left_at": None,
    }
    enrolled = series_change({**image, "status": "enrolled"}, None)
    assert enrolled is not None
    assert (enrolled.keep, enrolled.end) == (True, False)
    assert enrolled.series.joined_at == datetime(2027, 6, 1, 16, tzinfo=UTC)
    withdrawn = series_change({**image, "status": "withdrawn"}, {**image, "status": "enrolled"})
    assert withdrawn is not None
    assert (withdrawn.keep, withdrawn.end) == (False, True)
    assert series_change({**image, "status": "waitlisted"}, None) is None
    assert series_change({**image, "status": "withdrawn"}, {**image, "status": "waitlisted"}) is None


# --- the reminders the hourly job plans ----------------------------------------------------------


def test_the_horizon_is_the_longest_offset_plus_a_margin_at_least_26_hours():
    assert horizon(person()) == timedelta(hours=26)
    assert horizon(person(email=(3 * 1440,))) == timedelta(hours=74)


def test_reminders_per_channel_and_offset_with_deterministic_ids():
    now = pt(6, 2, 17)  # Wednesday 17:00: Thursday 18:00 is 25 hours ahead
    plan = plan_group_reminders(series(), person(email=(1440, 60)), now)
    thursday = pt(6, 3, 18)
    assert due_times(plan) == {
        f"grem.{GROUP}.{iso(thursday)}.{PERSON}.email.1440": (pt(6, 2, 18), MessageStatus.PENDING),
        f"grem.{GROUP}.{iso(thursday)}.{PERSON}.email.60": (pt(6, 3, 17), MessageStatus.PENDING),
        f"grem.{GROUP}.{iso(thursday)}.{PERSON}.sms.120": (pt(6, 3, 16), MessageStatus.PENDING),
    }
    assert plan == plan_group_reminders(series(), person(email=(1440, 60)), now)
    reminder = plan.messages[0]
    assert (reminder.kind, reminder.group_id, reminder.session_type, reminder.session_id) == (
        MessageKind.REMINDER,
        GROUP,
        "group",
        None,
    )
    assert set(plan.reminders) == {m.message_id for m in plan.messages}


def test_quiet_hours_defer_or_drop_group_reminders_as_they_do_session_reminders():
    morning = series(rrule="FREQ=DAILY", first_start=datetime(2027, 6, 1, 9, 0, tzinfo=PT))
    now = pt(6, 2, 6)
    plan = plan_group_reminders(morning, person(email=(), sms=(120,)), now)
    # 07:00 is inside quiet hours (21:00-08:00): deferred to 08:00, before the 09:00 start
    assert due_times(plan)[group_reminder_id(GROUP, pt(6, 2, 9), PERSON, Channel.SMS, 120)] == (
        pt(6, 2, 8),
        MessageStatus.PENDING,
    )
    early = series(rrule="FREQ=DAILY", first_start=datetime(2027, 6, 1, 7, 30, tzinfo=PT))
    plan = plan_group_reminders(early, person(email=(), sms=(120,)), pt(6, 2, 4))
    # 05:30 deferred to 08:00 would be after the 07:30 start: recorded as dropped
    dropped = plan.messages[0]
    assert (dropped.status, dropped.status_reason) == (
        MessageStatus.DROPPED_QUIET_HOURS,
        "session starts before quiet hours end",
    )
    assert dropped.message_id not in plan.reminders


def test_a_run_after_an_outage_catches_up_but_a_new_member_gets_no_past_reminders():
    tonight = pt(6, 1, 18)
    sms_id = group_reminder_id(GROUP, tonight, PERSON, Channel.SMS, 120)
    # The 16:00 text, planned late at 17:00 (the job was down): due at once
    late = plan_group_reminders(series(), person(email=()), pt(6, 1, 17))
    assert due_times(late) == {sms_id: (pt(6, 1, 17), MessageStatus.PENDING)}
    # Someone who joined at 16:30 was never owed it
    newcomer = plan_group_reminders(series(joined_at=pt(6, 1, 16, 30)), person(email=()), pt(6, 1, 17))
    assert newcomer.messages == ()
    # Nor is a reminder planned more than the catch-up window late
    assert plan_group_reminders(series(), person(sms=(), email=(600,)), pt(6, 1, 17)).messages == ()


def test_the_series_list_of_reminders_forgets_old_occurrences():
    old = {"grem.old": iso(pt(5, 1, 18)), "grem.recent": iso(pt(6, 1, 18))}
    plan = plan_group_reminders(series(reminders=old), person(), pt(6, 2, 10))
    assert "grem.old" not in plan.reminders
    assert "grem.recent" in plan.reminders


def test_withdrawn_series_plan_nothing_and_their_reminders_are_no_longer_current():
    assert plan_group_reminders(series(status=SeriesStatus.WITHDRAWN), person(), pt(6, 2, 17)).messages == ()
    plan = plan_group_reminders(series(), person(), pt(6, 2, 17))
    message = plan.messages[0]
    held = series(reminders=plan.reminders)
    assert group_reminder_current(message, held)
    assert not group_reminder_current(message, held.model_copy(update={"status": SeriesStatus.WITHDRAWN}))
    assert not group_reminder_current(message, series())  # not one the series holds
    assert not group_reminder_current(message, None)


# --- the facilitator's series item ----------------------------------------------------------------


def test_the_first_enrolled_participant_starts_the_facilitators_item():
    # Given no item for the facilitator yet, when Alex's enrolment is recorded
    lead = facilitator_joined(None, series(revision=1))
    # Then the facilitator has one: the series' facts, Alex in it, active from Alex's joining
    assert lead is not None
    assert (lead.person_id, lead.role, lead.status, lead.participants) == (
        LEAD,
        SeriesRole.FACILITATOR,
        SeriesStatus.ENROLLED,
        (PERSON,),
    )
    assert (lead.rrule, lead.first_start, lead.time_zone, lead.duration_minutes) == (
        "FREQ=WEEKLY;BYDAY=TU,TH",
        datetime(2027, 6, 1, 18, 0, tzinfo=PT),
        LA,
        90,
    )
    assert (lead.joined_at, lead.revision, lead.reminders) == (pt(5, 25, 9), 1, {})


def test_more_participants_join_the_item_and_the_same_one_twice_changes_nothing():
    lead = facilitator_joined(None, series())
    assert lead is not None
    held = lead.model_copy(update={"reminders": {"grem.x": iso(pt(6, 3, 18))}})
    both = facilitator_joined(
        held, series(person_id=PARTNER, joined_at=pt(6, 1, 9), since="2027-06-01T16:00:00Z")
    )
    assert both is not None
    # Still active from the first joining, its reminders kept
    assert (both.participants, both.joined_at, both.reminders, both.revision) == (
        (PERSON, PARTNER),
        pt(5, 25, 9),
        held.reminders,
        held.revision + 1,
    )
    assert facilitator_joined(both, series()) is None
    # Nor does a waitlisted participant or a participant's own item count
    assert facilitator_joined(None, series(status=SeriesStatus.WAITLISTED)) is None
    assert facilitator_joined(series(), series()) is None


def test_a_facilitator_taking_over_is_owed_nothing_from_before_the_change():
    moved = series(facilitator_id=OTHER_LEAD, since="2027-06-02T17:00:00Z")
    lead = facilitator_joined(None, moved)
    assert lead is not None
    assert (lead.person_id, lead.joined_at) == (OTHER_LEAD, datetime(2027, 6, 2, 17, tzinfo=UTC))


def test_the_last_participant_leaving_ends_the_facilitators_item():
    lead = facilitator_joined(None, series())
    assert lead is not None
    both = facilitator_joined(lead, series(person_id=PARTNER))
    assert both is not None
    planned = both.model_copy(update={"reminders": {"grem.x": iso(pt(6, 3, 18))}})
    gone = series(status=SeriesStatus.WITHDRAWN, left_at=pt(6, 2, 12))
    # Alex leaving: the partner remains, and so do the reminders
    one = facilitator_left(planned, gone)
    assert one is not None
    assert (one.active, one.participants, one.reminders) == (True, (PARTNER,), planned.reminders)
    # The partner leaving too: ended, its reminders dropped (for the store to retire)
    last = facilitator_left(
        one, series(person_id=PARTNER, status=SeriesStatus.WITHDRAWN, left_at=pt(6, 2, 13))
    )
    assert last is not None
    assert (last.status, last.participants, last.reminders, last.left_at, last.revision) == (
        SeriesStatus.WITHDRAWN,
        (),
        {},
        pt(6, 2, 13),
        one.revision + 1,
    )
    # Someone it does not hold changes nothing
    assert facilitator_left(one, series(person_id="per_other0001")) is None
    assert facilitator_left(None, gone) is None
    # And an ended item is started again by the next enrolment, with no reminders
    again = facilitator_joined(last, series(joined_at=pt(6, 5, 9), since="2027-06-05T16:00:00Z"))
    assert again is not None
    assert (again.active, again.participants, again.reminders, again.revision) == (
        True,
        (PERSON,),
        {},
        last.revision + 1,
    )


def test_which_facilitators_a_participants_change_moves_them_between():
    enrolled = series()
    assert facilitator_moves(None, enrolled) == (None, LEAD)
    assert facilitator_moves(enrolled, enrolled) == (None, LEAD)
    assert facilitator_moves(enrolled, series(status=SeriesStatus.WITHDRAWN)) == (LEAD, None)
    assert facilitator_moves(enrolled, series(facilitator_id=OTHER_LEAD)) == (LEAD, OTHER_LEAD)
    assert facilitator_moves(series(status=SeriesStatus.WITHDRAWN), enrolled) == (None, LEAD)


def test_the_facilitators_reminders_are_their_own_and_name_no_participant():
    lead = facilitator_joined(None, series())
    assert lead is not None
    both = facilitator_joined(lead, series(person_id=PARTNER))
    assert both is not None
    facilitator = Recipient(
        person_id=LEAD,
        zone="America/Denver",
        quiet=QuietHours(zone="America/Denver"),
        channels=(Channel.EMAIL,),
        offsets={Channel.EMAIL: (60,)},
    )
    plan = plan_group_reminders(both, facilitator, pt(6, 2, 17))
    thursday = pt(6, 3, 18)
    assert due_times(plan) == {
        group_reminder_id(GROUP, thursday, LEAD, Channel.EMAIL, 60): (pt(6, 3, 17), MessageStatus.PENDING)
    }
    (message,) = plan.messages
    assert (message.person_id, message.group_id, message.session_type, message.detail) == (
        LEAD,
        GROUP,
        "group",
        {"confirmable": False},
    )
    stored = str(message.to_attributes())
    assert PERSON not in stored
    assert PARTNER not in stored


# --- the weekly digest -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (pt(6, 6, 18), True),  # Sunday 18:00 PDT = 01:00 UTC Monday
        (pt(6, 6, 20, 59), True),  # catching up until 21:00
        (pt(6, 6, 21), False),
        (pt(6, 6, 17, 59), False),
        (pt(6, 5, 18), False),  # Saturday
        (datetime(2027, 11, 8, 2, 0, tzinfo=UTC), True),  # Sunday 18:00 PST
        (datetime(2027, 11, 8, 1, 0, tzinfo=UTC), False),  # 17:00 PST
    ],
)
def test_the_digest_window_is_sunday_evening_on_the_local_clock(moment, inside):
    assert in_digest_window(moment, LA) is inside


def test_the_zones_served_at_one_moment():
    zones = digest_zones(pt(6, 6, 16), ["America/Chicago", LA, "Europe/Madrid", "America/New_York"])
    assert zones == ["America/Chicago", "America/New_York"]  # 18:00 CT, 19:00 ET


def test_next_week_is_the_iso_week_after_the_local_sunday():
    week = next_week(pt(6, 6, 18), LA)
    assert (week.label, week.monday.isoformat()) == ("2027-W23", "2027-06-07")
    assert (week.start, week.end) == (pt(6, 7, 0), pt(6, 14, 0))


def test_week_items_merge_sessions_and_attended_occurrences():
    week = next_week(pt(6, 6, 18), LA)
    session = UpcomingSession(
        person_id=PERSON,
        session_id="ses_1",
        start=pt(6, 8, 10),
        end=pt(6, 8, 11),
        session_version=1,
        session_type="individual",
    )
    items = week_items(week, [session], [series(joined_at=pt(6, 9, 0))])
    assert items == [
        DigestItem(pt(6, 8, 10), "individual"),
        DigestItem(pt(6, 10, 18), "group"),  # Tuesday's occurrence was before they joined
    ]


def test_an_empty_week_plans_no_digest_and_texts_only_when_chosen():
    week = next_week(pt(6, 6, 18), LA)
    assert plan_digest(person(), week, [], pt(6, 6, 18)) == []
    items = [DigestItem(pt(6, 8, 10), "individual")]
    assert [m.channel for m in plan_digest(person(), week, items, pt(6, 6, 18))] == [Channel.EMAIL]
    both = plan_digest(person(digests=(Channel.EMAIL, Channel.SMS)), week, items, pt(6, 6, 18))
    assert [m.message_id for m in both] == [
        f"dig.{PERSON}.2027-W23.email",
        f"dig.{PERSON}.2027-W23.sms",
    ]
    assert both[0].detail == {
        "week": "2027-W23",
        "week_start": "2027-06-07",
        "count": 1,
        "items": [{"start": iso(pt(6, 8, 10)), "type": "individual"}],
    }


# --- what the new texts say ------------------------------------------------------------------------

GROUP_DETAIL: dict[str, object] = {"confirmable": False}
DIGEST_DETAIL: dict[str, object] = {
    "week_start": "2027-06-07",
    "count": 7,
    "items": [
        {"start": iso(pt(6, day, 18)), "type": kind}
        for day, kind in (
            (7, "couples"),
            (8, "group"),
            (9, "substance_use_counseling"),
            (10, "group"),
            (11, "medication_management"),
            (12, "individual"),
            (13, "check_in"),
        )
    ],
}


def _render(kind: MessageKind, channel: Channel, language: Language, detail: dict[str, object]) -> str:
    context = RenderContext(
        kind=kind,
        channel=channel,
        language=language,
        zone=LA,
        now=pt(6, 6, 18),
        start=pt(6, 8, 18),
        end=pt(6, 8, 19, 30),
        session_type="group",
        detail=detail,
    )
    return render(context).text


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(
    ("kind", "detail"), [(MessageKind.REMINDER, GROUP_DETAIL), (MessageKind.WEEKLY_DIGEST, DIGEST_DETAIL)]
)
def test_the_new_texts_pass_the_phi_word_list(kind, detail, language):
    text = _render(kind, Channel.SMS, language, detail)
    lowered = text.lower()
    for word in (*PARTICIPANT_NAMES, *SESSION_TYPE_WORDS, *DIAGNOSIS_WORDS, "mindfulness", "tuesday evening"):
        assert word.lower() not in lowered, (kind, language, word, text)
    assert "Tandem Care" in text
    assert "https://app.tandem.health" in text


def test_a_group_reminder_text_asks_for_no_confirmation():
    text = _render(MessageKind.REMINDER, Channel.SMS, Language.EN, GROUP_DETAIL)
    assert text == (
        "Reminder from Tandem Care: you have an appointment on Tue Jun 8 at 6:00 PM PT. "
        "See the app: https://app.tandem.health Reply STOP to opt out."
    )


def test_the_digest_text_lists_five_times_and_counts_the_rest():
    text = _render(MessageKind.WEEKLY_DIGEST, Channel.SMS, Language.EN, DIGEST_DETAIL)
    assert text == (
        "Tandem Care: your appointments in the week of Mon Jun 7: Mon Jun 7 at 6:00 PM PT; "
        "Tue Jun 8 at 6:00 PM PT; Wed Jun 9 at 6:00 PM PT; Thu Jun 10 at 6:00 PM PT; "
        "Fri Jun 11 at 6:00 PM PT; and 2 more. See the app: https://app.tandem.health Reply STOP to opt out."
    )
    spanish = _render(MessageKind.WEEKLY_DIGEST, Channel.SMS, Language.ES, DIGEST_DETAIL)
    assert spanish.startswith("Tandem Care: sus citas en la semana del lun 7 jun: lun 7 jun a las 18:00 PT;")
    assert "y 2 más." in spanish


def test_the_digest_email_names_group_sessions_plainly():
    text = _render(MessageKind.WEEKLY_DIGEST, Channel.EMAIL, Language.EN, DIGEST_DETAIL)
    assert "- Tue Jun 8 at 6:00 PM PT: group session" in text
    assert "mindfulness" not in text.lower()
