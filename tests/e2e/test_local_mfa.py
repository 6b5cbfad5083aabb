"""Staff sign in with a second factor (TOTP) against the real local runtime; participants need none."""

from __future__ import annotations

import uuid
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from functions.common.auth import Role
from local import provision
from local.token import sign_in
from tests.e2e.conftest import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORD = "Another-demo-2026!"


def test_a_new_coordinator_sets_up_totp_before_getting_any_token(local_runtime: LocalRuntime):
    cognito = local_runtime.cognito()
    state = local_runtime.state
    pool, client = state["staff_user_pool_id"], state["staff_user_pool_client_id"]
    # Given a coordinator created in the staff pool with a password and no TOTP
    email = f"coord-{uuid.uuid4().hex[:8]}@tandem.example"
    provision.ensure_user(
        cognito, pool, email=email, password=PASSWORD, role=Role.COORDINATOR, person_id="per_democoordinator"
    )

    def password_sign_in() -> dict[str, Any]:
        return dict(
            cognito.initiate_auth(
                ClientId=client,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
            )
        )

    # When they sign in with the right password
    started = password_sign_in()
    # Then Cognito asks them to set up TOTP and hands out no token
    assert started["ChallengeName"] == "MFA_SETUP"
    assert "AuthenticationResult" not in started
    # When they scan the secret into an authenticator app and confirm a code
    association = cognito.associate_software_token(Session=started["Session"])
    secret = association["SecretCode"]
    verified = cognito.verify_software_token(
        Session=association["Session"], UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="phone"
    )
    done = cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": email},
    )
    # Then they are signed in, and the ID token opens a coordinator's route
    assert (
        local_runtime.get("/people?kind=clinician", done["AuthenticationResult"]["IdToken"]).status_code
        == 200
    )
    # And from now on a password alone gets the TOTP challenge; a wrong code fails, the right one works
    again = password_sign_in()
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in again
    code = pyotp.TOTP(secret).now()
    with pytest.raises(ClientError) as mismatch:
        cognito.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=again["Session"],
            ChallengeResponses={
                "USERNAME": email,
                "SOFTWARE_TOKEN_MFA_CODE": f"{(int(code) + 1) % 1_000_000:06d}",
            },
        )
    assert mismatch.value.response["Error"]["Code"] == "CodeMismatchException"
    tokens = sign_in(cognito, client, email, PASSWORD, secret)
    assert local_runtime.get("/people?kind=clinician", tokens["IdToken"]).status_code == 200


def test_a_participant_signs_in_without_a_second_factor(local_runtime: LocalRuntime):
    alex = next(u for u in local_runtime.state["users"] if u["username"] == "alex@tandem.example")
    result = local_runtime.cognito().initiate_auth(
        ClientId=local_runtime.state["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": alex["username"], "PASSWORD": alex["password"]},
    )
    assert "ChallengeName" not in result
    me = local_runtime.get("/me", result["AuthenticationResult"]["IdToken"])
    assert me.status_code == 200
    assert me.json()["person_id"] == alex["person_id"]


def test_demo_staff_tokens_come_from_the_staff_pool_and_open_their_routes(local_runtime: LocalRuntime):
    # local.token's way: the password, then the code of the demo user's TOTP secret
    token = local_runtime.id_token("clinician")
    me = local_runtime.get("/me", token)
    assert me.status_code == 200
    # Staff are not in the participant pool: its client cannot sign them in at all
    clinician = local_runtime.user("clinician")
    with pytest.raises(ClientError):
        local_runtime.cognito().initiate_auth(
            ClientId=local_runtime.state["user_pool_client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": clinician["username"], "PASSWORD": clinician["password"]},
        )
