"""TOTP MFA in moto's Cognito, as Cognito enforces it (moto 5.2.5 does not).

Where moto differs, and what this module makes it do instead (in the process moto runs in):

- A password sign-in (`InitiateAuth` USER_PASSWORD_AUTH, `AdminInitiateAuth`, or completing
  NEW_PASSWORD_REQUIRED / the SRP password verifier) to a pool whose MFA is ON by a user without a
  verified software token returns tokens in moto. Cognito answers the `MFA_SETUP` challenge and
  issues no tokens: so does this (the tokens moto minted are revoked before anyone sees them).
- A user with TOTP set up (required by the pool, or turned on by the user in an OPTIONAL pool) is
  answered `SOFTWARE_TOKEN_MFA`.
- `AssociateSoftwareToken` returns one fixed secret for everybody in moto; here each call draws a
  fresh random secret for that user (pending until verified).
- `VerifySoftwareToken` accepts any code in moto (unless an environment variable makes it check
  the fixed secret); here the code must be a current TOTP of the user's pending secret, which then
  becomes the user's. In a pool whose MFA is ON that makes TOTP the user's second factor.
- Answering `MFA_SETUP` logs the user in in moto whatever the session; here only a session returned
  by a successful `VerifySoftwareToken` may, once.
- Answering `SOFTWARE_TOKEN_MFA` checks no code (and takes `USERNAME` from the answer, not the
  session) in moto; here the code must be a current TOTP of the session's own user's secret.
- Turning software-token MFA off (`AdminSetUserMFAPreference` / `SetUserMFAPreference` with
  `Enabled: false`, how an administrator resets a lost device) forgets the secret, so a pool with
  MFA ON asks for `MFA_SETUP` again at the next sign-in.

`install()` patches `CognitoIdpBackend` (every account and region of the process) and returns the
undo. The local runtime installs it before moto serves; tests that run moto in-process install it
around their `mock_aws`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import pyotp
from moto.cognitoidp.exceptions import CodeMismatchException, NotAuthorizedError, ResourceNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, CognitoIdpUserPool
from moto.core.exceptions import JsonRESTError

TOTP: Final = "SOFTWARE_TOKEN_MFA"
SETUP: Final = "MFA_SETUP"
PASSWORD_FLOWS: Final = frozenset({"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
FIRST_FACTOR_CHALLENGES: Final = frozenset({"NEW_PASSWORD_REQUIRED", "PASSWORD_VERIFIER"})
VALID_WINDOW: Final = 1
"""Codes of the previous and next 30-second step are accepted too (clock drift), as Cognito does."""


class EnableSoftwareTokenMfaError(JsonRESTError):
    """What Cognito answers when the code given to `VerifySoftwareToken` is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__("EnableSoftwareTokenMFAException", message)


@dataclass
class _Secrets:
    """One backend's TOTP state (moto keeps none that can be trusted)."""

    pending: dict[str, str] = field(default_factory=dict)
    """User id -> the secret of their last `AssociateSoftwareToken`, not verified yet."""
    verified: dict[str, str] = field(default_factory=dict)
    """User id -> the secret their codes are checked against."""
    setup_sessions: set[str] = field(default_factory=set)
    """Sessions returned by a successful `VerifySoftwareToken` during `MFA_SETUP`."""


_LOCK = threading.RLock()


def _secrets(backend: CognitoIdpBackend) -> _Secrets:
    # On the backend itself: moto's reset() clears the backend's __dict__, and this with it.
    with _LOCK:
        found: _Secrets | None = backend.__dict__.get("_tandem_totp")
        if found is None:
            found = _Secrets()
            backend.__dict__["_tandem_totp"] = found
        return found


