"""The caller's identity from Cognito authorizer claims."""

from __future__ import annotations

from typing import Any

import pytest

from functions.common.auth import (
    GROUPS_CLAIM,
    PERSON_ID_CLAIM,
    Principal,
    Role,
    principal_from_claims,
    principal_from_event,
)
from functions.common.errors import Forbidden, Unauthenticated


def _claims(groups: Any, person_id: str = "per_1", **more: Any) -> dict[str, Any]:
    return {PERSON_ID_CLAIM: person_id, GROUPS_CLAIM: groups, **more}


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["participant"], Role.PARTICIPANT),
        (["clinician", "participant"], Role.CLINICIAN),
        ("[participant, coordinator]", Role.COORDINATOR),
        ("[clinician]", Role.CLINICIAN),
        ("participant,clinician", Role.CLINICIAN),
        ("participant, coordinator", Role.COORDINATOR),
        ("participant", Role.PARTICIPANT),
        ("coordinator", Role.COORDINATOR),
        ("[some-other-group, participant]", Role.PARTICIPANT),
    ],
)
def test_groups_claim_shapes(groups, role):
    assert principal_from_claims(_claims(groups)).role is role


@pytest.mark.parametrize(
    "groups",
    [
        ["participant", "clinician", "coordinator"],
        ["coordinator", "participant"],
        "[participant, clinician, coordinator]",
        "clinician,coordinator",
    ],
)
def test_coordinator_takes_precedence(groups):
    assert principal_from_claims(_claims(groups)).role is Role.COORDINATOR


def test_clinician_takes_precedence_over_participant():
    assert principal_from_claims(_claims(["participant", "clinician"])).role is Role.CLINICIAN


def test_principal_fields():
    principal = principal_from_claims(
        _claims("participant", person_id="per_42", **{"cognito:username": "u1"})
    )
    assert principal == Principal(person_id="per_42", role=Role.PARTICIPANT, username="u1")
    assert not principal.is_coordinator


def test_username_falls_back_to_sub_then_person_id():
    assert principal_from_claims(_claims("clinician", sub="sub-9")).username == "sub-9"
    assert principal_from_claims(_claims("clinician", person_id="per_7")).username == "per_7"


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {GROUPS_CLAIM: "participant"},
        {PERSON_ID_CLAIM: "", GROUPS_CLAIM: "participant"},
        {PERSON_ID_CLAIM: "per_1"},
        {PERSON_ID_CLAIM: "per_1", GROUPS_CLAIM: ""},
        {PERSON_ID_CLAIM: "per_1", GROUPS_CLAIM: "[]"},
        {PERSON_ID_CLAIM: "per_1", GROUPS_CLAIM: []},
        {PERSON_ID_CLAIM: "per_1", GROUPS_CLAIM: "admins,staff"},
        {PERSON_ID_CLAIM: "per_1", GROUPS_CLAIM: 42},
        # a near miss is not a role
        {PERSON_ID_CLAIM: "per_1", GROUPS_CLAIM: "coordinators"},
    ],
)
def test_unauthenticated_claims(claims):
    with pytest.raises(Unauthenticated):
        principal_from_claims(claims)


def test_principal_from_event_reads_authorizer_claims():
    event = {"requestContext": {"authorizer": {"claims": _claims("[coordinator]", person_id="per_c")}}}
    principal = principal_from_event(event)
    assert principal.person_id == "per_c"
    assert principal.is_coordinator


@pytest.mark.parametrize("event", [{}, {"requestContext": None}, {"requestContext": {"authorizer": {}}}])
def test_principal_from_event_without_claims_is_unauthenticated(event):
    with pytest.raises(Unauthenticated):
        principal_from_event(event)


def test_require_accepts_a_listed_role():
    principal = Principal(person_id="per_1", role=Role.CLINICIAN, username="u")
    principal.require(Role.CLINICIAN)
    principal.require(Role.COORDINATOR, Role.CLINICIAN)


@pytest.mark.parametrize(
    ("role", "required"),
    [
        (Role.PARTICIPANT, (Role.COORDINATOR,)),
        (Role.PARTICIPANT, (Role.CLINICIAN, Role.COORDINATOR)),
        (Role.CLINICIAN, (Role.COORDINATOR,)),
        (Role.COORDINATOR, (Role.PARTICIPANT,)),
    ],
)
def test_require_forbids_other_roles(role, required):
    principal = Principal(person_id="per_1", role=role, username="u")
    with pytest.raises(Forbidden) as caught:
        principal.require(*required)
    assert caught.value.status == 403
    for r in required:
        assert r.value in caught.value.detail
