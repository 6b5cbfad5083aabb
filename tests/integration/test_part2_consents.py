"""Part 2 consent routes through the schedule handler (moto): who may give, record, read and
revoke them, and the problems bad input gets. A few people only, not the seeded program."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.common import aws
from functions.common.audit import AuditWriter
from functions.schedule.store import ScheduleStore
from local import seed
from tests.clock import controlled_now
from tests.integration.conftest import audit_entries
from tests.integration.scheduling import ALEX, COORDINATOR, JAMIE, PRIYA, call

CHICAGO_TODAY = controlled_now(ZoneInfo("America/Chicago")).date()
PEOPLE = ("per_demoalex", "per_demojamie", "per_democouplestherapist", "per_democoordinator")


@pytest.fixture(autouse=True)
def people(moto_env: dict[str, Any]) -> None:
    store = ScheduleStore(moto_env["tables"]["schedule"], aws.client("dynamodb"))
    audit = AuditWriter(moto_env["tables"]["audit"], aws.client("dynamodb"), request_id="setup")
    for demo in seed.PEOPLE:
        if demo.person_id in PEOPLE:
            store.create_person(
                seed.person_record(demo, now=controlled_now()),
                audit.transact_put(audit.entry(seed.SEED_ACTOR, "person.create", demo.person_id, "success")),
            )


TERMS = {
    "recipient_ids": ["per_democouplestherapist"],
    "purpose": "coordinate my couples work",
    "expires_on": (CHICAGO_TODAY + timedelta(days=90)).isoformat(),
}


def test_a_participant_gives_lists_and_revokes_their_consent(moto_env: dict[str, Any]):
    # Given Alex signs a consent in the app
    given = call(
        "POST",
        "/me/part2-consents",
        caller=ALEX,
        body={**TERMS, "attest": True},
        headers={"Idempotency-Key": "k-1"},
    )
    assert given.status == 201, given
    consent = given.json
    assert consent["status"] == "active"
    assert consent["source"] == "electronic"
    assert consent["recorded_by"] == "per_demoalex"
    assert consent["participant_id"] == "per_demoalex"
    assert abs((controlled_now() - datetime.fromisoformat(consent["attested_at"])).total_seconds()) < 60
    assert given.headers["location"] == f"/me/part2-consents/{consent['consent_id']}"
    # A retry with the same key replays it rather than signing twice
    again = call(
        "POST",
        "/me/part2-consents",
        caller=ALEX,
        body={**TERMS, "attest": True},
        headers={"Idempotency-Key": "k-1"},
    )
    assert again.json["consent_id"] == consent["consent_id"]
    listed = call("GET", "/me/part2-consents", caller=ALEX).json["items"]
    assert [c["consent_id"] for c in listed] == [consent["consent_id"]]
    # When Alex revokes it, it is revoked (and a second revoke answers it as it is)
    revoked = call("POST", f"/me/part2-consents/{consent['consent_id']}/revoke", caller=ALEX)
    assert revoked.status == 200
    assert revoked.json["status"] == "revoked"
    assert revoked.json["revoked_by"] == "per_demoalex"
    assert (
        call("POST", f"/me/part2-consents/{consent['consent_id']}/revoke", caller=ALEX).json == revoked.json
    )
    # Then the coordinator sees it revoked too, and every step is audited
    seen = call("GET", "/participants/per_demoalex/part2-consents", caller=COORDINATOR).json["items"]
    assert [c["status"] for c in seen] == ["revoked"]
    actions = [
        e["action"]
        for e in audit_entries(moto_env, f"person/per_demoalex/part2-consent/{consent['consent_id']}")
    ]
    assert sorted(actions) == ["part2_consent.create", "part2_consent.revoke", "part2_consent.revoke"]
    assert any(
        e["action"] == "part2_consent.list"
        for e in audit_entries(moto_env, "person/per_demoalex/part2-consents")
    )


def test_only_the_participant_and_coordinators_touch_consents():
    # A partner cannot read, revoke or give the other's; staff do not sign on a participant's behalf
    assert call("GET", "/participants/per_demoalex/part2-consents", caller=JAMIE).status == 403
    assert call("GET", "/participants/per_demoalex/part2-consents", caller=PRIYA).status == 403
    assert call("POST", "/me/part2-consents", caller=PRIYA, body={**TERMS, "attest": True}).status == 403
    assert call("GET", "/me/part2-consents", caller=COORDINATOR).status == 403
    mine = call("POST", "/me/part2-consents", caller=ALEX, body={**TERMS, "attest": True}).json["consent_id"]
    assert call("POST", f"/me/part2-consents/{mine}/revoke", caller=JAMIE).status == 404
    assert call("GET", "/me/part2-consents", caller=JAMIE).json["items"] == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**TERMS}, {"body.attest"}),
        ({**TERMS, "attest": False}, {"body.attest"}),
        ({**TERMS, "attest": True, "recipient_ids": []}, {"body.recipient_ids"}),
        ({**TERMS, "attest": True, "recipient_ids": ["per_demojamie"]}, {"body.recipient_ids.0"}),
        ({**TERMS, "attest": True, "recipient_roles": ["friend"]}, {"body.recipient_roles.0"}),
        ({**TERMS, "attest": True, "expires_on": None}, {"body.expires_on"}),
        ({**TERMS, "attest": True, "expires_on": "2001-01-01"}, {"body.expires_on"}),
        ({**TERMS, "attest": True, "purpose": "x"}, {"body.purpose"}),
        ({**TERMS, "attest": True, "purpose": "line\nbreak"}, {"body.purpose"}),
        ({**TERMS, "attest": True, "scope": "everything"}, {"body.scope"}),
    ],
)
def test_bad_consents_are_problems_naming_the_fields(body: dict[str, Any], fields: set[str]):
    reply = call("POST", "/me/part2-consents", caller=ALEX, body=body)
    assert reply.status == 422, reply
    assert reply.content_type == "application/problem+json"
    assert {e["field"] for e in reply.json["errors"]} == fields
    assert call("GET", "/me/part2-consents", caller=ALEX).json["items"] == []


def test_a_coordinator_records_a_paper_consent_and_its_revocation(moto_env: dict[str, Any]):
    paper = {
        **TERMS,
        "recipient_ids": [],
        "recipient_roles": ["couples_therapist"],
        "document_reference": "DOC-2026-0042",
        "signed_on": (CHICAGO_TODAY - timedelta(days=2)).isoformat(),
    }
    recorded = call("POST", "/participants/per_demoalex/part2-consents", caller=COORDINATOR, body=paper)
    assert recorded.status == 201, recorded
    assert (recorded.json["source"], recorded.json["document_reference"]) == ("paper", "DOC-2026-0042")
    assert recorded.json["recorded_by"] == "per_democoordinator"
    # The participant sees it as theirs
    assert [c["consent_id"] for c in call("GET", "/me/part2-consents", caller=ALEX).json["items"]] == [
        recorded.json["consent_id"]
    ]
    revoked = call(
        "POST",
        f"/participants/per_demoalex/part2-consents/{recorded.json['consent_id']}/revoke",
        caller=COORDINATOR,
    )
    assert revoked.status == 200
    assert revoked.json["revoked_by"] == "per_democoordinator"
    # Bad input names its fields; staff are no participants to record a consent for
    missing = call(
        "POST",
        "/participants/per_demoalex/part2-consents",
        caller=COORDINATOR,
        body={
            **paper,
            "document_reference": "",
            "signed_on": (CHICAGO_TODAY + timedelta(days=3)).isoformat(),
        },
    )
    assert missing.status == 422
    assert {e["field"] for e in missing.json["errors"]} == {"body.document_reference"}
    future = call(
        "POST",
        "/participants/per_demoalex/part2-consents",
        caller=COORDINATOR,
        body={**paper, "signed_on": (CHICAGO_TODAY + timedelta(days=3)).isoformat()},
    )
    assert future.status == 422
    assert {e["field"] for e in future.json["errors"]} == {"body.signed_on"}
    staff = call(
        "POST", "/participants/per_democouplestherapist/part2-consents", caller=COORDINATOR, body=paper
    )
    assert staff.status == 404
    assert call("POST", "/participants/per_demoalex/part2-consents", caller=PRIYA, body=paper).status == 403