def _pool_of_client(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPool:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool
    raise ResourceNotFoundError(client_id)


def _user_of(backend: CognitoIdpBackend, access_token: str | None, session: str | None) -> CognitoIdpUser:
    """The user an access token or an auth session belongs to."""
    if session:
        if session not in backend.sessions:
            raise NotAuthorizedError("Invalid session for the user.")
        username, pool = backend.sessions[session]
        return backend.admin_get_user(pool.id, username)
    for pool in backend.user_pools.values():
        if access_token in pool.access_tokens:
            _, username = pool.access_tokens[access_token]
            return backend.admin_get_user(pool.id, username)
    raise NotAuthorizedError("Invalid Access Token")


def _has_totp(backend: CognitoIdpBackend, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> bool:
    """Whether sign-in asks this user for a code: TOTP set up and either required or turned on."""
    if user.id not in _secrets(backend).verified:
        return False
    return pool.mfa_config == "ON" or bool(user.software_token_mfa_enabled)


def _second_factor(
    backend: CognitoIdpBackend, pool: CognitoIdpUserPool, username: str, result: dict[str, Any]
) -> dict[str, Any]:
    """Turn a first-factor success into the challenge Cognito would answer, if any."""
    tokens = result.get("AuthenticationResult")
    if not tokens:
        return result
    user = backend.admin_get_user(pool.id, username)
    if _has_totp(backend, pool, user):
        challenge, parameters = TOTP, {}
    elif pool.mfa_config == "ON":
        challenge, parameters = SETUP, {"MFAS_CAN_SETUP": json.dumps([TOTP])}
    else:
        return result
    # Nobody ever sees the tokens moto minted: make them useless too.
    pool.access_tokens.pop(tokens.get("AccessToken", ""), None)
    pool.refresh_tokens.pop(tokens.get("RefreshToken", ""), None)
    session = str(uuid.uuid4())
    backend.sessions[session] = (username, pool)
    return {"ChallengeName": challenge, "ChallengeParameters": parameters, "Session": session}


def _check_code(secret: str | None, code: str | None) -> bool:
    return bool(secret and code) and pyotp.TOTP(secret or "").verify(code or "", valid_window=VALID_WINDOW)


Patch = Callable[..., Any]


def _patches(original: dict[str, Patch]) -> dict[str, Patch]:
    def initiate_auth(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        result: dict[str, Any] = original["initiate_auth"](self, client_id, auth_flow, auth_parameters)
        if auth_flow not in PASSWORD_FLOWS:
            return result
        return _second_factor(self, _pool_of_client(self, client_id), auth_parameters["USERNAME"], result)

    def admin_initiate_auth(
        self: CognitoIdpBackend,
        user_pool_id: str,
        client_id: str,
        auth_flow: str,
        auth_parameters: dict[str, str],
    ) -> dict[str, Any]:
        result: dict[str, Any] = original["admin_initiate_auth"](
            self, user_pool_id, client_id, auth_flow, auth_parameters
        )
        if auth_flow not in PASSWORD_FLOWS:
            return result
        return _second_factor(
            self, self.describe_user_pool(user_pool_id), auth_parameters["USERNAME"], result
        )

    def respond_to_auth_challenge(
        self: CognitoIdpBackend, session: str, client_id: str, challenge_name: str, responses: dict[str, str]
    ) -> dict[str, Any]:
        state = _secrets(self)
        if challenge_name == SETUP:
            with _LOCK:
                if session not in state.setup_sessions:
                    raise NotAuthorizedError("Invalid session: verify a software token (TOTP) first.")
                state.setup_sessions.discard(session)
        elif challenge_name == TOTP:
            if session not in self.sessions:
                raise NotAuthorizedError("Invalid session for the user.")
            username, pool = self.sessions[session]
            user = self.admin_get_user(pool.id, username)
            named = responses.get("USERNAME")
            # moto would log in whoever USERNAME names: only the session's own user may answer.
            if named is None or self.admin_get_user(pool.id, named) is not user:
                raise NotAuthorizedError("Invalid session for the user.")
            if not _check_code(state.verified.get(user.id), responses.get("SOFTWARE_TOKEN_MFA_CODE")):
                raise CodeMismatchException("Invalid code received for user")
        result: dict[str, Any] = original["respond_to_auth_challenge"](
            self, session, client_id, challenge_name, responses
        )
        if challenge_name == SETUP:
            self.sessions.pop(session, None)  # one use
        if challenge_name in FIRST_FACTOR_CHALLENGES:
            return _second_factor(self, _pool_of_client(self, client_id), responses["USERNAME"], result)
        return result

    def associate_software_token(self: CognitoIdpBackend, access_token: str, session: str) -> dict[str, str]:
        result: dict[str, str] = original["associate_software_token"](self, access_token, session)
        user = _user_of(self, access_token, session)
        secret = pyotp.random_base32()
        _secrets(self).pending[user.id] = secret
        return {**result, "SecretCode": secret}

    def verify_software_token(
        self: CognitoIdpBackend, access_token: str, session: str, user_code: str, friendly_device_name: str
    ) -> dict[str, str]:
        user = _user_of(self, access_token, session)
        state = _secrets(self)
        secret = state.pending.get(user.id)
        if secret is None:
            raise NotAuthorizedError("Associate a software token (AssociateSoftwareToken) first.")
        if not _check_code(secret, user_code):
            raise EnableSoftwareTokenMfaError("Code mismatch and fail enable Software Token MFA")
        result: dict[str, str] = original["verify_software_token"](
            self, access_token, session, user_code, friendly_device_name
        )
        with _LOCK:
            state.verified[user.id] = state.pending.pop(user.id)
            if session:
                self.sessions.pop(session, None)
                state.setup_sessions.add(result["Session"])
        pool = self.sessions[result["Session"]][1]
        if pool.mfa_config == "ON":
            # A pool that requires MFA makes the verified token the user's second factor.
            user.software_token_mfa_enabled = True
            user.preferred_mfa_setting = TOTP
        return result

    def admin_set_user_mfa_preference(
        self: CognitoIdpBackend,
        user_pool_id: str,
        username: str,
        software_token_mfa_settings: dict[str, bool],
        sms_mfa_settings: dict[str, bool],
    ) -> None:
        original["admin_set_user_mfa_preference"](
            self, user_pool_id, username, software_token_mfa_settings, sms_mfa_settings
        )
        if software_token_mfa_settings and not software_token_mfa_settings.get("Enabled"):
            user = self.admin_get_user(user_pool_id, username)
            user.token_verified = False
            _secrets(self).verified.pop(user.id, None)

    return {
        "initiate_auth": initiate_auth,
        "admin_initiate_auth": admin_initiate_auth,
        "respond_to_auth_challenge": respond_to_auth_challenge,
        "associate_software_token": associate_software_token,
        "verify_software_token": verify_software_token,
        "admin_set_user_mfa_preference": admin_set_user_mfa_preference,
    }


_INSTALLED: list[dict[str, Patch]] = []


def install() -> Callable[[], None]:
    """Make every Cognito backend of this process enforce TOTP MFA; returns the undo."""
    with _LOCK:
        if _INSTALLED:
            return lambda: None  # already in force; the first installer undoes it
        original = {name: getattr(CognitoIdpBackend, name) for name in _patches({})}
        for name, patch in _patches(original).items():
            setattr(CognitoIdpBackend, name, patch)
        _INSTALLED.append(original)

    def undo() -> None:
        with _LOCK:
            if _INSTALLED and _INSTALLED[-1] is original:
                for name, method in _INSTALLED.pop().items():
                    setattr(CognitoIdpBackend, name, method)

    return undo


@contextmanager
def enforced() -> Iterator[None]:
    """`install()` for the length of a `with` block (tests running moto in-process)."""
    undo = install()
    try:
        yield
    finally:
        undo()
