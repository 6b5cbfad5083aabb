"""Contact preferences and SMS consent through the notify routes, on moto."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from functions.common import aws
from functions.notify.handler import lambda_handler
from functions.notify.models import PhoneNumbers
from functions.notify.store import NotifyStore
from tests.integration.conftest import ScheduleChanges, audit_entries, caller_of, create_person
from tests.support import claims

call = caller_of(lambda_handler)
ALEX_ID, JAMIE_ID = "per_alex00001", "per_jamie0001"
ALEX = claims(ALEX_ID, "participant")
JAMIE = claims(JAMIE_ID, "participant")
CLINICIAN = claims("per_clin00001", "clinician")
COORDINATOR = claims("per_coord0001", "coordinator")
MINE = "/me/notification-preferences"
ALEXS = f"/people/{ALEX_ID}/notification-preferences"
CONTACT = {
    "email": "  Alex@Example.COM ",
    "mobile_phone": "(512) 555-0101",
    "time_zone": "America/Los_Angeles",
    "language": "es",
    "channels": {"reminders": ["sms", "email"], "changes": ["email"]},
    "sms_reminder_offsets_minutes": [120, 30],
    "sms_enabled": True,
    "sms_consent": True,
}


def store() -> NotifyStore:
    return NotifyStore(os.environ["NOTIFY_TABLE"], aws.client("dynamodb"))


def save(body: dict[str, Any], *, caller: dict[str, str] = ALEX, path: str = MINE, etag: str = '"0"') -> Any:
    return call("PUT", path, caller=caller, body=body, headers={"If-Match": etag})


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_person_saves_their_contact_details_and_consents_to_texts(moto_env):
    # Given Alex, who never saved preferences
    # When Alex saves an email, a number as typed, a zone, Spanish, channels per topic and consent
    saved = save(CONTACT)
    # Then the number is stored in E.164, the email normalised, the choices as sent
    assert saved.status == 200, saved
    assert saved.headers["etag"] == '"1"'
    body = saved.json
    assert (body["email"], body["mobile_phone"], body["time_zone"], body["language"]) == (
        "alex@example.com",
        "+15125550101",
        "America/Los_Angeles",
        "es",
    )
    assert body["channels"]["reminders"] == ["sms", "email"]
    assert body["channels"]["changes"] == ["email"]
    assert body["channels"]["digests"] == ["email"]  # untouched topics keep the program default
    assert body["sms_reminder_offsets_minutes"] == [120, 30]
    # And consent is recorded with its time and source
    consent = body["sms_consent"]
    assert consent["active"] is True
    assert consent["source"] == "web"
    assert at(consent["granted_at"]) == at(body["updated_at"])
    assert consent["revoked_at"] is None
    # And reading back gives the same document and ETag
    again = call("GET", MINE, caller=ALEX)
    assert (again.json, again.headers["etag"]) == (body, '"1"')
    # And the number leads back to Alex in one read (for inbound texts)
    assert store().people_with_phone("+15125550101") == PhoneNumbers(
        phone="+15125550101", person_ids=(ALEX_ID,)
    )
    # And the change and the consent were audited
    actions = sorted(
        (e["action"], e["outcome"], e["actor_id"])
        for e in audit_entries(moto_env, f"person/{ALEX_ID}/notification-preferences")
    )
    assert actions == [
        ("notify.preferences.read", "success", ALEX_ID),
        ("notify.preferences.update", "success", ALEX_ID),
        ("notify.sms_consent.grant", "success", ALEX_ID),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile_phone", "12345"),
        ("mobile_phone", "+1 512 555"),
        ("mobile_phone", "call me maybe"),
        ("mobile_phone", "+44 20 7946 0000"),  # a London landline: it cannot receive texts
        ("mobile_phone", "+1 800 555 0100"),  # toll-free
        ("email", "alex-at-example.com"),
        ("time_zone", "Mars/Olympus_Mons"),
        ("language", "fr"),
        ("channels", {"reminders": ["sms", "sms"]}),
        ("channels", {"gossip": ["email"]}),
        ("sms_reminder_offsets_minutes", [60, 60]),
    ],
)
def test_invalid_contact_details_are_refused_naming_the_field(moto_env, field, value):
    reply = save({field: value})
    assert reply.status == 422, reply
    fields = {e["field"].split(".")[:2][1] for e in reply.json["errors"]}
    assert fields == {field}
    assert call("GET", MINE, caller=ALEX).headers["etag"] == '"0"'


def test_consent_needs_a_mobile_number(moto_env):
    reply = save({"sms_enabled": True, "sms_consent": True})
    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["body.sms_consent"]


def test_withdrawing_consent_records_when_and_keeps_the_grant(moto_env):
    # Given Alex consented
    granted = save(CONTACT).json["sms_consent"]
    # When Alex withdraws it
    revoked = save({"sms_consent": False}, etag='"1"')
    # Then consent is inactive, with the time it was withdrawn and how
    assert revoked.status == 200, revoked
    consent = revoked.json["sms_consent"]
    assert (consent["active"], consent["granted_at"], consent["source"]) == (
        False,
        granted["granted_at"],
        "web",
    )
    assert consent["revoked_source"] == "web"
    assert at(consent["revoked_at"]) == at(revoked.json["updated_at"])
    audited = [e["action"] for e in audit_entries(moto_env, f"person/{ALEX_ID}/notification-preferences")]
    assert "notify.sms_consent.revoke" in audited
    # And granting it again is a fresh consent
    regranted = save({"sms_consent": True}, etag='"2"').json["sms_consent"]
    assert regranted["active"] is True
    assert regranted["revoked_at"] is None


def test_a_new_number_needs_consent_anew_and_moves_the_lookup(moto_env):
    # Given Alex consented to texts at one number
    save(CONTACT)
    # When Alex changes the number without consenting again
    moved = save({"mobile_phone": "+1 512 555 0199"}, etag='"1"')
    # Then consent given for the old number is withdrawn
    assert moved.status == 200, moved
    assert moved.json["mobile_phone"] == "+15125550199"
    assert moved.json["sms_consent"]["active"] is False
    # And the lookup follows the number
    assert store().people_with_phone("+15125550101").person_ids == ()
    assert store().people_with_phone("+15125550199").person_ids == (ALEX_ID,)
    # And consenting with the new number is recorded afresh
    again = save({"mobile_phone": "+15125550199", "sms_consent": True}, etag='"2"')
    assert again.json["sms_consent"]["active"] is True
    # And removing the number withdraws consent and leaves no lookup behind
    removed = save({"mobile_phone": None}, etag='"3"')
    assert (removed.json["mobile_phone"], removed.json["sms_consent"]["active"]) == (None, False)
    assert store().people_with_phone("+15125550199").person_ids == ()


def test_partners_sharing_one_phone_are_both_found_by_it(moto_env):
    save({"mobile_phone": "5125550123"})
    save({"mobile_phone": "+15125550123"}, caller=JAMIE)
    assert store().people_with_phone("+15125550123").person_ids == (ALEX_ID, JAMIE_ID)


def test_a_coordinator_reads_and_corrects_a_persons_preferences(moto_env):
    # Given Alex's saved preferences
    save(CONTACT)
    # When a coordinator reads them
    read = call("GET", ALEXS, caller=COORDINATOR)
    # Then the coordinator sees everything, the full number included, with the ETag
    assert read.status == 200, read
    assert (read.json["person_id"], read.json["mobile_phone"], read.headers["etag"]) == (
        ALEX_ID,
        "+15125550101",
        '"1"',
    )
    # When the coordinator corrects the email without If-Match, or with a stale one
    assert save({"email": "alex@example.org"}, caller=COORDINATOR, path=ALEXS, etag="").status == 428
    assert save({"email": "alex@example.org"}, caller=COORDINATOR, path=ALEXS, etag='"0"').status == 412
    # And then with the current one
    fixed = save({"email": "alex@example.org"}, caller=COORDINATOR, path=ALEXS, etag='"1"')
    # Then the correction lands and everything else stays as Alex left it
    assert fixed.status == 200, fixed
    assert fixed.json["email"] == "alex@example.org"
    assert fixed.json["mobile_phone"] == "+15125550101"
    assert fixed.json["sms_consent"]["active"] is True
    assert call("GET", MINE, caller=ALEX).json["email"] == "alex@example.org"
    # And every read and change is audited under the coordinator's name
    entries = audit_entries(moto_env, f"person/{ALEX_ID}/notification-preferences")
    by_coordinator = sorted((e["action"], e["outcome"]) for e in entries if e["actor_id"] == "per_coord0001")
    assert by_coordinator == [
        ("notify.preferences.read", "success"),
        ("notify.preferences.update", "rejected"),
        ("notify.preferences.update", "rejected"),
        ("notify.preferences.update", "success"),
    ]


def test_consent_a_coordinator_records_says_so(moto_env):
    save({"mobile_phone": "+15125550101"})
    reply = save({"sms_enabled": True, "sms_consent": True}, caller=COORDINATOR, path=ALEXS, etag='"1"')
    assert reply.json["sms_consent"]["source"] == "coordinator"


@pytest.mark.parametrize("who", [JAMIE, CLINICIAN], ids=["partner", "clinician"])
def test_nobody_else_may_know_a_persons_preferences(moto_env, who):
    # Given Alex's preferences with a mobile number
    save(CONTACT)
    # When the partner or a clinician asks for them, or tries to change them
    read = call("GET", ALEXS, caller=who)
    write = save({"email": "x@example.com"}, caller=who, path=ALEXS, etag='"1"')
    # Then both are told there is nothing there, and nothing changed
    assert (read.status, write.status) == (404, 404)
    assert "+15125550101" not in read.text + write.text
    assert call("GET", MINE, caller=ALEX).json["email"] == "alex@example.com"
    # And the attempts are audited
    outcomes = [
        (e["action"], e["outcome"])
        for e in audit_entries(moto_env, f"person/{ALEX_ID}/notification-preferences")
        if e["actor_id"] == who["custom:person_id"]
    ]
    assert sorted(outcomes) == [
        ("notify.preferences.read", "not_found"),
        ("notify.preferences.update", "not_found"),
    ]


def test_the_own_route_and_the_people_route_are_one_document(moto_env):
    save(CONTACT)
    mine, theirs = call("GET", MINE, caller=ALEX), call("GET", ALEXS, caller=ALEX)
    assert (mine.json, mine.headers["etag"]) == (theirs.json, theirs.headers["etag"])


@pytest.fixture
def dynamodb_calls(moto_env) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()

    def count(model: Any, **_kwargs: Any) -> None:
        counts[model.name] += 1

    client = aws.client("dynamodb")
    client.meta.events.register("before-call.dynamodb", count)
    yield counts
    client.meta.events.unregister("before-call.dynamodb", count)


@pytest.mark.parametrize("whose", ["own", "someone else's"])
def test_reading_preferences_is_one_get(moto_env, dynamodb_calls, whose):
    """Someone else's never-saved preferences too: whether they exist is notify's own record of
    them (from schedule's events), never a read of schedule's table."""
    caller, path = ALEX, MINE
    if whose != "own":
        changes = ScheduleChanges(moto_env)
        person_id = create_person(
            {
                "kind": "coordinator",
                "display_name": "Sam Reyes",
                "email": "sam@example.com",
                "time_zone": "America/Chicago",
                "state": "TX",
            }
        )
        changes.step()
        dynamodb_calls.clear()
        caller, path = COORDINATOR, f"/people/{person_id}/notification-preferences"
    assert call("GET", path, caller=caller).status == 200
    reads = {op: n for op, n in dynamodb_calls.items() if op in {"GetItem", "Query", "BatchGetItem", "Scan"}}
    assert reads == {"GetItem": 1}


def test_saving_is_one_read_and_one_transaction(dynamodb_calls):
    assert save(CONTACT).status == 200
    assert dynamodb_calls["GetItem"] == 1
    assert dynamodb_calls["TransactWriteItems"] == 1
    assert dynamodb_calls["Scan"] == 0
