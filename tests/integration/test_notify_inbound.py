"""Two-way SMS: texts people send to our number, through the inbound topic's consumer, on moto."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.common.errors import ConfigurationError
from functions.notify import inbound
from functions.notify.handler import lambda_handler as api
from functions.notify.models import PreferencesRecord
from functions.notify.vocabulary import Language, MessageStatus
from tests.integration.conftest import audit_entries, caller_of
from tests.integration.test_notify_reminders import (
    ALEX,
    ALEX_PHONE,
    JAMIE,
    NOW,
    SESSION,
    apply,
    individual_session,
    pt,
    reminder_ids,
    run_at,
    save_prefs,
    sent_sms,
    status_of,
    store,
)
from tests.support import claims, context

OUR_NUMBER = "+18885550100"
STRANGER = "+12065550111"


def sns_event(body: str, *, sender: str = ALEX_PHONE, message_id: str = "in-0001") -> dict[str, Any]:
    """What SNS hands the function for one inbound text (End User Messaging two-way SMS)."""
    text = {
        "originationNumber": sender,
        "destinationNumber": OUR_NUMBER,
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": message_id,
        "previousPublishedMessageId": "prev-0001",
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:test-inbound-sms:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": f"sns-{message_id}",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:test-inbound-sms",
                    "Subject": None,
                    "Message": json.dumps(text),
                    "Timestamp": "2027-06-01T16:00:00.000Z",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def text_in(body: str, moment: datetime = NOW, **kwargs: Any) -> list[str]:
    """Alex (or `sender`) texts `body` at `moment`; what the consumer did."""
    result = inbound.process(sns_event(body, **kwargs), context("inbound"), clock=lambda: moment)
    return list(result["outcomes"])


def prefs(person_id: str = ALEX) -> PreferencesRecord:
    record = store().get_preferences(person_id)
    assert record is not None
    return record


@pytest.fixture
def alex(moto_env: dict[str, Any]) -> dict[str, Any]:
    """Alex: texts two hours before (consented, quiet hours from 21:00), email a day before."""
    save_prefs(ALEX, email_address="alex@example.com", sms=True)
    return moto_env


def test_stop_in_mixed_case_with_spaces_stops_the_next_reminder(alex):
    # Given a session on Thursday at 18:00 PT with Alex's text reminder due at 16:00
    apply(individual_session(pt(3, 18), SESSION))
    run_at(alex, NOW)  # the booking notices go out
    texts_before = len(sent_sms())
    # When Alex texts "  sToP  " on Wednesday
    assert text_in("  sToP  ", pt(2, 12)) == ["stop:stopped"]
    # Then consent is withdrawn at once, with the time and how, as a new version
    record = prefs()
    assert record.sms_consent is not None
    assert (record.sms_consent.revoked_at, record.sms_consent.revoked_source) == (pt(2, 12), "sms_stop")
    assert not record.sms_consented
    assert record.version == 2
    # And one confirmation went back to Alex, from the number Alex texted
    assert sent_sms()[texts_before:] == [
        (
            ALEX_PHONE,
            "Tandem Care: you are unsubscribed and will get no more texts from us. "
            "Reply START to resubscribe.",
        )
    ]
    # And the reminder due afterwards is skipped for want of consent: nothing more is published
    text_reminder = reminder_ids(session_id=SESSION)["alex_sms"]
    run_at(alex, pt(3, 16))
    assert status_of(text_reminder) is MessageStatus.SKIPPED_NO_CONSENT
    assert len(sent_sms()) == texts_before + 1
    # And the withdrawal is in the audit trail as Alex's own, by text
    (entry,) = [
        e
        for e in audit_entries(alex, f"person/{ALEX}/notification-preferences")
        if e["action"] == "notify.sms_consent.revoke"
    ]
    assert (entry["actor_id"], entry["actor_role"], entry["request_id"]) == (ALEX, "sms", "in-0001")


def test_a_redelivered_inbound_text_acts_and_answers_once(alex):
    # Given Alex's STOP, delivered by SNS three times
    for _ in range(3):
        text_in("STOP")
    # Then one confirmation went out and consent was withdrawn once
    assert len(sent_sms()) == 1
    assert prefs().version == 2
    # And a second, separate STOP is answered again (each text gets its own answer)
    text_in("stop", message_id="in-0002")
    assert len(sent_sms()) == 2
    assert prefs().version == 2


@pytest.mark.parametrize(
    "word", ["QUIT", "end", "Revoke", "opt out", "OPT  OUT", "Cancel", "UNSUBSCRIBE", "stopall"]
)
def test_every_revocation_word_withdraws_consent(alex, word):
    assert text_in(f"\n {word} \t") == ["stop:stopped"]
    assert not prefs().sms_consented


def test_start_restores_consent_and_the_reminders_go_again(alex):
    # Given Alex stopped texts and then has a session booked
    text_in("STOP", NOW)
    apply(individual_session(pt(3, 18), SESSION), now=NOW + timedelta(minutes=1))
    # When Alex texts START
    assert text_in("Start", NOW + timedelta(minutes=2), message_id="in-0002") == ["start:started"]
    # Then consent is given afresh by text, as a new version, and confirmed
    record = prefs()
    assert record.sms_consent is not None
    assert (record.sms_consent.source, record.sms_consent.granted_at) == (
        "sms_start",
        NOW + timedelta(minutes=2),
    )
    assert record.sms_consented
    assert record.version == 3
    assert sent_sms()[-1][1].startswith("Tandem Care: texts are on again.")
    # And the reminder goes out when due
    run_at(alex, pt(3, 16))
    assert status_of(reminder_ids(session_id=SESSION)["alex_sms"]) is MessageStatus.SENT


def test_unstop_is_start(alex):
    text_in("STOP")
    assert text_in("unstop", message_id="in-0002") == ["start:started"]
    assert prefs().sms_consented


def test_help_answers_with_the_configured_neutral_contact_line(alex, monkeypatch):
    monkeypatch.setenv("SMS_HELP_LINE", "Tandem Care: questions? Call 512-555-0100, Mon-Fri 9-5.")
    assert text_in(" help ") == ["help:help"]
    assert sent_sms() == [
        (ALEX_PHONE, "Tandem Care: questions? Call 512-555-0100, Mon-Fri 9-5. Reply STOP to opt out.")
    ]


def test_a_help_line_that_names_the_care_is_refused(alex, monkeypatch):
    monkeypatch.setenv("SMS_HELP_LINE", "Tandem Care addiction therapy team: call 512-555-0100.")
    with pytest.raises(ConfigurationError):
        text_in("HELP")
    assert sent_sms() == []


def test_c_confirms_the_next_session_and_says_which(alex):
    # Given Alex's sessions on Thursday 18:00 and Friday 10:00
    apply(individual_session(pt(4, 10), "ses_friday0001"))
    apply(individual_session(pt(3, 18), SESSION))
    # When Alex texts C on Wednesday
    assert text_in("c", pt(2, 12)) == ["confirm:confirmed"]
    # Then Thursday's session is confirmed for Alex, and only it
    thursday = store().get_upcoming(ALEX, SESSION)
    friday = store().get_upcoming(ALEX, "ses_friday0001")
    assert thursday is not None
    assert friday is not None
    assert (thursday.confirmed_at, thursday.confirmed_via) == (pt(2, 12), "sms")
    assert friday.confirmed_at is None
    # And Alex is told which, in their zone
    assert sent_sms()[-1] == (
        ALEX_PHONE,
        "Tandem Care: thank you, your appointment on Thu Jun 3 at 6:00 PM PT is confirmed. "
        "See the app: https://app.tandem.health",
    )
    # And the confirmation is audited
    entries = audit_entries(alex, f"session/{SESSION}/attendee/{ALEX}/confirmation")
    assert [(e["action"], e["actor_id"]) for e in entries] == [("notify.session.confirm", ALEX)]


def test_a_moved_session_needs_confirming_again(alex):
    from tests.integration.test_notify_reminders import rescheduled

    booked = individual_session(pt(3, 18), SESSION)
    apply(booked)
    text_in("C", pt(2, 12))
    apply(rescheduled(booked, pt(4, 18)), booked, now=pt(2, 13))
    moved = store().get_upcoming(ALEX, SESSION)
    assert moved is not None
    assert (moved.start, moved.confirmed_at) == (pt(4, 18), None)


def test_c_without_an_upcoming_session_says_so_and_a_cancelled_one_is_not_confirmed(alex):
    # Given Alex's only session, cancelled
    from tests.integration.test_notify_reminders import cancelled

    booked = individual_session(pt(3, 18), SESSION)
    apply(booked)
    apply(cancelled(booked), booked, now=NOW + timedelta(minutes=1))
    # When Alex texts C
    assert text_in("C", pt(2, 12)) == ["confirm:nothing_to_confirm"]
    # Then nothing was confirmed, and Alex hears there was nothing to confirm
    assert store().get_upcoming(ALEX, SESSION) is None
    assert sent_sms()[-1][1].startswith("Tandem Care: we found no upcoming appointment to confirm.")


def test_anything_else_gets_a_short_not_understood(alex):
    assert text_in("please stop texting me at night") == ["other:not_understood"]
    assert sent_sms() == [
        (ALEX_PHONE, "Tandem Care: sorry, we did not understand. Reply HELP for help or STOP to opt out.")
    ]
    assert prefs().sms_consented  # not a revocation word on its own: the answer says how


def test_answers_are_in_the_persons_language(moto_env):
    save_prefs(JAMIE, email_address="jamie@example.com", sms=True, language=Language.ES)
    text_in("ayuda", sender=ALEX_PHONE)  # save_prefs gives every texting person Alex's test number
    assert sent_sms()[-1][1].endswith("Responda STOP para no recibir más mensajes.")


def test_someone_who_opted_out_is_answered_only_for_stop_start_and_help(alex):
    text_in("STOP")
    answered = len(sent_sms())
    assert text_in("C", message_id="in-0002") == ["confirm"]
    assert text_in("what?", message_id="in-0003") == ["other"]
    assert len(sent_sms()) == answered
    assert text_in("HELP", message_id="in-0004") == ["help:help"]
    assert len(sent_sms()) == answered + 1


def test_stop_from_a_shared_phone_stops_texts_to_everyone_on_it(moto_env):
    # Given partners who both gave the one phone they share and consented
    save_prefs(ALEX, email_address="alex@example.com", sms=True)
    save_prefs(JAMIE, email_address="jamie@example.com", sms=True)
    # When STOP comes from it
    text_in("STOP")
    # Then neither gets texts any more, and one confirmation went out
    assert not prefs(ALEX).sms_consented
    assert not prefs(JAMIE).sms_consented
    assert len(sent_sms()) == 1


def test_an_unknown_number_is_answered_nothing_and_logged_without_it(alex, caplog):
    caplog.set_level("INFO", logger="tandem")
    assert text_in("STOP", sender=STRANGER) == ["unknown_number"]
    assert sent_sms() == []
    assert caplog.records
    for record in caplog.records:
        logged = record.getMessage() + json.dumps(record.__dict__, default=str)
        assert STRANGER not in logged
        assert "STOP" not in logged


def test_logs_never_hold_the_number_or_the_words(alex, caplog):
    caplog.set_level("INFO", logger="tandem")
    apply(individual_session(pt(3, 18), SESSION))
    for i, body in enumerate(["C", "HELP", "what is this", "STOP"]):
        text_in(body, pt(2, 12), message_id=f"in-{i}")
    for record in caplog.records:
        logged = record.getMessage() + json.dumps(record.__dict__, default=str)
        for secret in (ALEX_PHONE, OUR_NUMBER, "what is this", "Tandem Care:"):
            assert secret not in logged


def test_a_notification_that_is_not_an_inbound_text_is_dropped(alex):
    event = sns_event("STOP")
    event["Records"][0]["Sns"]["Message"] = "not json"
    assert inbound.process(event, context("inbound"))["outcomes"] == ["malformed"]
    assert sent_sms() == []


def test_the_web_cannot_undo_a_stop_with_a_stale_etag(alex):
    # Given Alex's app read the preferences (ETag "1"), then Alex texted STOP
    alex_caller = claims(ALEX, "participant")
    call = caller_of(api)
    assert call("GET", "/me/notification-preferences", caller=alex_caller).headers["etag"] == '"1"'
    text_in("STOP")
    # When the app saves what it read, consent still ticked
    stale = call(
        "PUT",
        "/me/notification-preferences",
        caller=alex_caller,
        body={"sms_enabled": True, "sms_consent": True},
        headers={"If-Match": '"1"'},
    )
    # Then the save is refused: the person must see the withdrawal before consenting again
    assert stale.status == 412
    assert not prefs().sms_consented


def test_the_inbound_entry_point_runs_with_its_settings(alex):
    result = inbound.lambda_handler(sns_event("HELP"), context("inbound"))
    assert result == {"outcomes": ["help:help"]}
