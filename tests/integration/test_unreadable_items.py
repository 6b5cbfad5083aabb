"""A listing never fails because of one item: an item that no longer loads is left out,
logged by its key (no PHI) and counted in the `UnreadableItems` metric; the rest is served."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from functions.common.models import UNREADABLE_ITEMS_METRIC
from functions.common.observability import logger, metrics
from functions.schedule.handler import lambda_handler
from tests.integration.conftest import caller_of
from tests.support import claims

call = caller_of(lambda_handler)
COORDINATOR = claims("per_democoordinator", "coordinator")


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    metrics.clear_metrics()
    yield stream
    logger._logger.removeHandler(handler)  # Powertools proxies addHandler, not removeHandler
    metrics.clear_metrics()


def unreadable_count() -> float:
    entry: dict[str, Any] = metrics.metric_set.get(UNREADABLE_ITEMS_METRIC, {})
    return float(sum(entry.get("Value", [])))


def test_a_group_that_no_longer_loads_is_left_out_of_the_listing(moto_env, program, log):
    # Given the seeded groups and one group item written straight into the table whose first
    # start carries an offset with seconds (what a group starting in 1800 used to store)
    groups_before = call("GET", "/groups", caller=COORDINATOR).json["items"]
    moto_env["dynamodb"].put_item(
        TableName=moto_env["tables"]["schedule"],
        Item={
            "pk": {"S": "GROUP#grp_corrupted01"},
            "sk": {"S": "SERIES"},
            "gsi1pk": {"S": "GROUPS"},
            "gsi1sk": {"S": "mindfulness#grp_corrupted01"},
            "group_id": {"S": "grp_corrupted01"},
            "type": {"S": "mindfulness"},
            "title": {"S": "Secret Title"},
            "facilitator_id": {"S": "per_demotherapist1"},
            "rrule": {"S": "FREQ=WEEKLY;COUNT=3"},
            "first_start": {"S": "1800-01-07T10:00:00-05:50:36"},
            "time_zone": {"S": "America/Chicago"},
            "duration_minutes": {"N": "60"},
            "capacity": {"N": "5"},
            "evening": {"BOOL": False},
            "weekend": {"BOOL": False},
            "recording": {"BOOL": False},
            "created_at": {"S": "2026-01-01T00:00:00Z"},
        },
    )
    metrics.clear_metrics()
    # When a coordinator lists the groups
    reply = call("GET", "/groups", caller=COORDINATOR)
    # Then every other group is served, the bad one is left out and counted, and the log
    # names its key but none of its contents
    assert reply.status == 200, reply.json
    assert [g["group_id"] for g in reply.json["items"]] == [g["group_id"] for g in groups_before]
    assert unreadable_count() == 1
    logged = log.getvalue()
    assert "unreadable item left out" in logged
    assert "GROUP#grp_corrupted01" in logged
    assert "Secret Title" not in logged


def test_a_person_that_no_longer_loads_is_left_out_of_the_people_page(moto_env, program, log):
    # Given a participant profile whose name is no longer a string
    moto_env["dynamodb"].put_item(
        TableName=moto_env["tables"]["schedule"],
        Item={
            "pk": {"S": "PERSON#per_corrupted01"},
            "sk": {"S": "PROFILE"},
            "gsi1pk": {"S": "KIND#participant"},
            "gsi1sk": {"S": "aaa#per_corrupted01"},
            "person_id": {"S": "per_corrupted01"},
            "kind": {"S": "participant"},
            "display_name": {"L": [{"S": "Robin Secretname"}]},
        },
    )
    metrics.clear_metrics()
    # When a coordinator lists the participants
    reply = call("GET", "/people?kind=participant", caller=COORDINATOR)
    # Then the others are listed, the bad one counted, its name never logged
    assert reply.status == 200, reply.json
    ids = [p["person_id"] for p in reply.json["items"]]
    assert "per_corrupted01" not in ids
    assert "per_demoalex" in ids
    assert unreadable_count() == 1
    assert "Secretname" not in log.getvalue()
