"""Sign-in accounts: one Cognito user per person, kept in step with their profile. The only module
of the schedule function that speaks Cognito.

A participant's account is in the participant pool (TOTP optional), a clinician's or
coordinator's in the staff pool (TOTP required at first sign-in): a staff role can never be held
by a login without a second factor. Each account carries the `custom:person_id` attribute (the
claim every route reads) and the role group of the person's kind.

The invitation is Cognito's own: `AdminCreateUser` emails the person a temporary password
(the pool's invitation message); their first sign-in answers `NEW_PASSWORD_REQUIRED` (and, in
the staff pool, `MFA_SETUP`). Re-sending it is `MessageAction=RESEND`, only while the person has
not yet chosen a password.

Every call is idempotent, so a route that failed half-way converges when it is repeated: creating
an account that exists (for the same person) only adds the group, disabling a disabled one
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from functions.common.auth import PERSON_ID_CLAIM, Role
from functions.common.dynamo import error_code
from functions.common.errors import Conflict, FieldError
from functions.schedule.models import PersonRecord
from functions.schedule.vocabulary import PersonKind

ROLE_OF_KIND: Final[dict[PersonKind, Role]] = {
    PersonKind.PARTICIPANT: Role.PARTICIPANT,
    PersonKind.CLINICIAN: Role.CLINICIAN,
    PersonKind.COORDINATOR: Role.COORDINATOR,
}
SIGN_IN_ACTIONS: Final = (
    "AdminCreateUser",
    "AdminGetUser",
    "AdminAddUserToGroup",
    "AdminDeleteUser",
    "AdminUpdateUserAttributes",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminUserGlobalSignOut",
    "AdminSetUserMFAPreference",
)
"""Every Cognito action this module calls: what the schedule API's IAM policy allows on the pools."""
AWAITING_PASSWORD: Final = "FORCE_CHANGE_PASSWORD"  # noqa: S105 - a user status, not a secret
"""Cognito's status of a user who has not yet replaced the invitation's temporary password."""


class EmailRefused(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Cognito does not take this email as a sign-in: correct the person's email",
            errors=[FieldError("body.email", "not accepted as a sign-in by Cognito")],
        )


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "another sign-in already uses this email",
            errors=[FieldError("body.email", "another sign-in already uses this email")],
        )


@dataclass(frozen=True)
class Accounts:
    client: Any
    participant_pool_id: str
    staff_pool_id: str

    def pool_of(self, person: PersonRecord) -> str:
        return self.participant_pool_id if person.kind is PersonKind.PARTICIPANT else self.staff_pool_id

    def invite(self, person: PersonRecord, *, resend: bool = False) -> bool:
        """Create the person's account and email the invitation; with `resend`, email it again
        to an account still awaiting its first password (an account that has one: 409). True
        when this call created the account."""
        pool = self.pool_of(person)
        created = True
        try:
            self.client.admin_create_user(
                UserPoolId=pool,
                Username=person.email,
                UserAttributes=[
                    {"Name": "email", "Value": person.email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": PERSON_ID_CLAIM, "Value": person.person_id},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )
        except ClientError as exc:
            if error_code(exc) == "InvalidParameterException":
                raise EmailRefused() from None
            if error_code(exc) != "UsernameExistsException":
                raise
            user = self._user(pool, person)
            created = False
            if resend:
                if user["UserStatus"] != AWAITING_PASSWORD:
                    raise Conflict(
                        "this person has already chosen a password: there is no invitation to resend"
                    ) from None
                self.client.admin_create_user(
                    UserPoolId=pool,
                    Username=person.email,
                    MessageAction="RESEND",
                    DesiredDeliveryMediums=["EMAIL"],
                )
        self.client.admin_add_user_to_group(
            UserPoolId=pool, Username=person.email, GroupName=ROLE_OF_KIND[person.kind].value
        )
        return created

    def remove(self, person: PersonRecord) -> None:
        """Delete an account `invite` just created for a person who was then not stored."""
        self._on_account(
            person, lambda pool: self.client.admin_delete_user(UserPoolId=pool, Username=person.email)
        )

    def _user(self, pool: str, person: PersonRecord) -> dict[str, Any]:
        """The existing account under the person's email; 409 when it is someone else's."""
        user: dict[str, Any] = self.client.admin_get_user(UserPoolId=pool, Username=person.email)
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        if attributes.get(PERSON_ID_CLAIM) != person.person_id:
            raise EmailTaken()
        return user

    def change_email(self, person: PersonRecord, new_email: str) -> bool:
        """Move the person's sign-in to `new_email` (verified: a coordinator vouches for it).
        False when the person has no account yet (nothing to keep in step)."""
        return self._on_account(
            person,
            lambda pool: self.client.admin_update_user_attributes(
                UserPoolId=pool,
                Username=person.email,
                UserAttributes=[
                    {"Name": "email", "Value": new_email},
                    {"Name": "email_verified", "Value": "true"},
                ],
            ),
        )

    def set_enabled(self, person: PersonRecord, enabled: bool) -> bool:
        """Enable or disable the person's sign-in; disabling also revokes every refresh token
        (signed out everywhere). False when the person has no account."""

        def change(pool: str) -> None:
            if enabled:
                self.client.admin_enable_user(UserPoolId=pool, Username=person.email)
            else:
                self.client.admin_disable_user(UserPoolId=pool, Username=person.email)
                self.client.admin_user_global_sign_out(UserPoolId=pool, Username=person.email)

        return self._on_account(person, change)

    def reset_second_factor(self, person: PersonRecord) -> bool:
        """A lost device: forget the person's authenticator (TOTP) and sign them out everywhere.
        In the staff pool their next sign-in sets a new one up (`MFA_SETUP`); a participant
        signs in with their password alone until they turn it on again. False: no account."""

        def reset(pool: str) -> None:
            self.client.admin_set_user_mfa_preference(
                UserPoolId=pool,
                Username=person.email,
                SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
            )
            self.client.admin_user_global_sign_out(UserPoolId=pool, Username=person.email)

        return self._on_account(person, reset)

    def _on_account(self, person: PersonRecord, call: Callable[[str], object]) -> bool:
        """Run `call` on the person's pool: False when they have no account; Cognito's refusals
        of the email as problems naming it (409), never a 500."""
        try:
            call(self.pool_of(person))
        except ClientError as exc:
            code = error_code(exc)
            if code == "UserNotFoundException":
                return False
            if code in {"AliasExistsException", "UsernameExistsException"}:
                raise EmailTaken() from None
            if code == "InvalidParameterException":
                raise EmailRefused() from None
            raise
        return True
