"""Lambda event-filter matching used by the local stream poller."""

from __future__ import annotations

from typing import Any

import pytest

from functions.catalog import ENTRYPOINTS
from local.filters import matches, matches_any

STREAM_FILTERS = [e.stream_filters for e in ENTRYPOINTS if e.trigger == "stream"]
SCHEDULE_EVENTS = next(e.stream_filters for e in ENTRYPOINTS if e.id == "ScheduleEvents")
PUBLISHER = next(e.stream_filters for e in ENTRYPOINTS if e.id == "SchedulePublisher")


def _record(
    event_name: str = "INSERT", new_entity: str | None = None, old_entity: str | None = None
) -> dict[str, Any]:
    dynamodb: dict[str, Any] = {"Keys": {"pk": {"S": "SESSION#ses_1"}, "sk": {"S": "SESSION"}}}
    if new_entity is not None:
        dynamodb["NewImage"] = {"entity": {"S": new_entity}, "status": {"S": "booked"}}
    if old_entity is not None:
        dynamodb["OldImage"] = {"entity": {"S": old_entity}}
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": dynamodb}


# --- the catalog's real filters ------------------------------------------------------------------


@pytest.mark.parametrize("entry", [e for e in ENTRYPOINTS if e.trigger == "event"], ids=lambda e: e.id)
def test_event_patterns_take_coverage_events_only(entry):
    """The rule patterns on the program bus stay within the grammar (moto and AWS apply them)."""
    kind = entry.event_pattern["detail-type"][0]
    event = {"id": "e1", "source": "tandem.coverage", "detail-type": kind, "detail": {}}
    assert matches(entry.event_pattern, event)
    assert not matches(entry.event_pattern, {**event, "source": "tandem.schedule"})
    assert not matches(entry.event_pattern, {**event, "source": "aws.events"})


def test_catalog_has_filtered_stream_consumers():
    assert STREAM_FILTERS
    assert all(STREAM_FILTERS), "every stream consumer should filter its records"


def test_every_session_insert_and_modify_reaches_the_publisher():
    assert matches_any(PUBLISHER, _record("INSERT", new_entity="SESSION"))
    assert matches_any(PUBLISHER, _record("MODIFY", new_entity="SESSION", old_entity="SESSION"))


@pytest.mark.parametrize("patterns", STREAM_FILTERS)
@pytest.mark.parametrize("entity", ["EMAIL", "session", "SESSIONS", "person"])
def test_other_entities_do_not_match(patterns, entity):
    assert not matches_any(patterns, _record("INSERT", new_entity=entity))


def test_only_the_publisher_takes_profiles():
    """Profiles (email, mobile number, deactivation) reach schedule's publisher and no other
    reader of the stream: notify has them from `person.changed`."""
    takers = [
        e.id
        for e in ENTRYPOINTS
        if e.trigger == "stream" and matches_any(e.stream_filters, _record("MODIFY", new_entity="PERSON"))
    ]
    assert takers == ["SchedulePublisher"]


@pytest.mark.parametrize("patterns", STREAM_FILTERS)
def test_remove_without_new_image_does_not_match(patterns):
    assert not matches_any(patterns, _record("REMOVE", old_entity="SESSION"))


def test_schedule_events_take_sessions_group_enrolments_and_attendance_only():
    assert matches_any(SCHEDULE_EVENTS, _record("MODIFY", new_entity="SESSION", old_entity="SESSION"))
    assert matches_any(SCHEDULE_EVENTS, _record("INSERT", new_entity="GROUP_ENROLMENT"))
    assert matches_any(SCHEDULE_EVENTS, _record("INSERT", new_entity="GROUP_ATTENDANCE"))
    for entity in ("PERSON", "RESERVATION", "MAKEUP_OFFER", "INTENSITY"):
        assert not matches_any(SCHEDULE_EVENTS, _record("INSERT", new_entity=entity)), entity


def test_the_publisher_takes_exactly_the_entities_it_translates():
    from functions.schedule.publish import TRANSLATORS

    for entity in TRANSLATORS:
        assert matches_any(PUBLISHER, _record("INSERT", new_entity=entity)), entity
    for entity in ("RESERVATION", "INTENSITY", "EMAIL", "CALENDAR_FEED", "GROUP_COMMITMENTS", "ROOM"):
        assert not matches_any(PUBLISHER, _record("INSERT", new_entity=entity)), entity


