"""Accounts follow people: creating a person provisions their sign-in in moto's Cognito (the
pool of their kind, the person id attribute, the role group, the invitation); coordinators
re-send the invitation, change the email (login and profile in step), deactivate and reactivate.
Through the schedule handler, without the seeded program."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions.common.models import utc_now
from functions.notify.handler import lambda_handler as notify_handler
from functions.notify.store import NotifyStore
from functions.schedule.handler import lambda_handler
from local import cognito_mail
from tests.integration.conftest import audit_entries, caller_of, deliver, publish, stream_records
from tests.support import Reply, claims, context

call = caller_of(lambda_handler)
notify = caller_of(notify_handler)


@pytest.fixture(autouse=True)
def invitation_mail() -> Iterator[None]:
    """Cognito's invitation email, which moto does not send (`local/cognito_mail.py`)."""
    with cognito_mail.delivering():
        yield


COORDINATOR = claims("per_coordinator01", "coordinator")
SUD_PLAN = {
    "sessions_per_week_min": 3,
    "sessions_per_week_max": 5,
    "hours_per_week_min": 9,
    "hours_per_week_max": 12,
    "needs_substance_use_counseling": True,
}
PASSWORD = "Chosen-Passw0rd!"


def person_body(kind: str = "participant", email: str = "river@example.com") -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "display_name": "River Stone",
        "email": email,
        "time_zone": "America/Chicago",
        "state": "TX",
    }
    if kind == "participant":
        body["age_group"] = "adult"
    if kind == "clinician":
        body |= {"roles": ["individual_therapist"], "licensed_states": ["TX"]}
    return body


def create(body: dict[str, Any]) -> dict[str, Any]:
    reply = call("POST", "/people", caller=COORDINATOR, body=body)
    assert reply.status == 201, reply
    return dict(reply.json)


def user(moto_env: dict[str, Any], pool: str, email: str) -> dict[str, Any]:
    found = moto_env["cognito"].admin_get_user(UserPoolId=moto_env["pools"][pool], Username=email)
    return {**found, "attributes": {a["Name"]: a["Value"] for a in found["UserAttributes"]}}


def groups(moto_env: dict[str, Any], pool: str, email: str) -> list[str]:
    listed = moto_env["cognito"].admin_list_groups_for_user(
        UserPoolId=moto_env["pools"][pool], Username=email
    )
    return [g["GroupName"] for g in listed["Groups"]]


def sign_in(moto_env: dict[str, Any], email: str) -> dict[str, Any]:
    cognito, pool = moto_env["cognito"], moto_env["pools"]["USER_POOL_ID"]
    client_id = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=5)["UserPoolClients"][0][
        "ClientId"
    ]
    reply = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return {**reply["AuthenticationResult"], "client_id": client_id}


def choose_password(moto_env: dict[str, Any], email: str) -> None:
    moto_env["cognito"].admin_set_user_password(
        UserPoolId=moto_env["pools"]["USER_POOL_ID"], Username=email, Password=PASSWORD, Permanent=True
    )


