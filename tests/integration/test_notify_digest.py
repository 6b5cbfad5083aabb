"""The weekly digest on Sunday evening, local time, on moto.

Sunday 6 June 2027: Los Angeles is on PDT (UTC-7), Chicago on CDT (UTC-5), so Chicago's
18:00 is 16:00 in Los Angeles. Next week is ISO week 2027-W23 (Monday 7 June).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.notify import digest, events
from functions.notify.logic.digest import digest_id
from functions.notify.models import Choices, PreferencesRecord, SmsConsent
from functions.notify.vocabulary import Channel, MessageKind, Topic
from functions.schedule.vocabulary import EnrolmentStatus
from tests.integration.test_notify_group_reminders import PHI_WORDS, pointer
from tests.integration.test_notify_groups import record
from tests.integration.test_notify_reminders import (
    ALEX,
    ALEX_PHONE,
    LA,
    NOW,
    apply,
    body_of,
    couples_session,
    pt,
    run_at,
    sent_emails,
    sent_sms,
    status_of,
    store,
)
from tests.support import context, published

CHICAGO = "America/Chicago"
CASEY, ROBIN = "per_casey00001", "per_robin00001"
WEEK = "2027-W23"


def save(person_id: str, zone: str, *, email: str, sms_digest: bool = False) -> None:
    channels = {Topic.DIGESTS: (Channel.EMAIL, Channel.SMS) if sms_digest else (Channel.EMAIL,)}
    store().put_preferences(
        PreferencesRecord(
            person_id=person_id,
            preferences=Choices(sms_enabled=sms_digest, channels=channels),
            updated_at=NOW,
            version=1,
            email=email,
            phone=ALEX_PHONE if sms_digest else None,
            time_zone=zone,
            sms_consent=SmsConsent(granted_at=NOW, source="web") if sms_digest else None,
        ),
        expected_version=0,
    )


@pytest.fixture
def people(moto_env: dict[str, Any]) -> dict[str, Any]:
    """Alex in Los Angeles (digest by email and text) with a couples session and the
    Tuesday/Thursday group next week; Casey in Chicago with a session next week; Robin in
    Chicago with nothing next week."""
    save(ALEX, LA, email="alex@example.com", sms_digest=True)
    save(CASEY, CHICAGO, email="casey@example.com")
    save(ROBIN, CHICAGO, email="robin@example.com")
    apply(couples_session(pt(8, 18)))  # Tue 8 June 18:00 PT
    casey = couples_session(pt(9, 8), session_id="ses_casey00001").model_copy(
        update={"attendee_ids": (CASEY,), "couple_id": None, "time_zones": {CASEY: CHICAGO}}
    )
    apply(casey)  # Wed 9 June 10:00 CT
    enrolled = pointer(EnrolmentStatus.ENROLLED, NOW)
    events.apply_group_series(published(record(enrolled, None)), store())
    return moto_env


def digests_sent(moto_env: dict[str, Any], at: datetime) -> list[str]:
    digest.send_digests(store(), at)
    return sorted(m for m in run_at(moto_env, at) if m.startswith("dig."))


def test_each_person_gets_the_digest_in_their_own_sunday_evening(people):
    # Given Sunday 6 June at 16:00 PT: 18:00 in Chicago
    chicago_evening = pt(6, 16)
    run_at(people, chicago_evening - timedelta(minutes=1))  # the booking notices, out of the way
    # When the hourly job runs
    sent = digests_sent(people, chicago_evening)
    # Then Casey (Chicago) gets theirs; Alex (Los Angeles) does not yet; Robin, whose week is
    # empty, gets none ("nothing scheduled" is not worth a message)
    assert sent == [digest_id(CASEY, WEEK, Channel.EMAIL)]
    assert status_of(digest_id(ROBIN, WEEK, Channel.EMAIL)) is None
    # When it runs at 18:00 PT (and twice more that evening)
    sent = digests_sent(people, pt(6, 18))
    later = digests_sent(people, pt(6, 19)) + digests_sent(people, pt(6, 20, 30))
    # Then Alex gets one by email and one by text, once; nobody gets a second one
    assert sent == [digest_id(ALEX, WEEK, Channel.EMAIL), digest_id(ALEX, WEEK, Channel.SMS)]
    assert later == []
    assert status_of(digest_id(ROBIN, WEEK, Channel.EMAIL)) is None
    # And the email lists the week by local day and time, the text by day and time alone
    (mail,) = [m for dest, m in sent_emails() if dest == ["alex@example.com"] and "week" in str(m["Subject"])]
    assert mail["Subject"] == "Your week ahead: 3 appointment(s)"
    text = body_of(mail)
    assert "Here is your schedule for the week of Mon Jun 7:" in text
    assert "- Tue Jun 8 at 6:00 PM PT: couples session" in text
    assert "- Tue Jun 8 at 6:00 PM PT: group session" in text
    assert "- Thu Jun 10 at 6:00 PM PT: group session" in text
    assert "mindfulness" not in text.casefold()
    (digest_text,) = [t for _, t in sent_sms() if "week of" in t]
    assert digest_text == (
        "Tandem Care: your appointments in the week of Mon Jun 7: Tue Jun 8 at 6:00 PM PT; "
        "Tue Jun 8 at 6:00 PM PT; Thu Jun 10 at 6:00 PM PT. See the app: https://app.tandem.health "
        "Reply STOP to opt out."
    )
    assert not [word for word in PHI_WORDS if word in digest_text.casefold()]


def test_no_digest_outside_sunday_evening(people):
    # Given Saturday evening, Sunday 17:00 and Sunday 21:00 (quiet hours) in Los Angeles
    for at in (pt(5, 18), pt(6, 17), pt(6, 21)):
        # When the job runs
        digest.send_digests(store(), at)
    # Then Alex has no digest (Casey, in Chicago, got theirs at 19:00 there)
    assert store().get_message(digest_id(ALEX, WEEK, Channel.EMAIL)) is None
    assert store().get_message(digest_id(CASEY, WEEK, Channel.EMAIL)) is not None


def test_the_digest_follows_the_zone_across_daylight_saving(moto_env):
    # Given Alex in Los Angeles with a session in the week after DST ends (7 Nov 2027)
    save(ALEX, LA, email="alex@example.com")
    apply(couples_session(pt(9, 18, month=11)), now=pt(1, 9, month=11))
    # When the job runs at 18:00 PST on Sunday 7 November (02:00 UTC Monday; 01:00 UTC in summer)
    at = datetime(2027, 11, 8, 2, 0, tzinfo=UTC)
    assert digest.send_digests(store(), at - timedelta(hours=1))["planned"] == 0  # 17:00 PST
    # Then the digest for week 45 is planned then
    assert digest.send_digests(store(), at)["planned"] == 1
    message = store().get_message(digest_id(ALEX, "2027-W45", Channel.EMAIL))
    assert message is not None
    assert message.kind is MessageKind.WEEKLY_DIGEST
    assert message.detail is not None
    assert message.detail["count"] == 1


def test_the_job_entry_point_does_an_hours_work_once(people, monkeypatch):
    monkeypatch.setattr(digest, "utc_now", lambda: pt(6, 18))
    first = digest.lambda_handler({}, context("digest"))
    second = digest.lambda_handler({}, context("digest"))
    assert (first["people"], first["planned"]) == (3, 2)  # Alex; Casey catching up at 20:00 CT
    assert set(second) == {"done_already"}
