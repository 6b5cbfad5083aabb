"""The facilitator's reminders of group occurrences, on moto: enrolment records -> the
facilitator's series item -> the hourly job -> the sweep and the sender.

The group (from test_notify_groups) meets Tuesdays and Thursdays at 18:00 PT from Tuesday
1 June 2027 and is led by Dr. Lee (`CLIN`), in Denver (18:00 PT is 19:00 MT), who takes
email reminders a day and twelve hours before. Alex (email a day before, text two hours
before) and Jamie (email a day before) are its participants.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

import pytest

from functions.common.dynamo import to_item
from functions.common.models import iso
from functions.notify import events, group_reminders, keys
from functions.notify.logic.groups import group_reminder_id
from functions.notify.logic.reminders import Recipient
from functions.notify.models import Choices, GroupSeries, PreferencesRecord, SmsConsent
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Channel, MessageStatus, SeriesRole, SeriesStatus
from functions.schedule.models import SessionRecord
from functions.schedule.vocabulary import ENTITY_GROUP_ENROLMENT, EnrolmentStatus, SessionType
from tests.integration.test_notify_groups import GROUP, record
from tests.integration.test_notify_reminders import (
    ALEX,
    CLIN,
    JAMIE,
    LA,
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
from tests.support import published
from tests.unit.test_notify_templates import PARTICIPANT_NAMES

DENVER = "America/Denver"
CLIN2 = "per_clin00002"
CLIN_EMAIL, CLIN2_EMAIL = "dr.lee@example.com", "dr.okafor@example.com"
CLIN_PHONE = "+13035550142"
THURSDAY = pt(3, 18)
"""Thursday 3 June, 18:00 PT: the occurrence the job plans on Wednesday evening."""

assert GROUP.facilitator_id == CLIN


def save_clinician(
    person_id: str, email_address: str, *, offsets: list[int], sms_offsets: tuple[int, ...] = ()
) -> None:
    """A clinician's own preferences, in Denver; texts (at their own number) when given offsets."""
    store().put_preferences(
        PreferencesRecord(
            person_id=person_id,
            preferences=Choices(sms_enabled=bool(sms_offsets), reminder_offsets_minutes=offsets),
            updated_at=NOW,
            version=1,
            email=email_address,
            phone=CLIN_PHONE if sms_offsets else None,
            time_zone=DENVER,
            sms_consent=SmsConsent(granted_at=NOW, source="web") if sms_offsets else None,
            sms_reminder_offsets_minutes=sms_offsets or (120,),
        ),
        expected_version=0,
    )


@pytest.fixture
def group(moto_env: dict[str, Any]) -> dict[str, Any]:
    save_prefs(ALEX, email_address="alex@example.com", sms=True)
    save_prefs(JAMIE, email_address="jamie@example.com")
    save_clinician(CLIN, CLIN_EMAIL, offsets=[1440, 720])
    save_clinician(CLIN2, CLIN2_EMAIL, offsets=[1440])
    return moto_env


def texting_clinician(moto_env: dict[str, Any]) -> None:
    """Dr. Lee's preferences replaced: email a day before, and texts two hours before."""
    moto_env["dynamodb"].delete_item(
        TableName=moto_env["tables"]["notify"], Key=to_item(keys.preferences_key(CLIN))
    )
    save_clinician(CLIN, CLIN_EMAIL, offsets=[1440], sms_offsets=(120,))


def pointer(
    person_id: str,
    status: EnrolmentStatus,
    since: datetime,
    *,
    joined: datetime,
    left: datetime | None = None,
    facilitator: str = CLIN,
) -> dict[str, Any]:
    """A participant's GROUP_ENROLMENT item as schedule writes it (`GroupStore._pointer_put`)."""
    return {
        "pk": f"PERSON#{person_id}",
        "sk": f"GROUP#{GROUP.group_id}",
        "entity": ENTITY_GROUP_ENROLMENT,
        "participant_id": person_id,
        "status": status.value,
        "since": iso(since),
        "gsi1pk": f"SCHED#{person_id}",
        "joined_at": iso(joined),
        **({"left_at": iso(left)} if left else {}),
        **GROUP.schedule_attributes(),
        "facilitator_id": facilitator,
    }


def enrol(person_id: str, at: datetime = NOW) -> dict[str, Any]:
    item = pointer(person_id, EnrolmentStatus.ENROLLED, at, joined=at)
    assert events.apply_group_series(published(record(item, None)), store()) is True
    return item


def withdraw(enrolled: dict[str, Any], at: datetime) -> dict[str, Any]:
    gone = pointer(
        enrolled["participant_id"],
        EnrolmentStatus.WITHDRAWN,
        at,
        joined=datetime.fromisoformat(enrolled["joined_at"]),
        left=at,
        facilitator=enrolled["facilitator_id"],
    )
    assert events.apply_group_series(published(record(gone, enrolled)), store()) is True
    return gone


