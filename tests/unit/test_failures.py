"""A consumer's failing record is reported without its message: the exception text may quote
PHI (a name, a phone number), so logs and the batch report carry only type and frames."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from functions.common.streams import Change, process_changes
from tests.support import context

SECRET = "Alex Rivera +15125550101"


def record(sequence: str, entity: str) -> dict[str, Any]:
    return {
        "eventID": sequence,
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "SequenceNumber": sequence,
            "NewImage": {"pk": {"S": "X#1"}, "sk": {"S": "X"}, "entity": {"S": entity}},
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def failing(change: Change) -> None:
    raise ValueError(f"could not handle {SECRET}")


def fine(change: Change) -> None:
    return None


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)


def test_a_failing_record_is_reported_by_type_only(caplog):
    # Given a batch where one record's handler fails with PHI in its message
    event = {"Records": [record("1", "FAILS"), record("2", "WORKS")]}
    # When it is processed
    result = process_changes(event, context(), {"FAILS": failing, "WORKS": fine})
    # Then only that record is reported failed, and nothing logged quotes the message
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert SECRET not in logged_text(caplog)
    assert [getattr(r, "error", None) for r in caplog.records if r.getMessage() == "record failed"] == [
        "ValueError"
    ]


def test_when_every_record_fails_the_batch_error_holds_no_message(caplog):
    event = {"Records": [record("1", "FAILS")]}
    with pytest.raises(BatchProcessingError) as raised:
        process_changes(event, context(), {"FAILS": failing})
    assert SECRET not in str(raised.value)
    assert "RecordFailed" in str(raised.value)
    assert SECRET not in logged_text(caplog)
