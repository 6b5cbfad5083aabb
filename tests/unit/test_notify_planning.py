"""Reminder planning, quiet hours, SMS limits and the send-time decision: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.common.dynamo import to_item
from functions.common.streams import to_change
from functions.notify.logic import caps, delivery, followups
from functions.notify.logic.quiet_hours import QuietHours, defer
from functions.notify.logic.reminders import (
    Recipient,
    SessionSnapshot,
    notice_id,
    plan_notices,
    plan_reminders,
    plan_session_change,
    recipients_of,
    reminder_id,
    reminder_still_current,
)
from functions.notify.models import (
    Choices,
    MessageRecord,
    PreferencesRecord,
    SessionNotices,
    SmsConsent,
)
from functions.notify.vocabulary import Channel, Language, MessageKind, MessageStatus
from functions.schedule.publish import translate
from tests.support import published_images

LA = "America/Los_Angeles"
PT = ZoneInfo(LA)
NOW = datetime(2027, 6, 1, 16, 0, tzinfo=UTC)  # Tue 09:00 PT


def pt(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 6, day, hour, minute, tzinfo=PT).astimezone(UTC)


def prefs(person_id: str = "per_alex00001", *, sms: bool = True, consent: bool = True, **kw: Any):
    fields: dict[str, Any] = {
        "person_id": person_id,
        "preferences": Choices(sms_enabled=sms, **kw.pop("preferences", {})),
        "updated_at": NOW,
        "version": 1,
        "email": "alex@example.com",
        "phone": "+15125550101",
        "time_zone": LA,
        "sms_consent": SmsConsent(granted_at=NOW, source="web") if consent else None,
    }
    fields.update(kw)
    return PreferencesRecord(**fields)


def session(**overrides: Any) -> SessionSnapshot:
    fields: dict[str, Any] = {
        "session_id": "ses_couples0001",
        "version": 1,
        "status": "booked",
        "event": "booked",
        "type": "couples",
        "start": pt(3, 18),
        "end": pt(3, 19),
        "clinician_ids": ("per_clin00001",),
        "attendee_ids": ("per_alex00001", "per_jamie0001"),
        "time_zones": {"per_alex00001": LA, "per_jamie0001": LA, "per_clin00001": "America/Denver"},
    }
    fields.update(overrides)
    return SessionSnapshot(**fields)


# --- quiet hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_default_quiet_hours_wrap_midnight(local, quiet):
    moment = datetime.combine(datetime(2027, 6, 1).date(), local, tzinfo=PT)
    assert QuietHours(zone=LA).contains(moment) is quiet


def test_a_window_inside_one_day_and_an_empty_one():
    lunch = QuietHours(time(12, 0), time(13, 0), LA)
    assert lunch.contains(datetime(2027, 6, 1, 12, 30, tzinfo=PT))
    assert not lunch.contains(datetime(2027, 6, 1, 13, 0, tzinfo=PT))
    assert not QuietHours(time(0), time(0), LA).contains(datetime(2027, 6, 1, 3, 0, tzinfo=PT))


def test_quiet_period_ends_the_next_morning_in_the_persons_zone():
    quiet = QuietHours(zone=LA)
    assert quiet.end_after(pt(1, 22, 15)) == pt(2, 8)
    assert quiet.end_after(pt(2, 6, 30)) == pt(2, 8)
    assert quiet.end_after(pt(2, 9)) == pt(2, 9)


def test_quiet_hours_follow_the_wall_clock_across_dst():
    # 2027-03-14: US clocks spring forward; 08:00 PDT is 15:00 UTC (the day before: 16:00 UTC).
    quiet = QuietHours(zone=LA)
    night = datetime(2027, 3, 13, 23, 0, tzinfo=PT)
    assert quiet.end_after(night) == datetime(2027, 3, 14, 15, 0, tzinfo=UTC)


def test_defer_drops_when_the_session_starts_before_quiet_hours_end():
    quiet = QuietHours(zone=LA)
    kept = defer(pt(2, 6), quiet, session_start=pt(2, 8, 30))
    assert (kept.due, kept.deferred, kept.dropped) == (pt(2, 8), True, False)
    gone = defer(pt(2, 6), quiet, session_start=pt(2, 8))
    assert gone.dropped
    untouched = defer(pt(2, 10), quiet, session_start=pt(2, 12))
    assert (untouched.due, untouched.deferred, untouched.dropped) == (pt(2, 10), False, False)


# --- SMS limits ---------------------------------------------------------------------------------


def test_cap_counters_are_the_persons_local_day_and_iso_week():
    # 2027-06-07 03:00 UTC is Sun 6 Jun 20:00 in Los Angeles: ISO week 22, not 23.
    day, week = caps.sms_reminder_counters(datetime(2027, 6, 7, 3, 0, tzinfo=UTC), LA)
    assert (day.name, day.sort_key, day.limit) == ("day", "SMSCAP#D#2027-06-06", 1)
    assert (week.name, week.sort_key, week.limit) == ("week", "SMSCAP#W#2027-W22", 3)
    assert day.expires_at > datetime(2027, 6, 7, 3, 0, tzinfo=UTC)
    assert week.expires_at > datetime(2027, 6, 14, tzinfo=UTC)
    day_utc, week_utc = caps.sms_reminder_counters(datetime(2027, 6, 7, 3, 0, tzinfo=UTC), "UTC")
    assert (day_utc.sort_key, week_utc.sort_key) == ("SMSCAP#D#2027-06-07", "SMSCAP#W#2027-W23")


def test_iso_week_of_the_new_year():
    _, week = caps.sms_reminder_counters(datetime(2027, 1, 1, 18, 0, tzinfo=UTC), LA)
    assert week.sort_key == "SMSCAP#W#2026-W53"


# --- who is told how ----------------------------------------------------------------------------


def test_without_saved_preferences_a_person_gets_one_email_a_day_before_and_no_sms():
    person = Recipient.of("per_jamie0001", None, fallback_zone=LA)
    assert person.channels == (Channel.EMAIL,)
    assert person.offsets == {Channel.EMAIL: (1440,)}
    assert person.zone == LA
    assert person.language is Language.EN


def test_sms_needs_consent_the_switch_and_a_number():
    assert Recipient.of("p", prefs(), fallback_zone="UTC").offsets[Channel.SMS] == (120,)
    for record in (prefs(consent=False), prefs(sms=False), prefs(phone=None)):
        assert Channel.SMS not in Recipient.of("p", record, fallback_zone="UTC").channels


def test_texts_are_planned_while_consent_is_withdrawn_for_the_sender_to_check():
    # A STOP may be undone by START before a text is due: the sender decides when it is.
    revoked = prefs(sms_consent=SmsConsent(granted_at=NOW, source="web", revoked_at=NOW))
    assert Channel.SMS in Recipient.of("p", revoked, fallback_zone="UTC").channels


def test_saved_offsets_zone_language_and_quiet_hours_apply():
    record = prefs(
        preferences={"reminder_offsets_minutes": [30, 2880], "quiet_hours_start": "22:00"},
        language=Language.ES,
        time_zone="America/Chicago",
        sms_reminder_offsets_minutes=(60, 180),
    )
    person = Recipient.of("p", record, fallback_zone=LA)
    assert person.offsets == {Channel.EMAIL: (2880, 30), Channel.SMS: (180, 60)}
    assert person.zone == "America/Chicago"
    assert person.language is Language.ES
    assert person.quiet == QuietHours(time(22), time(8), "America/Chicago")
    email_off = prefs(preferences={"email_enabled": False})
    assert Recipient.of("p", email_off, fallback_zone=LA).channels == (Channel.SMS,)


def test_a_couples_session_tells_both_partners_and_the_clinician():
    people = recipients_of(session(), {"per_alex00001": prefs()})
    assert [p.person_id for p in people] == ["per_alex00001", "per_jamie0001", "per_clin00001"]
    assert people[2].zone == "America/Denver"  # no preferences: the zone the booking recorded


# --- reminders ----------------------------------------------------------------------------------


def test_reminders_per_person_channel_and_offset_with_deterministic_ids():
    people = recipients_of(session(), {"per_alex00001": prefs()})
    planned = plan_reminders(session(), people, NOW)
    ids = {m.message_id for m in planned}
    assert ids == {
        reminder_id("ses_couples0001", 1, "per_alex00001", Channel.EMAIL, 1440),
        reminder_id("ses_couples0001", 1, "per_alex00001", Channel.EMAIL, 60),
        reminder_id("ses_couples0001", 1, "per_alex00001", Channel.SMS, 120),
        reminder_id("ses_couples0001", 1, "per_jamie0001", Channel.EMAIL, 1440),
        reminder_id("ses_couples0001", 1, "per_clin00001", Channel.EMAIL, 1440),
    }
    assert "rem.ses_couples0001.v1.per_alex00001.sms.120" in ids
    sms = next(m for m in planned if m.channel is Channel.SMS)
    assert sms.due_at == pt(3, 16)
    assert sms.kind is MessageKind.REMINDER
    assert sms.status is MessageStatus.PENDING
    assert (sms.start, sms.end, sms.session_version, sms.time_zone) == (pt(3, 18), pt(3, 19), 1, LA)
    assert plan_reminders(session(), people, NOW) == planned  # the same record plans the same


def test_reminders_already_due_are_not_planned():
    soon = session(start=NOW + timedelta(hours=3), end=NOW + timedelta(hours=4))
    planned = plan_reminders(soon, recipients_of(soon, {"per_alex00001": prefs()}), NOW)
    assert [(m.person_id, m.channel, m.offset_minutes) for m in planned] == [
        ("per_alex00001", Channel.EMAIL, 60),
        ("per_alex00001", Channel.SMS, 120),
    ]


def test_a_reminder_due_in_quiet_hours_is_deferred_to_their_end():
    early = session(start=pt(3, 8, 30), end=pt(3, 9, 30))
    planned = plan_reminders(early, recipients_of(early, {"per_alex00001": prefs()}), NOW)
    sms = next(m for m in planned if m.channel is Channel.SMS)
    assert sms.due_at == pt(3, 8)  # due 06:30, quiet until 08:00
    assert sms.status is MessageStatus.PENDING


def test_a_reminder_quiet_hours_would_push_past_the_start_is_dropped():
    dawn = session(start=pt(3, 7, 30), end=pt(3, 8, 30))
    planned = plan_reminders(dawn, recipients_of(dawn, {"per_alex00001": prefs()}), NOW)
    sms = next(m for m in planned if m.channel is Channel.SMS)
    assert sms.status is MessageStatus.DROPPED_QUIET_HOURS
    email_hour = next(m for m in planned if m.channel is Channel.EMAIL and m.offset_minutes == 60)
    assert email_hour.status is MessageStatus.DROPPED_QUIET_HOURS


def test_two_reminders_quiet_hours_would_send_together_become_one():
    record = prefs(sms_reminder_offsets_minutes=(180, 120))
    early = session(start=pt(3, 9), end=pt(3, 10))
    planned = plan_reminders(early, recipients_of(early, {"per_alex00001": record}), NOW)
    sms = sorted((m for m in planned if m.channel is Channel.SMS), key=lambda m: -(m.offset_minutes or 0))
    assert [(m.offset_minutes, m.status) for m in sms] == [
        (180, MessageStatus.PENDING),
        (120, MessageStatus.DROPPED_QUIET_HOURS),
    ]
    assert sms[0].due_at == pt(3, 8)


def test_notices_go_now_but_texts_wait_out_quiet_hours():
    late = NOW.replace(hour=5)  # 22:00 PT the evening before
    notices = plan_notices(
        session(), MessageKind.BOOKED, recipients_of(session(), {"per_alex00001": prefs()}), late
    )
    by_channel = {(m.person_id, m.channel): m for m in notices}
    assert by_channel[("per_alex00001", Channel.EMAIL)].due_at == late
    assert by_channel[("per_alex00001", Channel.SMS)].due_at == pt(1, 8)
    assert by_channel[("per_jamie0001", Channel.EMAIL)].message_id == notice_id(
        "ses_couples0001", 1, "per_jamie0001", Channel.EMAIL
    )
    assert len(notices) == 4


# --- a session record against notify's marker ------------------------------------------------------


def _people() -> list[Recipient]:
    return recipients_of(session(), {"per_alex00001": prefs()})


def test_first_booking_plans_notices_and_reminders_and_a_marker():
    plan = plan_session_change(session(), old=None, marker=None, recipients=_people(), now=NOW)
    assert plan is not None
    assert plan.expected_version is None
    kinds = sorted(m.kind.value for m in plan.messages if m.kind)
    assert kinds.count("booked") == 4
    assert kinds.count("reminder") == 5
    assert plan.retire == ()
    assert plan.marker.version == plan.marker.times_version == 1
    assert set(plan.marker.reminder_ids) == {
        m.message_id for m in plan.messages if m.kind is MessageKind.REMINDER
    }


def _marker(plan_session: SessionSnapshot) -> SessionNotices:
    plan = plan_session_change(plan_session, old=None, marker=None, recipients=_people(), now=NOW)
    assert plan is not None
    return plan.marker


def test_a_redelivered_or_older_record_plans_nothing():
    marker = _marker(session())
    assert plan_session_change(session(), old=None, marker=marker, recipients=_people(), now=NOW) is None
    later = marker.model_copy(update={"version": 3})
    assert (
        plan_session_change(session(version=2), old=None, marker=later, recipients=_people(), now=NOW) is None
    )


def test_rescheduling_retires_the_old_reminders_and_plans_new_ones():
    marker = _marker(session())
    moved = session(version=2, event="rescheduled", start=pt(4, 18), end=pt(4, 19))
    plan = plan_session_change(moved, old=session(), marker=marker, recipients=_people(), now=NOW)
    assert plan is not None
    assert plan.expected_version == 1
    assert set(plan.retire) == set(marker.reminder_ids)
    notices = [m for m in plan.messages if m.kind is MessageKind.RESCHEDULED]
    assert len(notices) == 4
    assert all(m.previous_start == pt(3, 18) and m.start == pt(4, 18) for m in notices)
    reminders = [m for m in plan.messages if m.kind is MessageKind.REMINDER]
    assert all(".v2." in m.message_id for m in reminders)
    assert plan.marker.times_version == 2
    assert set(plan.marker.reminder_ids) == {m.message_id for m in reminders}


def test_cancelling_retires_reminders_and_tells_everyone():
    marker = _marker(session())
    cancelled = session(version=2, event="cancelled", status="late_cancelled")
    plan = plan_session_change(cancelled, old=session(), marker=marker, recipients=_people(), now=NOW)
    assert plan is not None
    assert set(plan.retire) == set(marker.reminder_ids)
    assert {m.kind for m in plan.messages} == {MessageKind.CANCELLED}
    assert plan.marker.reminder_ids == ()
    assert plan.marker.status == "late_cancelled"


def test_attendance_and_unchanged_times_plan_nothing_new():
    marker = _marker(session())
    attended = session(version=2, event="attendance_recorded")
    assert plan_session_change(attended, old=session(), marker=marker, recipients=_people(), now=NOW) is None
    same = session(version=2, event="booked")
    plan = plan_session_change(same, old=session(), marker=marker, recipients=_people(), now=NOW)
    assert plan is not None
    assert plan.messages == ()
    assert plan.marker.reminder_ids == marker.reminder_ids


def test_a_reminder_is_current_only_while_its_session_is_booked_at_its_times():
    marker = _marker(session())
    reminder = MessageRecord(
        message_id=marker.reminder_ids[0],
        person_id="per_alex00001",
        channel=Channel.EMAIL,
        kind=MessageKind.REMINDER,
        session_id="ses_couples0001",
        due_at=NOW,
    )
    assert reminder_still_current(reminder, marker)
    assert not reminder_still_current(reminder, marker.model_copy(update={"status": "cancelled"}))
    assert not reminder_still_current(reminder, marker.model_copy(update={"reminder_ids": ()}))
    assert not reminder_still_current(reminder, None)


def test_snapshot_reads_a_schedule_session_item():
    from functions.schedule.models import SessionRecord
    from functions.schedule.vocabulary import SessionType

    record = SessionRecord(
        session_id="ses_couples0001",
        type=SessionType.COUPLES,
        start=pt(3, 18),
        end=pt(3, 19),
        clinician_ids=("per_clin00001",),
        attendee_ids=("per_alex00001", "per_jamie0001"),
        time_zones={"per_alex00001": LA},
        created_by="per_clin00001",
        updated_at=NOW,
    )
    snapshot, before = SessionSnapshot.from_event(published_images(record.to_attributes()))
    assert before is None
    assert snapshot.start == pt(3, 18)
    assert (snapshot.status, snapshot.event, snapshot.type, snapshot.version) == (
        "booked",
        "booked",
        "couples",
        1,
    )
    assert snapshot.people == ("per_alex00001", "per_jamie0001", "per_clin00001")


# --- at send time -------------------------------------------------------------------------------


def _message(**overrides: Any) -> MessageRecord:
    fields: dict[str, Any] = {
        "message_id": "rem.ses_couples0001.v1.per_alex00001.sms.120",
        "person_id": "per_alex00001",
        "channel": Channel.SMS,
        "kind": MessageKind.REMINDER,
        "due_at": pt(3, 16),
        "status": MessageStatus.QUEUED,
        "session_id": "ses_couples0001",
        "start": pt(3, 18),
        "end": pt(3, 19),
        "time_zone": LA,
    }
    fields.update(overrides)
    return MessageRecord(**fields)


def _current_marker() -> SessionNotices:
    return SessionNotices(
        session_id="ses_couples0001",
        version=1,
        times_version=1,
        status="booked",
        start=pt(3, 18),
        end=pt(3, 19),
        reminder_ids=("rem.ses_couples0001.v1.per_alex00001.sms.120",),
    )


def test_decide_sends_an_sms_reminder_counting_against_the_limits():
    decision = delivery.decide(_message(), prefs(language=Language.ES), _current_marker(), pt(3, 16))
    assert decision == delivery.Send(address="+15125550101", zone=LA, language=Language.ES, capped=True)


@pytest.mark.parametrize(
    ("record", "marker", "now", "status"),
    [
        (prefs(), None, pt(3, 16), MessageStatus.CANCELLED),
        (prefs(), "cancelled", pt(3, 16), MessageStatus.CANCELLED),
        (prefs(), "current", pt(3, 18), MessageStatus.EXPIRED),
        (None, "current", pt(3, 16), MessageStatus.SKIPPED_NO_CONSENT),
        (prefs(consent=False), "current", pt(3, 16), MessageStatus.SKIPPED_NO_CONSENT),
        (prefs(sms=False), "current", pt(3, 16), MessageStatus.SKIPPED_NO_CONSENT),
        (prefs(phone=None), "current", pt(3, 16), MessageStatus.SKIPPED_NO_CONTACT),
        (prefs(deactivated=True), "current", pt(3, 16), MessageStatus.CANCELLED),
    ],
)
def test_decide_skips(record, marker, now, status):
    current = _current_marker()
    session_marker = {
        None: None,
        "current": current,
        "cancelled": current.model_copy(update={"status": "cancelled"}),
    }
    decision = delivery.decide(_message(), record, session_marker[marker], now)
    assert isinstance(decision, delivery.Skip)
    assert decision.status is status


def test_decide_defers_or_drops_inside_quiet_hours_at_send_time():
    # The sweep was down: the 16:00 reminder reaches the sender at 22:30.
    message = _message(start=pt(4, 10), end=pt(4, 11))
    deferred = delivery.decide(message, prefs(), _current_marker(), pt(3, 22, 30))
    assert deferred == delivery.Defer(until=pt(4, 8), reason="quiet hours")
    dawn = _message(start=pt(4, 7, 45), end=pt(4, 8, 45))
    dropped = delivery.decide(dawn, prefs(), _current_marker(), pt(3, 22, 30))
    assert isinstance(dropped, delivery.Skip)
    assert dropped.status is MessageStatus.DROPPED_QUIET_HOURS


def test_an_email_notice_ignores_quiet_hours_but_a_text_notice_waits():
    email = _message(
        channel=Channel.EMAIL, kind=MessageKind.BOOKED, message_id="ntc.x.v1.per_alex00001.email"
    )
    assert isinstance(delivery.decide(email, prefs(), None, pt(3, 23)), delivery.Send)
    text = _message(kind=MessageKind.BOOKED, message_id="ntc.x.v1.per_alex00001.sms")
    assert delivery.decide(text, prefs(), None, pt(3, 23)) == delivery.Defer(
        until=pt(4, 8), reason="quiet hours"
    )


def test_email_needs_an_address_and_the_switch_on():
    email = _message(channel=Channel.EMAIL, kind=MessageKind.BOOKED, message_id="ntc.x")
    no_address = delivery.decide(email, None, None, pt(3, 12))
    assert isinstance(no_address, delivery.Skip)
    assert no_address.status is MessageStatus.SKIPPED_NO_CONTACT
    off = delivery.decide(email, prefs(preferences={"email_enabled": False}), None, pt(3, 12))
    assert isinstance(off, delivery.Skip)
    assert off.status is MessageStatus.SKIPPED_NO_CONSENT
    ok = delivery.decide(email, prefs(), None, pt(3, 12))
    assert ok == delivery.Send(address="alex@example.com", zone=LA, language=Language.EN, capped=False)


# --- missed-session follow-ups --------------------------------------------------------------------


def test_only_a_new_open_offer_is_published_for_a_follow_up():
    offer = {
        "entity": "MAKEUP_OFFER",
        "person_id": "per_alex00001",
        "missed_session_id": "ses_1",
        "missed_type": "individual",
        "week": "2027-W22",
        "options": [],
        "status": "open",
    }

    def published_types(new: dict[str, Any], old: dict[str, Any] | None) -> list[str]:
        images = {"NewImage": to_item(new), **({"OldImage": to_item(old)} if old else {})}
        return [e.type for e in translate(to_change({"eventName": "MODIFY", "dynamodb": images}))]

    assert published_types(offer, None) == ["makeup.offered"]
    assert published_types({**offer, "status": "accepted"}, offer) == []
    assert published_types({**offer, "status": "expired"}, None) == []


def test_a_follow_up_per_channel_keeps_only_option_kinds_and_times():
    offer = {
        "person_id": "per_alex00001",
        "missed_session_id": "ses_1",
        "missed_type": "individual",
        "options": [
            {"kind": "makeup_session", "clinician_id": "per_clin00001", "start": "2027-06-04T00:00:00Z"},
            {"kind": "recording", "group_id": "grp_1"},
        ],
    }
    late = pt(1, 22)
    planned = followups.plan_missed_session(offer, prefs(), late)
    by_channel = {m.channel: m for m in planned}
    assert set(by_channel) == {Channel.EMAIL, Channel.SMS}
    assert by_channel[Channel.EMAIL].due_at == late
    assert by_channel[Channel.SMS].due_at == pt(2, 8)  # texts wait out quiet hours
    assert by_channel[Channel.EMAIL].message_id == "mkp.ses_1.per_alex00001.email"
    assert by_channel[Channel.EMAIL].detail == {
        "options": [{"kind": "makeup_session", "start": "2027-06-04T00:00:00Z"}, {"kind": "recording"}]
    }
    assert by_channel[Channel.EMAIL].kind is MessageKind.MISSED_SESSION
    no_prefs = followups.plan_missed_session(offer, None, late)
    assert [m.channel for m in no_prefs] == [Channel.EMAIL]
