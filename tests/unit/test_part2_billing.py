"""Coverage's Part 2 rule (pure): the consent copy the schedule stream projects, who reads in
full, which lines and codes are Part 2, and the shared policy's settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.common.auth import Principal, Role
from functions.common.config import load_settings
from functions.common.errors import ConfigurationError
from functions.common.part2 import PART2_TYPE_NAMES, REDISCLOSURE_NOTICE, Part2Policy
from functions.contracts.schedule import ConsentData
from functions.coverage.deps import CoverageSettings
from functions.coverage.logic import restricted
from functions.coverage.logic.costshare import ServiceCategory
from functions.coverage.logic.estimates import EstimateLine, WeekService
from functions.schedule.deps import ScheduleSettings
from functions.schedule.models import Part2ConsentRecord
from functions.schedule.vocabulary import PART2_TYPES
from tests.support import published_images

TODAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
DANA = Principal(person_id="per_dana0001", role=Role.PARTICIPANT, username="d")
NAMED = Principal(person_id="per_named001", role=Role.COORDINATOR, username="n")
OTHER = Principal(person_id="per_other001", role=Role.COORDINATOR, username="o")
POLICY = Part2Policy(coordinators=frozenset({NAMED.person_id}))


def consent(**changes: object) -> Part2ConsentRecord:
    fields: dict[str, object] = {
        "consent_id": "cns_0001",
        "participant_id": DANA.person_id,
        "recipient_ids": [OTHER.person_id],
        "recipient_roles": ["substance_use_counselor"],
        "scope": "part2_schedule",
        "purpose": "to settle my bills",
        "expires_on": TODAY + timedelta(days=30),
        "source": "paper",
        "document_reference": "doc-77",
        "signed_on": TODAY,
        "attested_at": NOW,
        "recorded_by": NAMED.person_id,
    }
    return Part2ConsentRecord.model_validate({**fields, **changes})


def consent_event(record: Part2ConsentRecord) -> ConsentData:
    """What coverage is handed of a consent: the event schedule publishes for it."""
    data: ConsentData = published_images(record.to_attributes()).data
    return data


def test_the_copy_of_a_consent_keeps_who_and_until_when_only():
    copy = restricted.consent_copy(consent_event(consent()))
    assert copy == {
        "pk": "PERSON#per_dana0001",
        "sk": "P2CONSENT#cns_0001",
        "entity": "PART2_CONSENT_COPY",
        "consent_id": "cns_0001",
        "recipient_ids": [OTHER.person_id],
        "expires_on": (TODAY + timedelta(days=30)).isoformat(),
        "revoked": False,
        "version": 1,
    }
    revoked = restricted.consent_copy(
        consent_event(consent(revoked_at=NOW, revoked_by="per_dana0001", version=2))
    )
    assert (revoked["revoked"], revoked["version"]) == (True, 2)


def _reads_in_full(viewer: Principal, record: Part2ConsentRecord, today: date = TODAY) -> bool:
    copy = restricted.consent_copy(consent_event(record))
    return restricted.reader(viewer, DANA.person_id, policy=POLICY, consents=[copy], today=today).full


def test_only_an_active_consent_naming_the_coordinator_opens_the_lines():
    assert _reads_in_full(OTHER, consent())
    assert _reads_in_full(OTHER, consent(), today=TODAY + timedelta(days=30))  # through its last day
    assert not _reads_in_full(OTHER, consent(), today=TODAY + timedelta(days=31))
    assert not _reads_in_full(OTHER, consent(revoked_at=NOW, revoked_by=DANA.person_id))
    # a care-team position never names a coordinator
    assert not _reads_in_full(OTHER, consent(recipient_ids=[]))
    assert not _reads_in_full(
        Principal(person_id="per_third01", role=Role.COORDINATOR, username="t"), consent()
    )


def test_the_participant_and_named_coordinators_read_in_full_and_only_others_get_the_notice():
    me = restricted.reader(DANA, DANA.person_id, policy=POLICY, consents=[], today=TODAY)
    named = restricted.reader(NAMED, DANA.person_id, policy=POLICY, consents=[], today=TODAY)
    other = restricted.reader(OTHER, DANA.person_id, policy=POLICY, consents=[], today=TODAY)
    assert (me.full, named.full, other.full) == (True, True, False)
    assert me.notice(True) is None
    assert named.notice(True) == REDISCLOSURE_NOTICE
    assert named.notice(False) is None
    assert other.notice(True) is None  # it sees none of them
    # unset PART2_COORDINATORS: every coordinator
    assert restricted.reader(OTHER, DANA.person_id, policy=Part2Policy(), consents=[], today=TODAY).full


def _line(kind: str, category: ServiceCategory) -> EstimateLine:
    service = WeekService("ses_1", kind, category, NOW, NOW + timedelta(hours=1), "expected")
    return EstimateLine((service,), TODAY, None)


def test_part2_lines_by_type_and_codes_by_substance_use():
    assert restricted.is_part2_line(
        _line("substance_use_counseling", ServiceCategory.SUBSTANCE_USE_COUNSELING), POLICY
    )
    assert not restricted.is_part2_line(_line("individual", ServiceCategory.INDIVIDUAL_THERAPY), POLICY)
    marked = Part2Policy(extra_types=frozenset({"individual"}))
    assert restricted.is_part2_line(_line("individual", ServiceCategory.INDIVIDUAL_THERAPY), marked)
    assert [c for c in ("H0004", "H0005", "H0015", "90837", "S9480") if restricted.is_part2_code(c)] == [
        "H0004",
        "H0005",
        "H0015",
    ]
    items = [{"source_id": "a", "codes": ["H0004"]}, {"source_id": "b", "codes": ["90837"]}]
    assert restricted.part2_sources(items) == {"a"}


def test_schedule_and_coverage_read_one_policy():
    assert {t.value for t in PART2_TYPES} == PART2_TYPE_NAMES
    environ = {
        "COVERAGE_TABLE": "c",
        "SCHEDULE_TABLE": "s",
        "AUDIT_TABLE": "a",
        "IDEMPOTENCY_TABLE": "i",
        "USER_POOL_ID": "p",
        "STAFF_USER_POOL_ID": "s",
        "PART2_EXTRA_TYPES": "medication_management, ",
        "PART2_COORDINATORS": "per_a,per_b",
    }
    schedule = load_settings(ScheduleSettings, environ).part2_policy()
    coverage = load_settings(CoverageSettings, environ).part2_policy()
    assert (
        schedule
        == coverage
        == Part2Policy(frozenset({"medication_management"}), frozenset({"per_a", "per_b"}))
    )
    assert load_settings(
        CoverageSettings, {**environ, "PART2_COORDINATORS": ""}
    ).part2_policy().coordinators == (frozenset())
    unset = {k: v for k, v in environ.items() if k != "PART2_COORDINATORS"}
    assert load_settings(CoverageSettings, unset).part2_policy().coordinators is None


@pytest.mark.parametrize("model", [ScheduleSettings, CoverageSettings])
def test_a_malformed_extra_type_is_refused(model: type) -> None:
    environ = {"COVERAGE_TABLE": "c", "SCHEDULE_TABLE": "s", "AUDIT_TABLE": "a", "IDEMPOTENCY_TABLE": "i"}
    environ |= {"USER_POOL_ID": "p", "STAFF_USER_POOL_ID": "s"}
    with pytest.raises(ConfigurationError, match="PART2_EXTRA_TYPES"):
        load_settings(model, {**environ, "PART2_EXTRA_TYPES": "Not A Type"})