# --- grammar -------------------------------------------------------------------------------------


def test_nested_objects_and_literal_lists():
    pattern = {"detail": {"kind": ["a", "b"], "inner": {"n": [1]}}}
    assert matches(pattern, {"detail": {"kind": "b", "inner": {"n": 1}, "other": "x"}})
    assert not matches(pattern, {"detail": {"kind": "c", "inner": {"n": 1}}})
    assert not matches(pattern, {"detail": {"kind": "a", "inner": {"n": 2}}})


def test_all_keys_must_match():
    pattern = {"a": ["x"], "b": ["y"]}
    assert matches(pattern, {"a": "x", "b": "y"})
    assert not matches(pattern, {"a": "x", "b": "z"})
    assert not matches(pattern, {"a": "x"})


def test_missing_keys_do_not_match():
    assert not matches({"a": ["x"]}, {})
    assert not matches({"a": {"b": ["x"]}}, {})
    assert not matches({"a": {"b": ["x"]}}, {"a": {}})


def test_nested_pattern_against_non_object_does_not_match():
    assert not matches({"a": {"b": ["x"]}}, {"a": "x"})
    assert not matches({"a": ["x"]}, "not an event")


def test_literal_against_list_value_matches_any_element():
    assert matches({"tags": ["vip"]}, {"tags": ["new", "vip"]})
    assert not matches({"tags": ["vip"]}, {"tags": ["new"]})


def test_literals_are_type_exact():
    assert not matches({"n": ["1"]}, {"n": 1})
    assert matches({"n": [None]}, {"n": None})
    assert not matches({"n": [None]}, {})


def test_exists():
    assert matches({"a": [{"exists": True}]}, {"a": "anything"})
    assert matches({"a": [{"exists": True}]}, {"a": None})
    assert not matches({"a": [{"exists": True}]}, {})
    assert matches({"a": [{"exists": False}]}, {})
    assert not matches({"a": [{"exists": False}]}, {"a": 1})


def test_prefix():
    pattern = {"pk": [{"prefix": "SESSION#"}]}
    assert matches(pattern, {"pk": "SESSION#ses_1"})
    assert not matches(pattern, {"pk": "PERSON#per_1"})
    assert not matches(pattern, {"pk": 5})
    assert not matches(pattern, {})


def test_anything_but():
    single = {"status": [{"anything-but": "cancelled"}]}
    several = {"status": [{"anything-but": ["cancelled", "missed"]}]}
    assert matches(single, {"status": "booked"})
    assert not matches(single, {"status": "cancelled"})
    assert matches(several, {"status": "attended"})
    assert not matches(several, {"status": "missed"})
    assert not matches(single, {})


def test_list_of_rules_is_an_or():
    pattern = {"entity": ["PERSON", {"prefix": "SESS"}]}
    assert matches(pattern, {"entity": "PERSON"})
    assert matches(pattern, {"entity": "SESSION"})
    assert not matches(pattern, {"entity": "EMAIL"})


def test_matches_any():
    patterns = ({"a": ["1"]}, {"b": ["2"]})
    assert matches_any(patterns, {"b": "2"})
    assert not matches_any(patterns, {"a": "2", "b": "1"})


def test_no_patterns_pass_everything():
    assert matches_any((), {"anything": "at all"})


@pytest.mark.parametrize(
    "pattern",
    [
        {"n": [{"numeric": [">", 0]}]},
        {"s": [{"suffix": ".png"}]},
        {"s": [{"equals-ignore-case": "x"}]},
        {"s": [{}]},
    ],
)
def test_unsupported_operator_raises(pattern):
    with pytest.raises(ValueError, match="unsupported"):
        matches(pattern, {"n": 1, "s": "a.png"})


@pytest.mark.parametrize("pattern", [{"a": "x"}, {"a": 1}, {"a": None}])
def test_scalar_pattern_values_raise(pattern):
    with pytest.raises(ValueError, match="objects or lists"):
        matches(pattern, {"a": "x"})