def test_creating_people_provisions_their_sign_in_in_the_pool_of_their_kind(moto_env):
    # When a coordinator creates a participant and a clinician
    participant = create(person_body())
    clinician = create(person_body("clinician", "dr.stone@example.com"))
    # Then each has an account awaiting its first password (Cognito emailed the invitation),
    # carrying their person id, in their role's group, in the pool of their kind
    river = user(moto_env, "USER_POOL_ID", "river@example.com")
    assert river["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert river["attributes"]["custom:person_id"] == participant["person_id"]
    assert river["attributes"]["email_verified"] == "true"
    assert groups(moto_env, "USER_POOL_ID", "river@example.com") == ["participant"]
    doctor = user(moto_env, "STAFF_USER_POOL_ID", "dr.stone@example.com")
    assert doctor["attributes"]["custom:person_id"] == clinician["person_id"]
    assert groups(moto_env, "STAFF_USER_POOL_ID", "dr.stone@example.com") == ["clinician"]
    # A staff login never lands in the participant pool
    with pytest.raises(ClientError, match="UserNotFound"):
        user(moto_env, "USER_POOL_ID", "dr.stone@example.com")
    # And the profile says so
    assert participant["account"]["status"] == "invited"
    assert participant["account"]["invited_at"] == participant["created_at"]
    assert call("GET", f"/people/{participant['person_id']}", caller=COORDINATOR).json == participant


def test_a_person_whose_account_could_not_be_made_is_stored_and_invited_later(moto_env, monkeypatch):
    # Given Cognito cannot create the account (the pool it names is not there)
    monkeypatch.setenv("USER_POOL_ID", "us-east-1_missing")
    # When a coordinator creates a participant
    person = create(person_body())
    # Then the person is stored, without an account
    assert person["account"] == {"status": "none", "invited_at": None, "deactivated_at": None}
    # When Cognito is back and the coordinator sends the invitation
    monkeypatch.setenv("USER_POOL_ID", moto_env["pools"]["USER_POOL_ID"])
    reply = call("POST", f"/people/{person['person_id']}/invitation", caller=COORDINATOR)
    # Then the account exists and the profile says it was invited, audited
    assert reply.status == 200, reply
    assert reply.json["account"]["status"] == "invited"
    assert user(moto_env, "USER_POOL_ID", "river@example.com")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    actions = [e["action"] for e in audit_entries(moto_env, f"person/{person['person_id']}")]
    assert sorted(actions) == ["person.create", "person.invite"]


def test_the_invitation_is_resent_until_a_password_is_chosen(moto_env):
    person = create(person_body())
    (first,) = cognito_mail.invitations()
    assert (first["to"], first["kind"]) == ("river@example.com", "invitation")
    again = call("POST", f"/people/{person['person_id']}/invitation", caller=COORDINATOR)
    assert again.status == 200, again
    assert again.json["account"]["invited_at"] >= person["account"]["invited_at"]
    # The same account gets a new temporary password (the first one no longer works)
    _, second = cognito_mail.invitations()
    assert second["kind"] == "resend"
    assert second["temporary_password"] != first["temporary_password"]
    river = user(moto_env, "USER_POOL_ID", "river@example.com")
    assert river["attributes"]["custom:person_id"] == person["person_id"]
    # Once River has chosen a password there is nothing to re-send
    choose_password(moto_env, "river@example.com")
    done = call("POST", f"/people/{person['person_id']}/invitation", caller=COORDINATOR)
    assert done.status == 409, done
    # Only coordinators send invitations; nobody learns of an unknown person
    river = claims(person["person_id"], "participant")
    assert call("POST", f"/people/{person['person_id']}/invitation", caller=river).status == 403
    assert call("POST", "/people/per_nobody/invitation", caller=COORDINATOR).status == 404


def test_deactivation_disables_sign_in_and_revokes_sessions_and_reactivation_restores_it(moto_env):
    # Given River has signed in (and holds a refresh token)
    person = create(person_body())
    choose_password(moto_env, "river@example.com")
    tokens = sign_in(moto_env, "river@example.com")
    cognito = moto_env["cognito"]
    refreshed = cognito.initiate_auth(
        ClientId=tokens["client_id"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert "IdToken" in refreshed["AuthenticationResult"]
    # When a coordinator deactivates River at discharge
    reply = call("POST", f"/people/{person['person_id']}/deactivation", caller=COORDINATOR)
    # Then sign-in is disabled and the refresh token no longer works (signed out everywhere)
    assert reply.status == 200, reply
    assert reply.json["account"]["status"] == "deactivated"
    assert user(moto_env, "USER_POOL_ID", "river@example.com")["Enabled"] is False
    with pytest.raises(ClientError, match="User is disabled"):
        sign_in(moto_env, "river@example.com")
    # (moto 5 fails on a revoked refresh token with an AttributeError where Cognito answers
    # NotAuthorizedException; either way no tokens come back)
    with pytest.raises((ClientError, AttributeError)):
        cognito.initiate_auth(
            ClientId=tokens["client_id"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    # And the records are kept: the profile still reads, and no invitation goes to a deactivated person
    assert call("GET", f"/people/{person['person_id']}", caller=COORDINATOR).status == 200
    assert call("POST", f"/people/{person['person_id']}/invitation", caller=COORDINATOR).status == 409
    # Deactivating again changes nothing
    twice = call("POST", f"/people/{person['person_id']}/deactivation", caller=COORDINATOR)
    assert twice.status == 200
    assert twice.headers["etag"] == reply.headers["etag"]
    # When the coordinator reactivates River, Then River signs in again
    back = call("POST", f"/people/{person['person_id']}/reactivation", caller=COORDINATOR)
    assert back.status == 200, back
    assert back.json["account"]["status"] == "invited"
    assert "IdToken" in sign_in(moto_env, "river@example.com")
    actions = sorted(e["action"] for e in audit_entries(moto_env, f"person/{person['person_id']}"))
    assert actions.count("person.deactivate") == 2  # the write, and the repeat that changed nothing
    assert actions.count("person.reactivate") == 1


def change_email(person_id: str, email: str) -> Reply:
    """A coordinator's PATCH of the person's email, with the ETag just read."""
    path = f"/people/{person_id}"
    current = call("GET", path, caller=COORDINATOR)
    return call(
        "PATCH",
        path,
        caller=COORDINATOR,
        body={"email": email},
        headers={"If-Match": current.headers["etag"]},
    )


def test_an_email_change_moves_the_sign_in_with_the_profile(moto_env):
    person = create(person_body())
    choose_password(moto_env, "river@example.com")
    # When a coordinator changes River's email
    reply = change_email(person["person_id"], "river.stone@example.com")
    # Then River signs in with the new email (same account, same password), not the old one
    assert reply.status == 200, reply
    assert reply.json["email"] == "river.stone@example.com"
    assert "IdToken" in sign_in(moto_env, "river.stone@example.com")
    with pytest.raises(ClientError):
        sign_in(moto_env, "river@example.com")


def test_an_email_change_the_profile_refuses_leaves_the_sign_in_as_it_was(moto_env):
    # Given a participant, and a clinician whose email (in the staff pool) they would take
    person = create(person_body())
    create(person_body("clinician", "dr.stone@example.com"))
    choose_password(moto_env, "river@example.com")
    path = f"/people/{person['person_id']}"
    # When a coordinator changes River's email to the clinician's
    reply = change_email(person["person_id"], "dr.stone@example.com")
    # Then the profile refuses (the email is someone else's), and River's sign-in keeps the old one
    assert reply.status == 409, reply
    assert call("GET", path, caller=COORDINATOR).json["email"] == "river@example.com"
    assert "IdToken" in sign_in(moto_env, "river@example.com")


# --- one source of contact details: the profile ----------------------------------------------


def deliver_profiles(moto_env: dict[str, Any]) -> None:
    """The schedule table's stream so far, published by schedule and taken off notify's queue."""
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    publish(stream_records(moto_env["dynamodb"], streams, moto_env["tables"]["schedule"]))
    assert all(r == {"batchItemFailures": []} for r in deliver(moto_env, "NotifyEvents"))


def test_the_contact_details_a_person_is_created_with_are_the_ones_notifications_use(moto_env):
    # Given a coordinator creates a clinician with an email and a mobile number
    person = create({**person_body("clinician", "dr.stone@example.com"), "phone": "+15125550188"})
    path = f"/people/{person['person_id']}/notification-preferences"
    # When notify takes the schedule stream (twice, as a retried batch would)
    deliver_profiles(moto_env)
    deliver_profiles(moto_env)
    # Then their notification contact details are the profile's
    prefs = notify("GET", path, caller=COORDINATOR)
    assert prefs.status == 200, prefs
    assert (prefs.json["email"], prefs.json["mobile_phone"]) == ("dr.stone@example.com", "+15125550188")
    # And a preferences change may not make them differ (the profile is the one source)
    refused = notify(
        "PUT",
        path,
        caller=COORDINATOR,
        body={"email": "x@example.com"},
        headers={"If-Match": prefs.headers["etag"]},
    )
    assert refused.status == 409, refused
    assert [e["field"] for e in refused.json["errors"]] == ["body.email"]
    # When the coordinator changes the email on the profile, Then notifications follow
    changed = change_email(person["person_id"], "dr.r.stone@example.com")
    assert changed.status == 200, changed
    deliver_profiles(moto_env)
    assert notify("GET", path, caller=COORDINATOR).json["email"] == "dr.r.stone@example.com"


def test_a_deactivated_persons_pending_messages_are_cancelled_when_due(moto_env):
    from functions.notify import send, sweep
    from functions.notify.models import MessageRecord
    from functions.notify.vocabulary import Channel, MessageStatus
    from tests.integration.test_notify_reminders import receive_all, sqs_event

    # Given a person with a message waiting in the outbox
    person = create(person_body())
    deliver_profiles(moto_env)
    store = NotifyStore(moto_env["tables"]["notify"], moto_env["dynamodb"])
    now = utc_now()
    waiting = MessageRecord(
        message_id="msg_discharge01",
        person_id=person["person_id"],
        channel=Channel.EMAIL,
        subject="Your week",
        text="Your sessions this week are in the app.",
        due_at=now,
    )
    assert store.put_new_messages([waiting])
    # When a coordinator deactivates them and notify takes the change
    assert call("POST", f"/people/{person['person_id']}/deactivation", caller=COORDINATOR).status == 200
    deliver_profiles(moto_env)
    # Then, when the message comes due, the sender cancels it rather than send it
    sweep.sweep(store, moto_env["sqs"], moto_env["queue_url"], now=now + timedelta(minutes=1))
    queued = receive_all(moto_env)
    assert len(queued) == 1
    send.process_batch(sqs_event(queued), context("send"), clock=lambda: now + timedelta(minutes=1))
    sent = store.get_message("msg_discharge01")
    assert sent is not None
    assert (sent.status, sent.status_reason) == (MessageStatus.CANCELLED, "person deactivated")


def test_a_coordinator_resets_a_lost_authenticator(moto_env):
    from local import cognito_mfa, token

    with cognito_mfa.enforced():
        # Given a clinician who set TOTP up at their first sign-in
        person = create(person_body("clinician", "dr.stone@example.com"))
        cognito, pool = moto_env["cognito"], moto_env["pools"]["STAFF_USER_POOL_ID"]
        cognito.admin_set_user_password(
            UserPoolId=pool, Username="dr.stone@example.com", Password=PASSWORD, Permanent=True
        )
        client_id = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=5)["UserPoolClients"][0][
            "ClientId"
        ]
        token.enrol_totp(cognito, client_id, "dr.stone@example.com", PASSWORD)

        def challenge() -> str:
            started = cognito.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "dr.stone@example.com", "PASSWORD": PASSWORD},
            )
            return str(started["ChallengeName"])

        assert challenge() == "SOFTWARE_TOKEN_MFA"
        # When they lose their phone and a coordinator resets their second factor
        reply = call("POST", f"/people/{person['person_id']}/second-factor-reset", caller=COORDINATOR)
        # Then their next sign-in sets a new authenticator up, and the reset is audited
        assert reply.status == 200, reply
        assert challenge() == "MFA_SETUP"
        actions = [e["action"] for e in audit_entries(moto_env, f"person/{person['person_id']}")]
        assert "person.second_factor_reset" in actions
        # Only coordinators reset it
        clinician = claims(person["person_id"], "clinician")
        path = f"/people/{person['person_id']}/second-factor-reset"
        assert call("POST", path, caller=clinician).status == 403


def test_account_routes_show_the_substance_use_need_only_to_coordinators_the_program_names(
    moto_env, monkeypatch
):
    person = create({**person_body(), "treatment_plan": SUD_PLAN})
    path = f"/people/{person['person_id']}/invitation"
    reply = call("POST", path, caller=COORDINATOR)
    assert reply.json["treatment_plan"]["needs_substance_use_counseling"] is True
    assert reply.headers["tandem-redisclosure-notice"]
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    reply = call("POST", path, caller=COORDINATOR)
    assert reply.json["treatment_plan"]["needs_substance_use_counseling"] is None
    assert "tandem-redisclosure-notice" not in reply.headers


def test_an_email_cognito_will_not_take_as_a_sign_in_is_a_problem_not_a_failure(moto_env):
    # (moto's Cognito refuses some addresses the profile accepts, e.g. a non-ASCII local part)
    # When a coordinator creates a person with one, Then the person is stored without an account
    person = create(person_body(email="jo\u00e9@example.com"))
    assert person["account"]["status"] == "none"
    # And sending the invitation says why it cannot be, naming the email
    reply = call("POST", f"/people/{person['person_id']}/invitation", caller=COORDINATOR)
    assert reply.status == 409, reply
    assert [e["field"] for e in reply.json["errors"]] == ["body.email"]
