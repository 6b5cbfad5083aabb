"""People: input models, who may see and change whom, stored shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from functions.common.auth import Principal, Role
from functions.common.errors import Forbidden, InvalidInput, NotFound
from functions.schedule.logic import people
from functions.schedule.models import PersonCreate, PersonPatch, PersonRecord
from functions.schedule.vocabulary import ENTITY_PERSON, AgeGroup, PersonKind

CREATED = datetime(2025, 1, 10, 9, 0, 0, tzinfo=UTC)
NOW = datetime(2025, 2, 1, 12, 30, 0, tzinfo=UTC)


def _create(**overrides: Any) -> PersonCreate:
    data = {
        "kind": "participant",
        "display_name": "Alex Rivera",
        "email": "Alex@Example.com",
        "time_zone": "America/Chicago",
        "state": "tx",
        "age_group": "adult",
    }
    data.update(overrides)
    return PersonCreate.model_validate(data)


def _record(**overrides: Any) -> PersonRecord:
    fields = {
        "person_id": "per_alex",
        "kind": PersonKind.PARTICIPANT,
        "display_name": "Alex Rivera",
        "email": "alex@example.com",
        "phone": "+15125550100",
        "time_zone": "America/Chicago",
        "state": "TX",
        "age_group": AgeGroup.ADULT,
        "created_at": CREATED,
        "updated_at": CREATED,
        "version": 3,
    }
    fields.update(overrides)
    return PersonRecord(**fields)


def _principal(role: Role = Role.PARTICIPANT, person_id: str = "per_alex") -> Principal:
    return Principal(person_id=person_id, role=role, username=person_id)


# --- PersonCreate -----------------------------------------------------------------------------


def test_participant_create_normalises_fields():
    person = _create()
    assert person.kind is PersonKind.PARTICIPANT
    assert person.email == "alex@example.com"
    assert person.state == "TX"
    assert person.age_group is AgeGroup.ADULT
    assert person.phone is None


@pytest.mark.parametrize("missing", ["state", "age_group"])
def test_participant_needs_state_and_age_group(missing):
    data = {
        "kind": "participant",
        "display_name": "Alex",
        "email": "alex@example.com",
        "time_zone": "America/Chicago",
        "state": "TX",
        "age_group": "adult",
    }
    del data[missing]
    with pytest.raises(ValidationError, match=missing):
        PersonCreate.model_validate(data)


def test_clinician_needs_roles_and_licensed_states_but_no_age_group():
    person = _create(
        kind="clinician",
        state=None,
        age_group=None,
        roles=["couples_therapist"],
        licensed_states=["tx", "CA"],
    )
    assert person.kind is PersonKind.CLINICIAN
    assert person.licensed_states == ["TX", "CA"]
    with pytest.raises(ValidationError, match="roles and licensed_states"):
        _create(kind="clinician", state=None, age_group=None)


def test_participant_gets_the_program_default_plan_for_their_age_group():
    adult = people.new_person(_create(), person_id="per_a0000001", now=datetime(2026, 11, 2, tzinfo=UTC))
    teen = people.new_person(
        _create(age_group="adolescent"), person_id="per_a0000002", now=datetime(2026, 11, 2, tzinfo=UTC)
    )
    assert (adult.treatment_plan.sessions_per_week_min, adult.treatment_plan.sessions_per_week_max) == (3, 5)
    assert (adult.treatment_plan.hours_per_week_min, adult.treatment_plan.hours_per_week_max) == (9, 19)
    assert (teen.treatment_plan.hours_per_week_min, teen.treatment_plan.hours_per_week_max) == (6, 19)


def test_plan_hours_outside_asam_are_refused_naming_the_field():
    # Given an adult plan below ASAM 2.1's 9 hours and above its 19
    plan = {
        "sessions_per_week_min": 3,
        "sessions_per_week_max": 5,
        "hours_per_week_min": 6,
        "hours_per_week_max": 20,
    }
    with pytest.raises(InvalidInput) as refused:
        people.new_person(
            _create(treatment_plan=plan), person_id="per_a0000003", now=datetime(2026, 11, 2, tzinfo=UTC)
        )
    fields = {e.field for e in refused.value.errors}
    assert fields == {"body.treatment_plan.hours_per_week_min", "body.treatment_plan.hours_per_week_max"}


@pytest.mark.parametrize("kind", ["clinician", "coordinator"])
def test_age_group_is_for_participants_only(kind):
    with pytest.raises(ValidationError, match="age_group"):
        _create(kind=kind, age_group="adult")


def test_create_forbids_extra_fields():
    with pytest.raises(ValidationError, match="extra"):
        _create(diagnosis="F10.20")


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_zone", "Mars/Olympus"), ("phone", "5125550100"), ("email", "nope"), ("display_name", "   ")],
)
def test_create_rejects_bad_field_values(field, value):
    with pytest.raises(ValidationError):
        _create(**{field: value})


# --- PersonPatch -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["display_name", "email", "time_zone", "state", "age_group"])
def test_patch_refuses_explicit_null_except_phone(field):
    with pytest.raises(ValidationError, match="cleared"):
        PersonPatch.model_validate({field: None})


def test_patch_allows_clearing_phone():
    patch = PersonPatch.model_validate({"phone": None})
    assert patch.phone is None
    assert patch.changed_fields() == {"phone"}


def test_patch_changed_fields_are_only_those_sent():
    assert PersonPatch.model_validate({}).changed_fields() == set()
    patch = PersonPatch.model_validate({"display_name": "Sam", "time_zone": "America/Denver"})
    assert patch.changed_fields() == {"display_name", "time_zone"}


def test_patch_forbids_extra_fields():
    with pytest.raises(ValidationError):
        PersonPatch.model_validate({"kind": "coordinator"})


# --- apply_patch ---------------------------------------------------------------------------------


def test_participant_edits_own_self_editable_fields():
    # Given a participant's stored record at version 3
    record = _record()
    patch = PersonPatch.model_validate(
        {"display_name": "Alex R.", "phone": "+15125550111", "time_zone": "America/Denver"}
    )

    # When the participant patches their own profile
    updated = people.apply_patch(record, patch, principal=_principal(), now=NOW)

    # Then the fields change, the version moves on and updated_at is now
    assert updated.display_name == "Alex R."
    assert updated.phone == "+15125550111"
    assert updated.time_zone == "America/Denver"
    assert updated.version == 4
    assert updated.updated_at == NOW
    # And everything else stays as it was
    assert updated.created_at == CREATED
    assert updated.email == record.email
    assert updated.state == "TX"
    # And the original record is untouched
    assert record.version == 3
    assert record.display_name == "Alex Rivera"


def test_participant_clears_own_phone():
    updated = people.apply_patch(
        _record(), PersonPatch.model_validate({"phone": None}), principal=_principal(), now=NOW
    )
    assert updated.phone is None
    assert updated.version == 4


def test_untouched_fields_are_not_cleared_by_an_empty_patch():
    record = _record()
    updated = people.apply_patch(record, PersonPatch(), principal=_principal(), now=NOW)
    assert updated.phone == record.phone
    assert updated.display_name == record.display_name
    assert updated.version == record.version + 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"state": "CA"}, ["body.state"]),
        ({"email": "new@example.com"}, ["body.email"]),
        ({"display_name": "ok", "state": "CA", "email": "new@example.com"}, ["body.email", "body.state"]),
        ({"age_group": "adolescent"}, ["body.age_group"]),
    ],
)
@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.CLINICIAN])
def test_non_coordinators_cannot_change_coordinator_fields(body, fields, role):
    # Given a participant (or clinician) patching fields only coordinators own
    patch = PersonPatch.model_validate(body)

    # When the patch is applied, then it is forbidden and the errors name each field
    with pytest.raises(Forbidden) as caught:
        people.apply_patch(_record(), patch, principal=_principal(role=role), now=NOW)
    assert [e.field for e in caught.value.errors] == fields


def test_coordinator_may_change_anything():
    patch = PersonPatch.model_validate(
        {
            "display_name": "Alexandra Rivera",
            "email": "NEW@example.com",
            "phone": None,
            "time_zone": "America/New_York",
            "state": "ny",
            "age_group": "adolescent",
        }
    )
    updated = people.apply_patch(
        _record(), patch, principal=_principal(role=Role.COORDINATOR, person_id="per_coord"), now=NOW
    )
    assert updated.display_name == "Alexandra Rivera"
    assert updated.email == "new@example.com"
    assert updated.phone is None
    assert updated.time_zone == "America/New_York"
    assert updated.state == "NY"
    assert updated.age_group is AgeGroup.ADOLESCENT
    assert updated.version == 4
    assert updated.updated_at == NOW


# --- ensure_readable -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_self_is_readable(role):
    people.ensure_readable(_principal(role=role, person_id="per_x"), "per_x")


def test_coordinator_reads_anyone():
    people.ensure_readable(_principal(role=Role.COORDINATOR, person_id="per_c"), "per_someone")


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.CLINICIAN])
def test_others_are_not_found_never_forbidden(role):
    with pytest.raises(NotFound) as caught:
        people.ensure_readable(_principal(role=role, person_id="per_a"), "per_b")
    assert not isinstance(caught.value, Forbidden)
    assert caught.value.status == 404


# --- new_person / stored shape ----------------------------------------------------------------


def test_new_person_starts_at_version_one():
    record = people.new_person(_create(), person_id="per_new", now=NOW)
    assert record.version == 1
    assert record.created_at == record.updated_at == NOW
    assert record.email == "alex@example.com"
    assert record.state == "TX"


def test_new_person_ids_are_unique_and_well_formed():
    first, second = people.new_person_id(), people.new_person_id()
    assert first != second
    assert first.startswith("per_")


def test_to_output_has_no_storage_fields():
    out = people.to_output(_record())
    dumped = out.model_dump()
    assert "version" not in dumped
    assert "pk" not in dumped
    assert dumped["person_id"] == "per_alex"


def test_record_attributes_round_trip():
    record = _record(updated_at=NOW)
    attributes = record.to_attributes()

    assert attributes["pk"] == "PERSON#per_alex"
    assert attributes["sk"] == "PROFILE"
    assert attributes["entity"] == ENTITY_PERSON
    assert attributes["gsi1pk"] == "KIND#participant"
    assert attributes["gsi1sk"] == "alex rivera#per_alex"
    assert attributes["created_at"] == "2025-01-10T09:00:00Z"
    assert attributes["age_group"] == "adult"
    assert attributes["version"] == 3

    assert PersonRecord.from_attributes(attributes) == record


def test_record_round_trip_without_optional_fields():
    record = _record(kind=PersonKind.CLINICIAN, phone=None, state=None, age_group=None)
    assert PersonRecord.from_attributes(record.to_attributes()) == record
