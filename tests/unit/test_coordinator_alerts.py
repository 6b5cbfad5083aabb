"""Coverage's coordinator alerts become one outbox email per named coordinator, with ids,
counts and dates only, and a message id that makes a redelivered event write nothing new."""

from __future__ import annotations

from functions.common.config import load_settings
from functions.notify.alerts import AlertSettings, messages_for
from functions.notify.vocabulary import Channel, MessageKind

EVENT = {
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "source": "tandem.coverage",
    "detail-type": "authorization.low",
    "detail": {
        "participant_id": "per_demoalex",
        "authorization_id": "aut_0123456789abcdef",
        "remaining": 2,
        "end": "2027-01-31",
        "unexpected": "never copied",
    },
}


def test_one_email_per_coordinator_with_only_the_alerts_facts():
    messages = messages_for(EVENT, ["per_coordinator1", "per_coordinator2"])
    assert [m.person_id for m in messages] == ["per_coordinator1", "per_coordinator2"]
    assert {m.kind for m in messages} == {MessageKind.AUTHORIZATION_LOW}
    assert {m.channel for m in messages} == {Channel.EMAIL}
    assert messages[0].detail == {
        "participant_id": "per_demoalex",
        "authorization_id": "aut_0123456789abcdef",
        "units_remaining": 2,
        "expires_on": "2027-01-31",
    }
    # The same event always yields the same message ids (the outbox refuses duplicates)
    assert [m.message_id for m in messages] == [
        m.message_id for m in messages_for(EVENT, ["per_coordinator1", "per_coordinator2"])
    ]


def test_expiring_and_unknown_kinds():
    assert messages_for({**EVENT, "detail-type": "authorization.expiring"}, ["per_c"])[0].kind is (
        MessageKind.AUTHORIZATION_EXPIRING
    )
    assert messages_for({**EVENT, "detail-type": "something.else"}, ["per_c"]) == []
    problem = {
        "id": "e1",
        "detail-type": "eligibility.problem",
        "detail": {"participant_id": "per_demoalex", "plan_id": "pln_x", "problem": "member_not_found"},
    }
    [message] = messages_for(problem, ["per_c"])
    assert message.kind is MessageKind.ELIGIBILITY_PROBLEM
    assert message.detail == {"participant_id": "per_demoalex", "reason": "member_not_found"}


def test_the_coordinator_list_is_parsed_from_the_setting():
    environ = {"NOTIFY_TABLE": "t", "COORDINATOR_ALERT_IDS": " per_a , per_b,,"}
    assert load_settings(AlertSettings, environ).coordinators() == ["per_a", "per_b"]
