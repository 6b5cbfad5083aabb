"""Group enrolments -> notify's series items -> the hourly job's occurrence reminders, on moto.

The group (from test_notify_groups) meets Tuesdays and Thursdays at 18:00 PT from Tuesday
1 June 2027. Alex takes reminders by email a day before and by text two hours before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from functions.common.models import iso
from functions.notify import events, group_reminders
from functions.notify.logic.groups import group_reminder_id
from functions.notify.logic.reminders import Recipient
from functions.notify.models import GroupSeries
from functions.notify.vocabulary import Channel, MessageKind, MessageStatus, SeriesRole, SeriesStatus
from functions.schedule.models import SessionRecord
from functions.schedule.vocabulary import ENTITY_GROUP_ENROLMENT, EnrolmentStatus, SessionType
from tests.integration.test_notify_groups import GROUP, record
from tests.integration.test_notify_reminders import (
    ALEX,
    ALEX_PHONE,
    NOW,
    apply,
    body_of,
    couples_session,
    pt,
    run_at,
    save_prefs,
    send_at,
    sent_emails,
    sent_sms,
    status_of,
    store,
    sweep_at,
)
from tests.support import context, published

PHI_WORDS = ("mindfulness", "group", "tuesday evening", "therapy", "couples")


@pytest.fixture
def alex(moto_env: dict[str, Any]) -> dict[str, Any]:
    """Alex: email reminders a day before, texts two hours before (consented), in Los Angeles."""
    save_prefs(ALEX, email_address="alex@example.com", sms=True)
    return moto_env


def pointer(
    status: EnrolmentStatus,
    since: datetime,
    *,
    joined: datetime | None = NOW,
    left: datetime | None = None,
) -> dict[str, Any]:
    """Alex's GROUP_ENROLMENT item as schedule writes it (`GroupStore._pointer_put`)."""
    return {
        "pk": f"PERSON#{ALEX}",
        "sk": f"GROUP#{GROUP.group_id}",
        "entity": ENTITY_GROUP_ENROLMENT,
        "participant_id": ALEX,
        "status": status.value,
        "since": iso(since),
        "gsi1pk": f"SCHED#{ALEX}",
        **({"joined_at": iso(joined)} if joined else {}),
        **({"left_at": iso(left)} if left else {}),
        **GROUP.schedule_attributes(),
    }


def enrol(at: datetime = NOW) -> dict[str, Any]:
    item = pointer(EnrolmentStatus.ENROLLED, at, joined=at)
    assert events.apply_group_series(published(record(item, None)), store()) is True
    return item


def withdraw(enrolled: dict[str, Any], at: datetime) -> bool:
    gone = pointer(
        EnrolmentStatus.WITHDRAWN, at, joined=datetime.fromisoformat(enrolled["joined_at"]), left=at
    )
    return events.apply_group_series(published(record(gone, enrolled)), store())


def grem(start: datetime, channel: Channel, offset: int) -> str:
    return group_reminder_id(GROUP.group_id, start, ALEX, channel, offset)


def series() -> GroupSeries:
    found = store().get_group_series(ALEX, GROUP.group_id)
    assert found is not None
    return found


def test_an_enrolment_keeps_a_series_item_in_the_active_bucket(alex):
    # Given Alex enrolled in the group
    enrol()
    # Then notify keeps the series (what it takes to expand it) where the hourly job finds it
    kept = series()
    assert (kept.status, kept.rrule, kept.time_zone, kept.duration_minutes, kept.joined_at) == (
        SeriesStatus.ENROLLED,
        GROUP.rrule,
        GROUP.time_zone,
        90,
        NOW,
    )
    # (with the facilitator's item, which Alex's enrolment started)
    assert sorted((s.person_id, s.group_id, s.role) for s in store().active_series()) == [
        (ALEX, GROUP.group_id, SeriesRole.PARTICIPANT),
        (GROUP.facilitator_id, GROUP.group_id, SeriesRole.FACILITATOR),
    ]


def test_an_enrolled_participant_gets_each_reminder_once_however_often_the_job_runs(alex):
    # Given Alex enrolled on Tuesday at 09:00 PT
    enrol()
    # When the hourly job runs three times (and a fourth, repeating an hour)
    results = [group_reminders.remind_groups(store(), at) for at in (NOW, pt(1, 10), pt(1, 11), pt(1, 11))]
    # Then tonight's text reminder (16:00 PT) was planned by the first run only; the email
    # reminder's time (Monday 18:00) passed before Alex joined, so there is none
    assert [r["planned"] for r in results] == [1, 0, 0, 0]
    tonight = pt(1, 18)
    reminder = store().get_message(grem(tonight, Channel.SMS, 120))
    assert reminder is not None
    assert (reminder.kind, reminder.due_at, reminder.start, reminder.group_id) == (
        MessageKind.REMINDER,
        pt(1, 16),
        tonight,
        GROUP.group_id,
    )
    assert store().get_message(grem(tonight, Channel.EMAIL, 1440)) is None
    # And the loops send it once, naming the time and never the group
    assert run_at(alex, pt(1, 16)) == [grem(tonight, Channel.SMS, 120)]
    assert run_at(alex, pt(1, 16, 1)) == []
    assert sent_sms() == [
        (
            ALEX_PHONE,
            "Reminder from Tandem Care: you have an appointment today, Tue Jun 1, at 6:00 PM PT. "
            "See the app: https://app.tandem.health Reply STOP to opt out.",
        )
    ]
    # When the job runs on Wednesday evening, 25 hours before Thursday's occurrence (three times)
    for at in (pt(2, 17), pt(2, 17, 30), pt(2, 17, 45)):
        group_reminders.remind_groups(store(), at)
    # Then Thursday's email (a day before) and text (two hours before) go once each
    thursday = pt(3, 18)
    alexs = [m for m in run_at(alex, pt(2, 18)) + run_at(alex, pt(2, 18, 1)) if f".{ALEX}." in m]
    assert alexs == [grem(thursday, Channel.EMAIL, 1440)]
    (mail,) = [m for dest, m in sent_emails() if dest == ["alex@example.com"]]
    assert mail["Subject"] == "Reminder: your group session tomorrow at 6:00 PM PT"
    assert "mindfulness" not in body_of(mail).casefold()
    assert run_at(alex, pt(3, 16)) == [grem(thursday, Channel.SMS, 120)]
    for _, text in sent_sms():
        assert not [word for word in PHI_WORDS if word in text.casefold()], text


