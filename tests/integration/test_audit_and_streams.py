"""The audit trail's append-only write and the stream consumers' record handling, on moto."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from functions.common import aws
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.dynamo import to_item
from functions.common.errors import Forbidden
from functions.common.streams import Change
from functions.schedule import events as schedule_events
from tests.integration.conftest import audit_entries
from tests.support import context

ALEX = Principal(person_id="per_alex00001", role=Role.PARTICIPANT, username="alex")


def writer(moto_env) -> AuditWriter:
    return AuditWriter(moto_env["tables"]["audit"], aws.client("dynamodb"), request_id="req-123")


def test_an_audit_entry_cannot_be_overwritten(moto_env):
    audit = writer(moto_env)
    entry = audit.entry(ALEX, "person.read", "person/per_alex00001", "success")
    audit.record_entry(entry)
    tampered = entry.model_copy(update={"outcome": "denied"})
    with pytest.raises(ClientError) as raised:
        audit.record_entry(tampered)
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    [stored] = audit_entries(moto_env, "person/per_alex00001")
    assert stored["outcome"] == "success"
    assert stored["request_id"] == "req-123"


def test_track_records_the_outcome_of_the_enclosed_work(moto_env):
    audit = writer(moto_env)
    with audit.track(ALEX, "person.read", "person/per_alex00001"):
        pass
    with pytest.raises(Forbidden), audit.track(ALEX, "person.update", "person/per_alex00001"):
        raise Forbidden("no")
    outcomes = {(e["action"], e["outcome"]) for e in audit_entries(moto_env, "person/per_alex00001")}
    assert outcomes == {("person.read", "success"), ("person.update", "denied")}


def stream_record(sequence: str, entity: str, status: str) -> dict:
    image = to_item({"pk": f"SESSION#{sequence}", "sk": "SESSION", "entity": entity, "status": status})
    return {
        "eventID": f"ev-{sequence}",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "OldImage": image,
            "SequenceNumber": sequence,
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/test-schedule/stream/x",
    }


def test_stream_consumer_reports_only_the_failed_record(moto_env, monkeypatch):
    # Given a notify handler for sessions that fails on one of them
    seen: list[Change] = []

    def on_session(change: Change) -> None:
        if change.new and change.new["status"] == "poison":
            raise ValueError("cannot handle")
        seen.append(change)

    monkeypatch.setitem(schedule_events.HANDLERS, "SESSION", on_session)
    event = {
        "Records": [
            stream_record("100", "SESSION", "booked"),
            stream_record("200", "SESSION", "poison"),
            stream_record("300", "EMAIL", "n/a"),
        ]
    }
    # When the batch is consumed
    result = schedule_events.lambda_handler(event, context("schedule-events"))
    # Then the good session was handled, the unknown entity acknowledged, the poison one reported
    assert result == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    assert [c.sequence_number for c in seen] == ["100"]
    assert seen[0].event_name == "MODIFY"
    assert seen[0].new == {"pk": "SESSION#100", "sk": "SESSION", "entity": "SESSION", "status": "booked"}
