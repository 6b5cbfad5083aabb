"""Print a Cognito ID token for a demo user of the running local runtime.

.venv/bin/python -m local.token coordinator        # by role
.venv/bin/python -m local.token alex@tandem.example  # by username

Participants sign in with their password. Clinicians and coordinators sign in to the staff pool,
which requires TOTP: Cognito answers the password with the `SOFTWARE_TOKEN_MFA` challenge, and this
answers it with the current code of the demo user's TOTP secret (what an authenticator app shows).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pyotp

from local.settings import LocalSettings

DEVICE_NAME = "demo authenticator"


class SignInError(RuntimeError):
    """Cognito did not issue tokens (a challenge nobody answered, or a wrong code)."""


def cognito_client(state: dict[str, Any]) -> Any:
    """A Cognito client for the local runtime described by `state` (its `local.json`)."""
    import boto3

    return boto3.client(
        "cognito-idp",
        endpoint_url=state["aws_endpoint_url"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts anything
    )


def sign_in(
    cognito: Any, client_id: str, username: str, password: str, totp_secret: str | None = None
) -> dict[str, Any]:
    """`InitiateAuth` with the password, then the TOTP code when Cognito asks for one; the tokens."""
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if result.get("ChallengeName") == "SOFTWARE_TOKEN_MFA" and totp_secret:
        result = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=result["Session"],
            ChallengeResponses={
                "USERNAME": username,
                "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(totp_secret).now(),
            },
        )
    if "AuthenticationResult" not in result:
        raise SignInError(
            f"{username}: Cognito answered the {result.get('ChallengeName')} challenge, no tokens"
        )
    return dict(result["AuthenticationResult"])


def enrol_totp(cognito: Any, client_id: str, username: str, password: str) -> str:
    """Set up TOTP for a user of a pool that requires it, as they would at their first sign-in:
    the password gets `MFA_SETUP`; `AssociateSoftwareToken` gives the secret (an authenticator app
    scans it), `VerifySoftwareToken` takes a current code, and answering `MFA_SETUP` with the
    session it returns signs in. Returns the secret."""
    started = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if started.get("ChallengeName") != "MFA_SETUP":
        raise SignInError(
            f"{username}: expected the MFA_SETUP challenge, got {started.get('ChallengeName') or 'tokens'} "
            "(is local.cognito_mfa installed in moto's process?)"
        )
    association = cognito.associate_software_token(Session=started["Session"])
    secret = str(association["SecretCode"])
    verified = cognito.verify_software_token(
        Session=association["Session"], UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName=DEVICE_NAME
    )
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )
    if "AuthenticationResult" not in done:
        raise SignInError(f"{username}: TOTP set up, but Cognito answered {done.get('ChallengeName')}")
    return secret


def demo_tokens(state: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The tokens of one `users` entry of `local.json` (its pool's client, its TOTP secret if staff)."""
    client_id = user.get("user_pool_client_id") or state["user_pool_client_id"]
    return sign_in(
        cognito_client(state), client_id, user["username"], user["password"], user.get("totp_secret")
    )


def main(argv: list[str]) -> int:
    state_file = LocalSettings.from_env().state_dir / "local.json"
    if not Path(state_file).exists():
        print(f"no {state_file}: start the runtime with `make serve` first", file=sys.stderr)
        return 1
    state = json.loads(Path(state_file).read_text())
    wanted = argv[0] if argv else "coordinator"
    user = next((u for u in state["users"] if wanted in {u["role"], u["username"]}), None)
    if user is None:
        print(f"no demo user {wanted!r}", file=sys.stderr)
        return 1
    print(demo_tokens(state, user)["IdToken"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