def test_withdrawal_cancels_the_pending_group_reminders(alex):
    # Given Alex enrolled and Thursday's reminders planned on Wednesday evening
    enrolled = enrol()
    group_reminders.remind_groups(store(), pt(2, 17))
    thursday = pt(3, 18)
    email, text = grem(thursday, Channel.EMAIL, 1440), grem(thursday, Channel.SMS, 120)
    assert status_of(email) is status_of(text) is MessageStatus.PENDING
    # And the sweep has just queued the email (it is due)
    in_flight = sweep_at(alex, pt(2, 18))
    # When Alex withdraws from the group a minute later
    assert withdraw(enrolled, pt(2, 18, 1)) is True
    # Then the text still pending is gone, and the queued email is cancelled at send time
    assert status_of(text) is None
    assert send_at(in_flight, pt(2, 18, 2)) == {"batchItemFailures": []}
    assert status_of(email) is MessageStatus.CANCELLED
    # And the series is ended and out of the job's bucket, so later runs plan nothing
    ended = series()
    assert (ended.status, ended.left_at, ended.reminders) == (SeriesStatus.WITHDRAWN, pt(2, 18, 1), {})
    assert list(store().active_series()) == []
    assert group_reminders.remind_groups(store(), pt(2, 19)) == {"series": 0, "planned": 0}
    assert run_at(alex, pt(3, 16)) == []
    assert sent_emails() == []
    assert sent_sms() == []


def test_an_older_enrolment_record_never_brings_the_series_back(alex):
    # Given Alex enrolled, then withdrawn
    enrolled = enrol()
    withdraw(enrolled, pt(2, 9))
    # When the enrolment record arrives again (a retried stream batch)
    assert events.apply_group_series(published(record(enrolled, None)), store()) is False
    # Then the series stays ended and the job plans nothing for it
    assert series().status is SeriesStatus.WITHDRAWN
    assert group_reminders.remind_groups(store(), pt(2, 17))["planned"] == 0


def test_a_run_that_read_the_series_before_a_withdrawal_writes_nothing(alex):
    # Given a job run that has read Alex's series
    enrolled = enrol()
    read = series()
    # When Alex withdraws before that run writes
    withdraw(enrolled, pt(2, 17))
    person = Recipient.of(ALEX, store().get_preferences(ALEX), fallback_zone=GROUP.time_zone)
    # Then its write is refused: no reminder of the withdrawn series exists
    assert group_reminders.plan_series(store(), read, person, pt(2, 17)) == 0
    assert status_of(grem(pt(3, 18), Channel.EMAIL, 1440)) is None


def test_re_enrolling_brings_the_reminders_back(alex):
    # Given Alex withdrew after Thursday's reminders were planned
    enrolled = enrol()
    group_reminders.remind_groups(store(), pt(2, 10))
    assert status_of(grem(pt(3, 18), Channel.SMS, 120)) is None  # beyond the horizon yet
    group_reminders.remind_groups(store(), pt(2, 17))
    withdraw(enrolled, pt(2, 17, 10))
    # When Alex enrols again (schedule's pointer, enrolled anew)
    enrol(pt(2, 17, 20))
    group_reminders.remind_groups(store(), pt(2, 17, 30))
    # Then Thursday's reminders are pending again
    assert status_of(grem(pt(3, 18), Channel.EMAIL, 1440)) is MessageStatus.PENDING
    assert status_of(grem(pt(3, 18), Channel.SMS, 120)) is MessageStatus.PENDING


def test_group_and_session_text_reminders_share_the_daily_limit(alex):
    # Given Alex enrolled, and an individual session on Tuesday at 14:00 PT (text at 12:00)
    enrol()
    session = couples_session(pt(1, 14), session_id="ses_indiv00001").model_copy(
        update={"type": SessionType.INDIVIDUAL, "attendee_ids": (ALEX,), "couple_id": None}
    )
    assert isinstance(session, SessionRecord)
    apply(session)
    group_reminders.remind_groups(store(), NOW)
    run_at(alex, NOW)  # the booking notices
    # When both text reminders come due on the same day
    run_at(alex, pt(1, 12))
    run_at(alex, pt(1, 16))
    # Then the group's is over the one-a-day limit and is not sent
    assert status_of(grem(pt(1, 18), Channel.SMS, 120)) is MessageStatus.SKIPPED_CAP
    reminders = [text for _, text in sent_sms() if text.startswith("Reminder")]
    assert len(reminders) == 1


def test_the_job_does_an_hours_work_once(alex, monkeypatch):
    # Given the job's entry point, on Wednesday at 17:00 PT
    enrol()
    monkeypatch.setattr(group_reminders, "utc_now", lambda: pt(2, 17))
    # When it runs twice in one hour
    first = group_reminders.lambda_handler({}, context("group-reminders"))
    second = group_reminders.lambda_handler({}, context("group-reminders"))
    # Then the first did the work and the second found the hour done
    assert first == {"series": 2, "planned": 3}  # Alex's two, and the facilitator's (email, by default)
    assert set(second) == {"done_already"}
