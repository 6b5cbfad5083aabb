"""Group series rules: RRULE parsing and wall-clock expansion."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from functions.common.errors import InvalidInput
from functions.schedule.logic import groups
from functions.schedule.models import GroupCreate, PersonRecord
from functions.schedule.vocabulary import ClinicianRole, PersonKind

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def facilitator(*roles: ClinicianRole) -> PersonRecord:
    return PersonRecord(
        person_id="per_facil001",
        kind=PersonKind.CLINICIAN,
        display_name="F",
        email="f@example.com",
        time_zone="America/Chicago",
        roles=list(roles or (ClinicianRole.GROUP_FACILITATOR,)),
        licensed_states=["TX"],
        created_at=NOW,
        updated_at=NOW,
    )


def request(
    rrule: str = "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", first: str = "2027-03-09T18:30:00-06:00"
) -> GroupCreate:
    return GroupCreate.model_validate(
        {
            "type": "cbt_skills",
            "title": "Skills",
            "facilitator_id": "per_facil001",
            "rrule": rrule,
            "first_start": first,
            "time_zone": "America/Chicago",
            "duration_minutes": 90,
            "capacity": 8,
        }
    )


def test_a_bounded_series_expands_on_the_wall_clock_across_dst():
    group = groups.new_group(request(), group_id="grp_00000001", facilitator=facilitator(), now=NOW)
    found = list(groups.occurrences(group, NOW, datetime(2028, 1, 1, tzinfo=UTC)))
    local = [(s.astimezone(CHICAGO).strftime("%a %d %H:%M %Z"), (e - s).seconds // 60) for s, e in found]
    assert local == [
        ("Tue 09 18:30 CST", 90),
        ("Thu 11 18:30 CST", 90),
        ("Tue 16 18:30 CDT", 90),
        ("Thu 18 18:30 CDT", 90),
    ]
    assert group.evening is True
    assert group.weekend is False


def test_occurrences_are_clipped_to_the_window():
    group = groups.new_group(request(), group_id="grp_00000001", facilitator=facilitator(), now=NOW)
    window = list(
        groups.occurrences(group, datetime(2027, 3, 12, 12, tzinfo=UTC), datetime(2027, 3, 17, tzinfo=UTC))
    )
    assert [s.astimezone(CHICAGO).day for s, _ in window] == [16]


@pytest.mark.parametrize(
    "rule", ["FREQ=MONTHLY", "FREQ=YEARLY;COUNT=2", "BYDAY=MO", "FREQ=WEEKLY;BYDAY=ZZ", "FREQ=WEEKLY;COUNT=x"]
)
def test_unsupported_or_broken_rules_name_the_field(rule):
    with pytest.raises(InvalidInput) as refused:
        groups.new_group(request(rrule=rule), group_id="grp_00000001", facilitator=facilitator(), now=NOW)
    assert refused.value.errors[0].field == "body.rrule"


def test_only_group_facilitators_lead_groups():
    with pytest.raises(InvalidInput) as refused:
        groups.new_group(
            request(), group_id="grp_00000001", facilitator=facilitator(ClinicianRole.PRESCRIBER), now=NOW
        )
    assert refused.value.errors[0].field == "body.facilitator_id"


def test_enrolment_carries_enough_to_expand_the_series():
    group = groups.new_group(request(), group_id="grp_00000001", facilitator=facilitator(), now=NOW)
    copy = groups.group_series(group.schedule_attributes())
    window = (NOW, datetime(2028, 1, 1, tzinfo=UTC))
    assert list(groups.occurrences(copy, *window)) == list(groups.occurrences(group, *window))


def test_commitment_clash_finds_an_occurrence_that_began_before_the_session_across_dst():
    # Given a Tue/Thu 18:30 Chicago series of 90 minutes that spans the March DST change
    group = groups.new_group(request(), group_id="grp_skills001", facilitator=facilitator(), now=NOW)
    commitments = {"per_member001": {"g_grp_skills001": group.commitment(), "rev": 3}}
    after_dst = datetime(2027, 3, 16, 18, 30, tzinfo=CHICAGO)  # CDT now: 23:30 UTC, not 00:30
    # When a session starts in the middle of the occurrence
    clash = groups.commitment_clash(
        commitments, after_dst.replace(hour=19, minute=15), after_dst.replace(hour=20, minute=15)
    )
    # Then the occurrence it overlaps is named, at its wall-clock time
    ends = after_dst.replace(hour=20, minute=0)
    assert clash == groups.GroupClash("per_member001", "grp_skills001", after_dst, ends)
    # And sessions that only touch its ends, or fall on other days, are clear
    assert groups.commitment_clash(commitments, ends, ends.replace(hour=21)) is None
    assert groups.commitment_clash(commitments, after_dst.replace(hour=17, minute=30), after_dst) is None
    monday = after_dst.replace(day=15)
    assert groups.commitment_clash(commitments, monday, monday.replace(hour=20)) is None
