"""The schedule table's keys, byte for byte (`functions/schedule/keys.py`): integration tests
read items back through the same functions, so only a test that spells each key pins the
stored layout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.schedule import keys
from functions.schedule.keys import ItemKind
from functions.schedule.vocabulary import CareRole, GroupType, PersonKind

AT = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
STAMP = "2026-03-04T15:00:00Z"

KEYS = [
    (keys.person_key("p1"), "PERSON#p1", "PROFILE", ItemKind.PERSON),
    (keys.availability_key("c1"), "PERSON#c1", "AVAILABILITY", ItemKind.AVAILABILITY),
    (
        keys.care_key("p1", CareRole.INDIVIDUAL_THERAPIST),
        "PERSON#p1",
        f"CARE#{CareRole.INDIVIDUAL_THERAPIST.value}",
        ItemKind.CARE,
    ),
    (keys.couple_membership_key("p1"), "PERSON#p1", "COUPLE", ItemKind.COUPLE_MEMBERSHIP),
    (keys.consent_key("p1", "k1"), "PERSON#p1", "CONSENT#k1", ItemKind.CONSENT),
    (keys.commitments_key("p1"), "PERSON#p1", "COMMITMENTS", ItemKind.COMMITMENTS),
    (keys.feed_pointer_key("p1"), "PERSON#p1", "FEED", ItemKind.FEED_POINTER),
    (keys.enrolment_key("p1", "g1"), "PERSON#p1", "GROUP#g1", ItemKind.ENROLMENT),
    (keys.facilitation_key("c1", "g1"), "PERSON#c1", "FACILITATES#g1", ItemKind.FACILITATION),
    (keys.group_week_key("p1", "2026-W10"), "PERSON#p1", "GROUPWEEK#2026-W10", ItemKind.GROUP_WEEK),
    (keys.makeup_offer_key("p1", "s1"), "PERSON#p1", "MAKEUP#s1", ItemKind.MAKEUP_OFFER),
    (keys.couple_key("cp1"), "COUPLE#cp1", "PROFILE", ItemKind.COUPLE),
    (keys.session_key("s1"), "SESSION#s1", "SESSION", ItemKind.SESSION),
    (keys.room_key("s1"), "SESSION#s1", "ROOM", ItemKind.ROOM),
    (keys.session_member_key("s1", "p1"), "SESSION#s1", "MEMBER#p1", ItemKind.SESSION_MEMBER),
    (keys.reservation_key("p1", AT), "BUSY#p1", f"SLOT#{STAMP}", ItemKind.RESERVATION),
    (keys.group_key("g1"), "GROUP#g1", "SERIES", ItemKind.GROUP),
    (keys.group_member_key("g1", "p1"), "GROUP#g1", "MEMBER#p1", ItemKind.GROUP_MEMBER),
    (
        keys.wait_key("g1", keys.wait_sort_key("2026-03-04T15:00:00.000001Z", "p1")),
        "GROUP#g1",
        "WAIT#2026-03-04T15:00:00.000001Z#p1",
        ItemKind.GROUP_WAIT,
    ),
    (keys.occurrence_key("g1", AT), "GROUP#g1", f"OCC#{STAMP}", ItemKind.OCCURRENCE),
    (keys.group_attendee_key("g1", AT, "p1"), "GROUP#g1", f"ATTENDEE#{STAMP}#p1", ItemKind.GROUP_ATTENDEE),
    (keys.intensity_key("2026-W10", "p1"), "INTENSITY#2026-W10", "PERSON#p1", ItemKind.INTENSITY),
    (keys.feed_key("abc"), "FEED#abc", "FEED", ItemKind.FEED),
    (keys.email_key("a@example.org"), "EMAIL#a@example.org", "EMAIL", ItemKind.EMAIL),
]


@pytest.mark.parametrize(("key", "pk", "sk", "kind"), KEYS, ids=[k[3].value for k in KEYS])
def test_each_key_is_spelt_as_stored_and_read_back_as_its_kind(
    key: dict[str, str], pk: str, sk: str, kind: ItemKind
) -> None:
    assert key == {"pk": pk, "sk": sk}
    assert keys.kind_of(key) is kind
    assert keys.kind_of({**key, "entity": "X"}) is kind  # an item is read by its key alone
    assert keys.ident(key) == (pk, sk)


def test_every_kind_has_a_key() -> None:
    assert {k[3] for k in KEYS} == set(ItemKind)


@pytest.mark.parametrize(
    "key",
    [
        {"pk": "PERSON#p1", "sk": "NOTHING"},
        {"pk": "PERSON#p1", "sk": "SLOT#x"},
        {"pk": "RESOURCE#x", "sk": "PROFILE"},
        {"pk": "GROUP#g1", "sk": "MEMBER"},
        {},
    ],
)
def test_a_key_of_no_schedule_item_has_no_kind(key: dict[str, str]) -> None:
    assert keys.kind_of(key) is None


def test_index_attributes() -> None:
    assert keys.person_index(PersonKind.PARTICIPANT, "Dana Ř", "p1") == {
        "gsi1pk": f"KIND#{PersonKind.PARTICIPANT.value}",
        "gsi1sk": "dana ř#p1",
    }
    assert keys.kind_bucket(PersonKind.CLINICIAN) == f"KIND#{PersonKind.CLINICIAN.value}"
    assert keys.caseload_index("c1", "p1", CareRole.PRESCRIBER) == {
        "gsi1pk": "CASELOAD#c1",
        "gsi1sk": f"PERSON#p1#{CareRole.PRESCRIBER.value}",
    }
    assert keys.caseload_pk("c1") == "CASELOAD#c1"
    group_type = next(iter(GroupType))
    assert keys.groups_index(group_type, "g1") == {"gsi1pk": "GROUPS", "gsi1sk": f"{group_type.value}#g1"}
    assert keys.GROUPS_BUCKET == "GROUPS"
    assert keys.schedule_session_index("p1", AT, "s1") == {"gsi1pk": "SCHED#p1", "gsi1sk": f"{STAMP}#s1"}
    assert keys.schedule_pk("p1") == "SCHED#p1"
    assert keys.schedule_group_sk("g1") == "~GROUP#g1"
    assert keys.schedule_from(AT) == STAMP
    assert keys.session_week_index("p1", "2026-W10", AT, "s1") == {
        "pw_pk": "PW#p1#2026-W10",
        "pw_sk": f"{STAMP}#s1",
    }
    assert keys.group_week_index("p1", "2026-W10") == {"pw_pk": "PW#p1#2026-W10", "pw_sk": "~GROUPS#2026-W10"}
    assert keys.group_attendance_week_index("p1", "2026-W10", AT, "g1") == {
        "pw_pk": "PW#p1#2026-W10",
        "pw_sk": f"{STAMP}#g1",
    }
    assert keys.week_pk("p1", "2026-W10") == "PW#p1#2026-W10"
    assert keys.commitment_attribute("g1") == "g_g1"


def test_query_prefixes_and_ranges() -> None:
    assert keys.person_pk("p1") == "PERSON#p1"
    assert keys.group_pk("g1") == "GROUP#g1"
    assert keys.busy_pk("p1") == "BUSY#p1"
    assert keys.intensity_pk("2026-W10") == "INTENSITY#2026-W10"
    assert keys.CONSENT_PREFIX == "CONSENT#"
    assert keys.MAKEUP_PREFIX == "MAKEUP#"
    assert keys.RELATIONS_RANGE == ("CARE#", "COUPLE")
    assert keys.READER_RANGE == ("CARE#", "PROFILE")
    assert keys.ROSTER_RANGE == ("MEMBER#", "WAIT#~")
    later = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    assert keys.reservation_range(AT, later) == (f"SLOT#{STAMP}", "SLOT#2026-03-04T16:00:00Z")


def test_parts_read_back() -> None:
    assert keys.reservation_slot(keys.reservation_key("p1", AT)) == AT
    assert keys.owner_of(keys.commitments_key("p1")) == "p1"
    assert keys.owner_of(keys.reservation_key("p#2", AT)) == "p#2"
    item = {**keys.group_member_key("g1", "p1"), "status": "enrolled"}
    assert keys.primary_key(item) == {"pk": "GROUP#g1", "sk": "MEMBER#p1"}
    assert keys.sort_key(item) == "MEMBER#p1"
    assert keys.in_person_partition(keys.care_key("p1", CareRole.PRESCRIBER), "p1")
    assert not keys.in_person_partition(keys.care_key("p10", CareRole.PRESCRIBER), "p1")
    assert keys.is_disclosure_start({"pk": "RESOURCE#part2-access/person/p1", "sk": STAMP}, "p1")
    assert not keys.is_disclosure_start({"pk": "RESOURCE#part2-access/person/p2", "sk": STAMP}, "p1")
    assert keys.audit_sort_key({"pk": "x", "sk": STAMP}) == STAMP
