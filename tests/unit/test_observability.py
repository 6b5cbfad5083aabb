"""PHI never reaches a log line: `redact` and the masking formatter."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from aws_lambda_powertools import Logger

from functions.common.observability import MASK, PHI_KEYS, PhiMaskingFormatter, redact


@pytest.mark.parametrize("key", sorted(PHI_KEYS))
def test_redact_masks_every_phi_key(key):
    assert redact({key: "secret"}) == {key: MASK}


@pytest.mark.parametrize("key", ["Email", "PHONE", "Display_Name", "MEMBER_ID", "Authorization"])
def test_redact_is_case_insensitive(key):
    assert redact({key: "secret"}) == {key: MASK}


def test_redact_masks_at_any_depth_including_dicts_inside_lists():
    # Given a record with PHI at several depths, inside dicts and lists of dicts
    record = {
        "person_id": "per_123",
        "profile": {"email": "alex@example.com", "contact": {"phone": "+15125550100"}},
        "plans": [{"member_id": "ABC123456789", "payer": "Acme"}, {"notes": ["a", "b"]}],
        "tuple": ({"dob": "1990-01-01"},),
    }

    # When it is redacted
    result = redact(record)

    # Then every PHI-named value is masked and everything else is intact
    assert result == {
        "person_id": "per_123",
        "profile": {"email": MASK, "contact": {"phone": MASK}},
        "plans": [{"member_id": MASK, "payer": "Acme"}, {"notes": MASK}],
        "tuple": [{"dob": MASK}],
    }


def test_redact_masks_whole_subtree_under_a_phi_key():
    assert redact({"address": {"street": "1 Main St", "city": "Austin"}}) == {"address": MASK}


def test_redact_leaves_non_phi_keys_and_scalars_alone():
    record = {"person_id": "per_1", "status": "ok", "count": 3, "flag": None, 7: "int key"}
    assert redact(record) == record
    assert redact("plain text") == "plain text"
    assert redact(42) == 42


def test_redact_does_not_mutate_its_input():
    record = {"email": "alex@example.com", "nested": [{"phone": "+15125550100"}]}
    redact(record)
    assert record == {"email": "alex@example.com", "nested": [{"phone": "+15125550100"}]}


def _logger() -> tuple[Logger, io.StringIO]:
    stream = io.StringIO()
    logger = Logger(
        service=f"test-phi-{uuid.uuid4().hex}",
        logger_formatter=PhiMaskingFormatter(),
        logger_handler=logging.StreamHandler(stream),
    )
    return logger, stream


def test_logger_masks_phi_in_extra_keys_and_keeps_the_rest():
    # Given a Powertools logger with the PHI-masking formatter
    logger, stream = _logger()

    # When someone logs PHI in extra keys, nested and flat
    logger.warning(
        "profile updated",
        extra={
            "email": "alex.rivera@example.com",
            "nested": {"phone": "+15125550199"},
            "person_id": "per_abc123",
        },
    )

    # Then the JSON line carries masks instead of the values
    text = stream.getvalue()
    line = json.loads(text.strip().splitlines()[-1])
    assert line["email"] == MASK
    assert line["nested"] == {"phone": MASK}
    assert line["person_id"] == "per_abc123"
    assert line["message"] == "profile updated"
    # And the raw values appear nowhere in the output
    assert "alex.rivera@example.com" not in text
    assert "+15125550199" not in text


def test_logger_masks_phi_in_structured_messages():
    logger, stream = _logger()

    logger.warning({"display_name": "Alex Rivera", "items": [{"diagnosis": "F10.20"}], "step": "x"})

    text = stream.getvalue()
    line = json.loads(text.strip().splitlines()[-1])
    assert line["message"] == {"display_name": MASK, "items": [{"diagnosis": MASK}], "step": "x"}
    assert "Alex Rivera" not in text
    assert "F10.20" not in text


def test_logger_masks_appended_keys():
    logger, stream = _logger()
    logger.append_keys(member_id="MEM99887766")

    logger.warning("checking eligibility")

    text = stream.getvalue()
    assert json.loads(text.strip().splitlines()[-1])["member_id"] == MASK
    assert "MEM99887766" not in text