def hand_over(enrolled: dict[str, Any], to: str, at: datetime) -> dict[str, Any]:
    """Schedule gives the series another facilitator: the participant's pointer, rewritten."""
    moved = {**enrolled, "facilitator_id": to, "since": iso(at)}
    assert events.apply_group_series(published(record(moved, enrolled)), store()) is True
    return moved


def grem(person_id: str, channel: Channel, offset: int, start: datetime = THURSDAY) -> str:
    return group_reminder_id(GROUP.group_id, start, person_id, channel, offset)


def series_of(person_id: str) -> GroupSeries:
    found = store().get_group_series(person_id, GROUP.group_id)
    assert found is not None
    return found


def emails_to(address: str) -> list[Any]:
    return [message for destinations, message in sent_emails() if destinations == [address]]


def test_the_facilitator_of_two_participants_gets_one_reminder_per_occurrence_at_their_own_offsets(group):
    # Given Alex and Jamie enrolled in Dr. Lee's group on Tuesday morning
    enrol(ALEX)
    enrol(JAMIE, pt(1, 9, 5))
    # Then Dr. Lee has one series item, listing both, in the bucket the hourly job reads
    lead = series_of(CLIN)
    assert (lead.role, lead.status, lead.participants, lead.joined_at) == (
        SeriesRole.FACILITATOR,
        SeriesStatus.ENROLLED,
        tuple(sorted((ALEX, JAMIE))),
        NOW,
    )
    assert sorted((s.person_id, s.role) for s in store().active_series()) == [
        (ALEX, SeriesRole.PARTICIPANT),
        (CLIN, SeriesRole.FACILITATOR),
        (JAMIE, SeriesRole.PARTICIPANT),
    ]
    # When the hourly job runs on Wednesday evening, three times
    results = [group_reminders.remind_groups(store(), at) for at in (pt(2, 17), pt(2, 17, 30), pt(2, 17))]
    # Then the first run planned Thursday's reminders: Alex's two, Jamie's one and Dr. Lee's
    # two (one per offset, however many participants), and the later runs nothing
    assert [r["planned"] for r in results] == [5, 0, 0]
    mine = {grem(CLIN, Channel.EMAIL, 1440), grem(CLIN, Channel.EMAIL, 720)}
    assert set(series_of(CLIN).reminders) == mine
    found = store().get_messages(mine)
    # At Dr. Lee's own offsets on Dr. Lee's clock: a day before (19:00 MT), and twelve hours
    # before (07:00 MT, inside Dr. Lee's quiet hours: deferred to 08:00 MT, 07:00 PT)
    assert {m.message_id: (m.due_at, m.status, m.person_id) for m in found.values()} == {
        grem(CLIN, Channel.EMAIL, 1440): (pt(2, 18), MessageStatus.PENDING, CLIN),
        grem(CLIN, Channel.EMAIL, 720): (pt(3, 7), MessageStatus.PENDING, CLIN),
    }
    # And each goes to Dr. Lee once, however often the loops run
    for at in (pt(2, 18), pt(2, 18, 1), pt(3, 7), pt(3, 7, 1)):
        run_at(group, at)
    assert [m["Subject"] for m in emails_to(CLIN_EMAIL)] == [
        "Reminder: your group session tomorrow at 7:00 PM MT",
        "Reminder: your group session today at 7:00 PM MT",
    ]
    assert status_of(grem(CLIN, Channel.EMAIL, 720)) is MessageStatus.SENT


def test_the_last_participant_withdrawing_cancels_the_facilitators_future_reminders(group):
    # Given Alex and Jamie enrolled, and Thursday's reminders planned on Wednesday evening
    alex = enrol(ALEX)
    jamie = enrol(JAMIE)
    group_reminders.remind_groups(store(), pt(2, 17))
    day_before, morning = grem(CLIN, Channel.EMAIL, 1440), grem(CLIN, Channel.EMAIL, 720)
    # When Jamie withdraws
    withdraw(jamie, pt(2, 17, 10))
    # Then Dr. Lee still leads Alex, and keeps the reminders
    assert series_of(CLIN).participants == (ALEX,)
    assert status_of(day_before) is status_of(morning) is MessageStatus.PENDING
    # When the sweep has just queued the day-before email and Alex, the last, withdraws
    in_flight = sweep_at(group, pt(2, 18))
    assert day_before in [json.loads(m["Body"])["message_id"] for m in in_flight]
    withdraw(alex, pt(2, 18, 1))
    # Then Dr. Lee's item is ended; the reminder still pending is gone and the queued one is
    # cancelled at send time
    ended = series_of(CLIN)
    assert (ended.status, ended.participants, ended.reminders, ended.left_at) == (
        SeriesStatus.WITHDRAWN,
        (),
        {},
        pt(2, 18, 1),
    )
    assert status_of(morning) is None
    assert send_at(in_flight, pt(2, 18, 2)) == {"batchItemFailures": []}
    assert status_of(day_before) is MessageStatus.CANCELLED
    # And the next runs plan nothing for anyone, and nothing reaches Dr. Lee
    assert list(store().active_series()) == []
    assert group_reminders.remind_groups(store(), pt(2, 19)) == {"series": 0, "planned": 0}
    assert run_at(group, pt(3, 7)) == []
    assert emails_to(CLIN_EMAIL) == []


