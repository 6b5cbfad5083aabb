"""Cognito's invitation email in moto, as Cognito sends it (moto 5.2.5 sends nothing).

`AdminCreateUser` without `MessageAction=SUPPRESS` makes Cognito draw a temporary password and
email it with the username (the pool's invitation message); the user's first sign-in answers
`NEW_PASSWORD_REQUIRED`. moto draws no password when none is given (nobody could ever sign in)
and, for `MessageAction=RESEND`, creates a second user under the same email instead of mailing
the first one a new temporary password. Here:

- a created user without a temporary password gets a fresh one that meets the pools' policy;
- `RESEND` gives the existing user (still awaiting their first password) a new temporary password;
- either way the invitation lands in this process's mailbox (`invitations()`), which the local
  gateway shows at `/_local/invitations`: what the person would find in their inbox.

The mailbox is local developer state (like moto's sent SMS), never request state.
`install()` patches `CognitoIdpBackend` and returns the undo; tests use `delivering()`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, UserStatus

_LOCK = threading.Lock()
_MAILBOX: list[dict[str, str]] = []
_INSTALLED: list[Callable[..., Any]] = []


def new_temporary_password() -> str:
    """Random, and within every Tandem pool's policy (12+ characters, all four classes)."""
    return f"{secrets.token_urlsafe(12)}-Aa1"


def invitations() -> list[dict[str, str]]:
    """The invitations sent so far, oldest first."""
    with _LOCK:
        return [dict(m) for m in _MAILBOX]


def _deliver(user: CognitoIdpUser, pool_id: str, kind: str) -> None:
    with _LOCK:
        _MAILBOX.append(
            {
                "kind": kind,
                "to": str(user.attribute_lookup.get("email", "")),
                "user_pool_id": pool_id,
                "username": str(user.attribute_lookup.get("email", user.username)),
                "temporary_password": str(user.password),
                "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )


def install() -> Callable[[], None]:
    """Make every Cognito backend of this process send invitations; returns the undo."""
    with _LOCK:
        if _INSTALLED:
            return lambda: None  # already in force; the first installer undoes it
        original = CognitoIdpBackend.admin_create_user

        def admin_create_user(
            self: CognitoIdpBackend,
            user_pool_id: str,
            username: str,
            message_action: str,
            temporary_password: str | None,
            attributes: list[dict[str, str]],
        ) -> CognitoIdpUser:
            if message_action == "RESEND":
                user: CognitoIdpUser = self.admin_get_user(user_pool_id, username)
                if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
                    # Cognito: UnsupportedUserStateException (moto has no such error class)
                    raise InvalidParameterException("Resend not possible: the user has a password")
                user.password = new_temporary_password()
                _deliver(user, user_pool_id, "resend")
                return user
            if not temporary_password and message_action != "SUPPRESS":
                temporary_password = new_temporary_password()
            user = original(self, user_pool_id, username, message_action, temporary_password, attributes)  # type: ignore[arg-type]
            if message_action != "SUPPRESS":
                _deliver(user, user_pool_id, "invitation")
            return user

        setattr(CognitoIdpBackend, "admin_create_user", admin_create_user)  # noqa: B010
        _INSTALLED.append(original)

    def undo() -> None:
        with _LOCK:
            if _INSTALLED and _INSTALLED[-1] is original:
                setattr(CognitoIdpBackend, "admin_create_user", _INSTALLED.pop())  # noqa: B010
                _MAILBOX.clear()

    return undo


@contextmanager
def delivering() -> Iterator[None]:
    """`install()` for the length of a `with` block (tests running moto in-process)."""
    undo = install()
    try:
        yield
    finally:
        undo()
