"""The local Cognito enforces TOTP MFA as Cognito does (`local.cognito_mfa` over moto's, which does not):
staff cannot get tokens without setting up and then answering TOTP; participants may opt in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cognitoidp.models import COGNITO_TOTP_MFA_SECRET  # moto's one secret for everybody

from functions.common.auth import Role
from local import cognito_mfa, provision, token

PASSWORD = "Correct-horse-2026!"


def password_sign_in(cognito: Any, client_id: str, username: str) -> dict[str, Any]:
    return dict(
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
    )


def answer_totp(cognito: Any, client_id: str, session: str, username: str, code: str) -> dict[str, Any]:
    return dict(
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=session,
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
        )
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


@pytest.fixture
def pools() -> Iterator[dict[str, Any]]:
    """The local pools (participants: TOTP optional; staff: required), a coordinator and a participant."""
    with cognito_mfa.enforced(), mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id, client_id = provision.create_user_pool(cognito)
        staff_pool_id, staff_client_id = provision.create_user_pool(cognito, staff=True)
        for pool, email, role in (
            (staff_pool_id, "morgan@tandem.test", Role.COORDINATOR),
            (staff_pool_id, "priya@tandem.test", Role.CLINICIAN),
            (pool_id, "alex@tandem.test", Role.PARTICIPANT),
        ):
            provision.ensure_user(
                cognito, pool, email=email, password=PASSWORD, role=role, person_id=email[:5]
            )
        yield {
            "cognito": cognito,
            "pool": pool_id,
            "client": client_id,
            "staff_pool": staff_pool_id,
            "staff_client": staff_client_id,
        }


def test_moto_alone_hands_staff_tokens_without_a_second_factor() -> None:
    # Why local.cognito_mfa exists: without it, moto 5.2.5 ignores the pool's required MFA.
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id, client_id = provision.create_user_pool(cognito, staff=True)
        provision.ensure_user(
            cognito, pool_id, email="c@tandem.test", password=PASSWORD, role=Role.COORDINATOR, person_id="c"
        )
        assert "AuthenticationResult" in password_sign_in(cognito, client_id, "c@tandem.test")


def test_staff_without_totp_get_the_setup_challenge_and_no_tokens(pools: dict[str, Any]) -> None:
    cognito, client = pools["cognito"], pools["staff_client"]
    # When a coordinator who never set up TOTP signs in with the right password
    started = password_sign_in(cognito, client, "morgan@tandem.test")
    # Then Cognito asks them to set up TOTP, and issues no tokens
    assert started["ChallengeName"] == "MFA_SETUP"
    assert "AuthenticationResult" not in started
    assert "SOFTWARE_TOKEN_MFA" in started["ChallengeParameters"]["MFAS_CAN_SETUP"]
    # And answering the challenge without a verified token gets nothing either
    with pytest.raises(ClientError) as refused:
        cognito.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="MFA_SETUP",
            Session=started["Session"],
            ChallengeResponses={"USERNAME": "morgan@tandem.test"},
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    # Nor does answering a TOTP challenge nobody set up
    with pytest.raises(ClientError):
        answer_totp(cognito, client, started["Session"], "morgan@tandem.test", "123456")


def test_staff_set_up_totp_then_sign_in_with_a_code_of_their_own_secret(pools: dict[str, Any]) -> None:
    cognito, client = pools["cognito"], pools["staff_client"]
    # Given the setup challenge and a secret for the authenticator app (a fresh one per association)
    started = password_sign_in(cognito, client, "morgan@tandem.test")
    discarded = cognito.associate_software_token(Session=started["Session"])["SecretCode"]
    association = cognito.associate_software_token(Session=started["Session"])
    secret = association["SecretCode"]
    assert COGNITO_TOTP_MFA_SECRET not in (secret, discarded)
    assert secret != discarded
    # When they verify a wrong code, then the right one
    with pytest.raises(ClientError) as mismatch:
        cognito.verify_software_token(
            Session=association["Session"], UserCode=wrong(pyotp.TOTP(secret).now()), FriendlyDeviceName="x"
        )
    assert mismatch.value.response["Error"]["Code"] == "EnableSoftwareTokenMFAException"
    verified = cognito.verify_software_token(
        Session=association["Session"], UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    # Then answering MFA_SETUP with the verified session signs them in, once
    done = cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "morgan@tandem.test"},
    )
    assert done["AuthenticationResult"]["IdToken"]
    with pytest.raises(ClientError):
        cognito.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="MFA_SETUP",
            Session=verified["Session"],
            ChallengeResponses={"USERNAME": "morgan@tandem.test"},
        )
    # And every later sign-in asks for a code: a wrong one fails, a right one signs in
    again = password_sign_in(cognito, client, "morgan@tandem.test")
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in again
    code = pyotp.TOTP(secret).now()
    with pytest.raises(ClientError) as bad:
        answer_totp(cognito, client, again["Session"], "morgan@tandem.test", wrong(code))
    assert bad.value.response["Error"]["Code"] == "CodeMismatchException"
    tokens = answer_totp(cognito, client, again["Session"], "morgan@tandem.test", code)
    assert tokens["AuthenticationResult"]["IdToken"]


def test_a_code_signs_in_only_the_user_whose_session_it_answers(pools: dict[str, Any]) -> None:
    cognito, client = pools["cognito"], pools["staff_client"]
    secret = token.enrol_totp(cognito, client, "priya@tandem.test", PASSWORD)
    token.enrol_totp(cognito, client, "morgan@tandem.test", PASSWORD)
    # Given the clinician's own TOTP challenge, answered with her valid code but the coordinator's name
    challenge = password_sign_in(cognito, client, "priya@tandem.test")
    with pytest.raises(ClientError) as refused:
        answer_totp(cognito, client, challenge["Session"], "morgan@tandem.test", pyotp.TOTP(secret).now())
    # Then nobody is signed in
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_participants_sign_in_without_mfa_and_may_opt_in(pools: dict[str, Any]) -> None:
    cognito, client = pools["cognito"], pools["client"]
    # A participant gets tokens with the password alone
    first = password_sign_in(cognito, client, "alex@tandem.test")
    access = first["AuthenticationResult"]["AccessToken"]
    # When they turn TOTP on with their access token
    secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
    cognito.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())
    cognito.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True})
    # Then the next sign-in asks for a code
    again = password_sign_in(cognito, client, "alex@tandem.test")
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert token.sign_in(cognito, client, "alex@tandem.test", PASSWORD, secret)["IdToken"]


def test_an_administrator_resets_a_lost_device(pools: dict[str, Any]) -> None:
    cognito, client = pools["cognito"], pools["staff_client"]
    old = token.enrol_totp(cognito, client, "morgan@tandem.test", PASSWORD)
    # When an administrator turns the coordinator's software token off
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pools["staff_pool"],
        Username="morgan@tandem.test",
        SoftwareTokenMfaSettings={"Enabled": False},
    )
    # Then the next sign-in asks them to set TOTP up again, and the old secret is worthless
    assert password_sign_in(cognito, client, "morgan@tandem.test")["ChallengeName"] == "MFA_SETUP"
    new = token.enrol_totp(cognito, client, "morgan@tandem.test", PASSWORD)
    assert new != old
    with pytest.raises(token.SignInError):
        token.sign_in(cognito, client, "morgan@tandem.test", PASSWORD)  # no code: no tokens
    assert token.sign_in(cognito, client, "morgan@tandem.test", PASSWORD, new)["IdToken"]