def test_a_facilitator_change_moves_the_future_reminders_to_the_new_facilitator(group):
    # Given Alex and Jamie enrolled under Dr. Lee, and Thursday's reminders planned
    alex = enrol(ALEX)
    jamie = enrol(JAMIE)
    group_reminders.remind_groups(store(), pt(2, 17))
    old = {grem(CLIN, Channel.EMAIL, 1440), grem(CLIN, Channel.EMAIL, 720)}
    assert {status_of(m) for m in old} == {MessageStatus.PENDING}
    # When schedule hands the group to Dr. Okafor: both pointers carry the new facilitator
    hand_over(alex, CLIN2, pt(2, 17, 10))
    # (halfway, each leads one participant)
    assert (series_of(CLIN).participants, series_of(CLIN2).participants) == ((JAMIE,), (ALEX,))
    hand_over(jamie, CLIN2, pt(2, 17, 11))
    # Then Dr. Lee's item is ended and its pending reminders are gone
    assert series_of(CLIN).status is SeriesStatus.WITHDRAWN
    assert {status_of(m) for m in old} == {None}
    # And Dr. Okafor's item leads both, from the change on
    new_lead = series_of(CLIN2)
    assert (new_lead.role, new_lead.active, new_lead.participants, new_lead.joined_at) == (
        SeriesRole.FACILITATOR,
        True,
        tuple(sorted((ALEX, JAMIE))),
        pt(2, 17, 10),
    )
    # When the job runs again (twice)
    planned = [group_reminders.remind_groups(store(), pt(2, 17, 30))["planned"] for _ in range(2)]
    # Then Dr. Okafor's reminder of Thursday is planned once (the participants' were planned
    # already), and Dr. Lee's none
    assert planned == [1, 0]
    assert status_of(grem(CLIN2, Channel.EMAIL, 1440)) is MessageStatus.PENDING
    assert {status_of(m) for m in old} == {None}
    run_at(group, pt(2, 18))
    run_at(group, pt(3, 7))
    assert len(emails_to(CLIN2_EMAIL)) == 1
    assert emails_to(CLIN_EMAIL) == []


def test_the_facilitators_messages_name_no_participant(group):
    # Given Dr. Lee also takes texts two hours before, and Alex and Jamie are enrolled
    texting_clinician(group)
    enrol(ALEX)
    enrol(JAMIE)
    # When Thursday's reminders are planned and sent
    group_reminders.remind_groups(store(), pt(2, 17))
    run_at(group, pt(2, 18))
    run_at(group, pt(3, 16))
    # Then Dr. Lee got an email and a text, naming the time and nobody in the group
    (mail,) = emails_to(CLIN_EMAIL)
    texts = [text for phone, text in sent_sms() if phone == CLIN_PHONE]
    assert len(texts) == 1
    words = [str(mail["Subject"]), body_of(mail), *texts]
    for text in words:
        lowered = text.casefold()
        for name in (*PARTICIPANT_NAMES, ALEX, JAMIE, "mindfulness", "tuesday evening"):
            assert name.casefold() not in lowered, (name, text)
    assert "7:00 PM MT" in texts[0]
    # And the stored reminders carry no participant either
    for message in (
        store().get_messages([grem(CLIN, Channel.EMAIL, 1440), grem(CLIN, Channel.SMS, 120)]).values()
    ):
        stored = json.dumps(message.to_attributes())
        assert ALEX not in stored, stored
        assert JAMIE not in stored, stored


def test_the_facilitators_texts_share_their_daily_limit_with_session_reminders(group):
    # Given Dr. Lee takes texts two hours before, leads the group Alex is in, and holds a
    # couples session on Tuesday at 14:00 PT (text at 12:00 PT)
    texting_clinician(group)
    enrol(ALEX)
    session = couples_session(pt(1, 14), session_id="ses_indiv00002").model_copy(
        update={"type": SessionType.INDIVIDUAL, "attendee_ids": (JAMIE,), "couple_id": None}
    )
    assert isinstance(session, SessionRecord)
    apply(session)
    group_reminders.remind_groups(store(), NOW)
    run_at(group, NOW)  # the booking notices
    # When both of Dr. Lee's text reminders come due on Tuesday
    run_at(group, pt(1, 12))
    run_at(group, pt(1, 16))
    # Then the group's is over the one-a-day limit and is not sent
    assert status_of(grem(CLIN, Channel.SMS, 120, pt(1, 18))) is MessageStatus.SKIPPED_CAP
    assert (
        len([text for phone, text in sent_sms() if phone == CLIN_PHONE and text.startswith("Reminder")]) == 1
    )


