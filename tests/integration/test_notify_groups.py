"""Group enrolments on the schedule stream -> waitlist promotion notices, on moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.common.dynamo import to_item
from functions.common.models import iso
from functions.notify import events
from functions.notify.vocabulary import Channel, MessageKind
from functions.schedule.models import GroupRecord
from functions.schedule.vocabulary import ENTITY_GROUP_ENROLMENT, EnrolmentStatus, GroupType
from tests.integration.test_notify_reminders import (
    ALEX,
    ALEX_PHONE,
    LA,
    NOW,
    PT,
    body_of,
    pt,
    run_at,
    save_prefs,
    sent_emails,
    sent_sms,
    store,
)
from tests.support import context, published, sqs_records

GROUP = GroupRecord(
    group_id="grp_mindful0001",
    type=GroupType.MINDFULNESS,
    title="Tuesday evening mindfulness",
    facilitator_id="per_clin00001",
    rrule="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=16",
    first_start=pt(1, 18).astimezone(PT),  # Tue 1 June 2027, 18:00 PT, as schedule keeps it
    time_zone=LA,
    duration_minutes=90,
    capacity=8,
    evening=True,
    weekend=False,
    recording=True,
    created_at=NOW - timedelta(days=7),
)


def enrolment(status: EnrolmentStatus, since: str) -> dict[str, Any]:
    """A participant's GROUP_ENROLMENT item as schedule writes it (store `_pointer_put`)."""
    return {
        "pk": f"PERSON#{ALEX}",
        "sk": f"GROUP#{GROUP.group_id}",
        "entity": ENTITY_GROUP_ENROLMENT,
        "participant_id": ALEX,
        "status": status.value,
        "since": since,
        "gsi1pk": f"SCHED#{ALEX}",
        **(
            {"joined_at": since}
            if status is EnrolmentStatus.ENROLLED
            else {"wait_sk": f"WAIT#{since}#{ALEX}"}
        ),
        **GROUP.schedule_attributes(),
    }


def record(new: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "eventName": "MODIFY" if old else "INSERT",
        "dynamodb": {
            "NewImage": to_item(new),
            **({"OldImage": to_item(old)} if old else {}),
            "SequenceNumber": "1",
        },
    }


@pytest.fixture
def alex(moto_env: dict[str, Any]) -> dict[str, Any]:
    save_prefs(ALEX, email_address="alex@example.com", sms=True)
    return moto_env


def test_a_seat_opening_up_tells_the_promoted_participant_once(alex):
    # Given Alex waitlisted for the group, then seated when a seat freed on Wednesday 2 June
    waiting = enrolment(EnrolmentStatus.WAITLISTED, iso(NOW - timedelta(days=3)))
    seated = enrolment(EnrolmentStatus.ENROLLED, iso(pt(2, 10)))
    change = published(record(seated, waiting))
    # When notify consumes the stream record (three times, as a retried batch would)
    written = [events.apply_group_enrolment(change, store(), now=pt(2, 10)) for _ in range(3)]
    # Then one notice per channel was planned, once, for the next occurrence (Thursday 18:00 PT)
    assert written == [True, False, False]
    sent = run_at(alex, pt(2, 10))
    assert len(sent) == 2
    message = store().get_message(sent[0])
    assert message is not None
    assert (message.kind, message.start, message.end) == (
        MessageKind.WAITLIST_PROMOTION,
        pt(3, 18),
        pt(3, 19, 30),
    )
    # And the email and the text name the time, never the group
    (email_message,) = [m for dest, m in sent_emails() if dest == ["alex@example.com"]]
    assert email_message["Subject"] == "A spot opened up for you: Thu Jun 3 at 6:00 PM PT"
    assert "mindfulness" not in (str(email_message["Subject"]) + body_of(email_message)).casefold()
    assert sent_sms() == [
        (
            ALEX_PHONE,
            "Tandem Care: a spot opened up and you now have an appointment tomorrow, Thu Jun 3, "
            "at 6:00 PM PT. See the app: https://app.tandem.health Reply STOP to opt out.",
        )
    ]
    assert {m.split(".")[-1] for m in sent} == {Channel.EMAIL.value, Channel.SMS.value}


@pytest.mark.parametrize(
    ("new", "old"),
    [
        (EnrolmentStatus.ENROLLED, None),  # enrolled straight away: the booking answer said so
        (EnrolmentStatus.WAITLISTED, None),
        (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.ENROLLED),
        (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.WAITLISTED),
    ],
)
def test_other_enrolment_changes_send_nothing(alex, new, old):
    since = iso(pt(2, 10))
    change = published(record(enrolment(new, since), enrolment(old, since) if old else None))
    assert events.apply_group_enrolment(change, store(), now=pt(2, 10)) is False
    assert run_at(alex, pt(2, 10)) == []


def test_a_series_that_has_ended_sends_nothing(alex):
    waiting = enrolment(EnrolmentStatus.WAITLISTED, iso(NOW))
    seated = enrolment(EnrolmentStatus.ENROLLED, iso(NOW))
    change = published(record(seated, waiting))
    assert events.apply_group_enrolment(change, store(), now=pt(1, 9) + timedelta(days=120)) is False
    assert run_at(alex, pt(1, 9) + timedelta(days=120)) == []


def test_the_subscriber_routes_group_enrolments(alex):
    waiting = enrolment(EnrolmentStatus.WAITLISTED, iso(NOW))
    seated = enrolment(EnrolmentStatus.ENROLLED, iso(NOW + timedelta(minutes=1)))
    result = events.lambda_handler(sqs_records([published(record(seated, waiting))]), context("events"))
    assert result == {"batchItemFailures": []}
