"""The notify function's routes on moto."""

from __future__ import annotations

import pytest

from functions.common import aws
from functions.common.models import utc_now
from functions.notify.handler import lambda_handler
from functions.notify.models import Choices, PreferencesRecord, SmsConsent
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Language
from tests.integration.conftest import audit_entries, caller_of
from tests.support import claims

pytestmark = pytest.mark.clock  # reads "now" (months, due times, staleness)

call = caller_of(lambda_handler)
ALEX = claims("per_alex00001", "participant")
PATH = "/me/notification-preferences"


def test_defaults_until_first_saved_with_etag_zero(moto_env):
    reply = call("GET", PATH, caller=ALEX)
    assert reply.status == 200
    assert reply.headers["etag"] == '"0"'
    assert reply.json["sms_enabled"] is False
    assert reply.json["reminder_offsets_minutes"] == [1440, 60]


def test_replace_needs_if_match_then_versions_move_on(moto_env):
    # Given defaults (ETag "0")
    body = {"sms_enabled": True, "reminder_offsets_minutes": [60, 1440, 30]}
    assert call("PUT", PATH, caller=ALEX, body=body).status == 428
    # When saved against "0"
    saved = call("PUT", PATH, caller=ALEX, body=body, headers={"If-Match": '"0"'})
    # Then version 1 holds the new preferences, offsets in order
    assert saved.status == 200, saved
    assert saved.headers["etag"] == '"1"'
    assert saved.json["reminder_offsets_minutes"] == [1440, 60, 30]
    assert call("GET", PATH, caller=ALEX).json["sms_enabled"] is True
    # And a second writer still holding "0" is refused
    stale = call("PUT", PATH, caller=ALEX, body={"sms_enabled": False}, headers={"If-Match": '"0"'})
    assert stale.status == 412
    assert call("GET", PATH, caller=ALEX).json["sms_enabled"] is True
    entries = audit_entries(moto_env, "person/per_alex00001/notification-preferences")
    updates = sorted(e["outcome"] for e in entries if e["action"] == "notify.preferences.update")
    assert updates == ["rejected", "rejected", "success"]  # 428, 412, and the one that landed
    assert any(e["action"] == "notify.preferences.read" for e in entries)


def test_invalid_preferences_name_the_fields(moto_env):
    reply = call(
        "PUT",
        PATH,
        caller=ALEX,
        body={"reminder_offsets_minutes": [60, 60], "quiet_hours_start": "25:99", "shout": True},
        headers={"If-Match": '"0"'},
    )
    assert reply.status == 422
    fields = {e["field"] for e in reply.json["errors"]}
    assert "body.reminder_offsets_minutes" in fields
    assert "body.quiet_hours_start" in fields
    assert "body.shout" in fields
    assert call("GET", PATH, caller=ALEX).headers["etag"] == '"0"'


def test_preferences_are_per_person(moto_env):
    call("PUT", PATH, caller=ALEX, body={"sms_enabled": True}, headers={"If-Match": '"0"'})
    jamie = call("GET", PATH, caller=claims("per_jamie0001", "participant"))
    assert jamie.json["sms_enabled"] is False


def test_a_client_that_predates_the_contact_fields_never_erases_them(moto_env):
    # Given contact data and SMS consent on file for Alex (version 1)
    store = NotifyStore(moto_env["tables"]["notify"], aws.client("dynamodb"))
    now = utc_now()
    consent = SmsConsent(granted_at=now, source="web")
    store.put_preferences(
        PreferencesRecord(
            person_id="per_alex00001",
            preferences=Choices(sms_enabled=True),
            updated_at=now,
            version=1,
            email="alex@example.com",
            phone="+15125550101",
            time_zone="America/Los_Angeles",
            language=Language.ES,
            sms_consent=consent,
        ),
        expected_version=0,
    )
    # When Alex changes their reminder offsets through the route
    saved = call(
        "PUT",
        PATH,
        caller=ALEX,
        body={"sms_enabled": True, "reminder_offsets_minutes": [30]},
        headers={"If-Match": '"1"'},
    )
    # Then the contact details and consent the request left out were kept as they were
    assert saved.status == 200, saved
    assert (saved.json["email"], saved.json["mobile_phone"], saved.json["language"]) == (
        "alex@example.com",
        "+15125550101",
        "es",
    )
    assert saved.json["sms_consent"]["active"] is True
    record = store.get_preferences("per_alex00001")
    assert record is not None
    assert record.version == 2
    assert record.preferences.reminder_offsets_minutes == [30]
    assert (record.email, record.phone, record.language, record.sms_consent) == (
        "alex@example.com",
        "+15125550101",
        Language.ES,
        consent,
    )