def test_a_run_that_read_the_facilitators_item_before_the_last_withdrawal_writes_nothing(group):
    # Given a job run that has read Dr. Lee's item
    alex = enrol(ALEX)
    read = series_of(CLIN)
    # When Alex, the only participant, withdraws before that run writes
    withdraw(alex, pt(2, 17))
    person = Recipient.of(CLIN, store().get_preferences(CLIN), fallback_zone=LA)
    # Then its write is refused: no reminder of the ended item exists
    assert group_reminders.plan_series(store(), read, person, pt(2, 17)) == 0
    assert status_of(grem(CLIN, Channel.EMAIL, 1440)) is None
    assert series_of(CLIN).status is SeriesStatus.WITHDRAWN


def test_participants_recorded_before_facilitators_had_items_are_caught_up_by_the_job(group):
    # Given Alex's and Jamie's series items as notify kept them before facilitators had one
    for person_id in (ALEX, JAMIE):
        item = GroupSeries(
            person_id=person_id,
            group_id=GROUP.group_id,
            facilitator_id=CLIN,
            rrule=GROUP.rrule,
            first_start=GROUP.first_start,
            time_zone=LA,
            duration_minutes=90,
            status=SeriesStatus.ENROLLED,
            since=iso(NOW),
            joined_at=NOW,
            revision=1,
        )
        group["dynamodb"].put_item(TableName=group["tables"]["notify"], Item=to_item(item.to_attributes()))
    assert store().get_group_series(CLIN, GROUP.group_id) is None
    # When the hourly job runs (twice)
    first = group_reminders.remind_groups(store(), pt(2, 17))
    second = group_reminders.remind_groups(store(), pt(2, 17, 30))
    # Then Dr. Lee's item exists with both, and Dr. Lee's reminders were planned once
    assert series_of(CLIN).participants == tuple(sorted((ALEX, JAMIE)))
    assert (first, second) == ({"series": 3, "planned": 5}, {"series": 3, "planned": 0})
    assert status_of(grem(CLIN, Channel.EMAIL, 1440)) is MessageStatus.PENDING


def test_a_catch_up_that_read_a_participant_before_they_withdrew_creates_nothing(group):
    # Given a participant's item the job read (from before facilitators had items)
    alex = enrol(ALEX)
    read = series_of(ALEX)
    group["dynamodb"].delete_item(
        TableName=group["tables"]["notify"], Key=to_item(keys.group_series_key(CLIN, GROUP.group_id))
    )
    # When Alex withdraws before the job puts them into Dr. Lee's item
    withdraw(alex, pt(2, 17))
    # Then the catch-up is refused and Dr. Lee has no item to plan from
    assert store().join_facilitator(read) is None
    assert store().get_group_series(CLIN, GROUP.group_id) is None
    assert group_reminders.remind_groups(store(), pt(2, 17, 5)) == {"series": 0, "planned": 0}


def test_two_last_participants_withdrawing_at_once_end_the_facilitators_item(
    group, atomic_dynamodb, monkeypatch
):
    # Given Alex and Jamie enrolled, and Dr. Lee's reminders of Thursday planned
    enrolled = [enrol(ALEX), enrol(JAMIE)]
    group_reminders.remind_groups(store(), pt(2, 17))
    # And both withdrawals will have read Dr. Lee's item (listing both) before either writes
    both_read = threading.Barrier(2)
    waited = threading.local()
    read = NotifyStore.get_group_series

    def read_then_wait(self: NotifyStore, person_id: str, group_id: str) -> GroupSeries | None:
        found = read(self, person_id, group_id)
        if person_id == CLIN and getattr(waited, "first_read", False):
            waited.first_read = False
            both_read.wait(timeout=10)
        return found

    monkeypatch.setattr(NotifyStore, "get_group_series", read_then_wait)
    errors: list[BaseException] = []

    def leave(item: dict[str, Any]) -> None:
        waited.first_read = True
        try:
            withdraw(item, pt(2, 17, 10))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # When both withdraw at the same moment (two stream shards at once)
    threads = [threading.Thread(target=leave, args=(item,)) for item in enrolled]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then neither withdrawal was lost: the one that lost the race read again and ended
    # Dr. Lee's item, its reminders gone
    assert errors == []
    assert series_of(CLIN).status is SeriesStatus.WITHDRAWN
    assert status_of(grem(CLIN, Channel.EMAIL, 1440)) is None
    assert list(store().active_series()) == []
