"""Accounts follow people, against the real local runtime: a person a coordinator creates through
the API finds Cognito's invitation (`/_local/invitations`, what their inbox would hold), signs in
with its temporary password, chooses their own, sets up TOTP when they are staff, and reaches the
API as themself."""

from __future__ import annotations

import uuid
from typing import Any

import pyotp
import pytest
import requests

from tests.e2e.conftest import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CHOSEN = "My-own-passw0rd!"


def create(local_runtime: LocalRuntime, body: dict[str, Any]) -> dict[str, Any]:
    reply = requests.post(
        f"{local_runtime.api}/people",
        json=body,
        headers={"Authorization": local_runtime.id_token("coordinator")},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def invitation_to(local_runtime: LocalRuntime, email: str) -> dict[str, str]:
    sent = requests.get(f"{local_runtime.api}/_local/invitations", timeout=10).json()["items"]
    (found,) = [m for m in sent if m["to"] == email]
    return dict(found)


def test_a_clinician_created_through_the_api_signs_in_from_the_invitation(local_runtime: LocalRuntime):
    # Given a coordinator creates a clinician through the API
    email = f"dr-{uuid.uuid4().hex[:8]}@tandem.example"
    person = create(
        local_runtime,
        {
            "kind": "clinician",
            "display_name": "Dr. New",
            "email": email,
            "time_zone": "America/Chicago",
            "roles": ["individual_therapist"],
            "licensed_states": ["TX"],
        },
    )
    assert person["account"]["status"] == "invited"
    # When the clinician signs in with the invitation's temporary password (staff pool)
    invitation = invitation_to(local_runtime, email)
    assert invitation["user_pool_id"] == local_runtime.state["staff_user_pool_id"]
    cognito, client = local_runtime.cognito(), local_runtime.state["staff_user_pool_client_id"]
    started = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": invitation["temporary_password"]},
    )
    # Then Cognito asks for a password of their own, then for TOTP set-up, before any token
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    chosen = cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": CHOSEN},
    )
    assert chosen["ChallengeName"] == "MFA_SETUP"
    assert "AuthenticationResult" not in chosen
    association = cognito.associate_software_token(Session=chosen["Session"])
    verified = cognito.verify_software_token(
        Session=association["Session"],
        UserCode=pyotp.TOTP(association["SecretCode"]).now(),
        FriendlyDeviceName="phone",
    )
    done = cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": email},
    )
    # And their token is theirs: /me is the profile the coordinator created
    me = local_runtime.get("/me", done["AuthenticationResult"]["IdToken"])
    assert me.status_code == 200, me.text
    assert me.json()["person_id"] == person["person_id"]


def test_a_participant_created_through_the_api_signs_in_and_a_deactivated_one_cannot(
    local_runtime: LocalRuntime,
):
    email = f"river-{uuid.uuid4().hex[:8]}@example.com"
    person = create(
        local_runtime,
        {
            "kind": "participant",
            "display_name": "River New",
            "email": email,
            "time_zone": "America/Chicago",
            "state": "TX",
            "age_group": "adult",
        },
    )
    cognito, client = local_runtime.cognito(), local_runtime.state["user_pool_client_id"]
    invitation = invitation_to(local_runtime, email)
    started = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": invitation["temporary_password"]},
    )
    done = cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": CHOSEN},
    )
    # A participant needs no second factor: the new password gives tokens
    assert local_runtime.get("/me", done["AuthenticationResult"]["IdToken"]).status_code == 200
    # When a coordinator deactivates them, Then the password no longer signs in
    reply = requests.post(
        f"{local_runtime.api}/people/{person['person_id']}/deactivation",
        headers={"Authorization": local_runtime.id_token("coordinator")},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": CHOSEN},
        )
