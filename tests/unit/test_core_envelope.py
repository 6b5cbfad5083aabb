"""The CAQH CORE real-time envelope (functions.coverage.core): built and read with the standard
library's `email` package, against envelopes written from the CORE Connectivity Rule vC2.2.0
(Phase II CORE 270 Connectivity Rule v2.2.0) text: §4.4 (envelope metadata) and the HTTP MIME
multipart real-time examples of its appendix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from functions.coverage import core
from functions.coverage.core import CoreCredentials

CREDENTIALS = CoreCredentials(
    username="hospa", password="8y6dt3dd2", sender_id="HospitalA", receiver_id="PayerB"
)
PAYLOAD_ID = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"

# A real-time response as the rule's HTTP MIME example lays it out (one form-data part per
# metadata field, the 271 in Payload), written here with this test's values.
RULE_STYLE_RESPONSE = (
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="PayloadType"\r\n\r\n'
    b"X12_271_Response_005010X279A1\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="ProcessingMode"\r\n\r\n'
    b"RealTime\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="PayloadID"\r\n\r\n'
    b"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="TimeStamp"\r\n\r\n'
    b"2007-08-30T10:20:34Z\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="SenderID"\r\n\r\n'
    b"PayerB\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="ReceiverID"\r\n\r\n'
    b"HospitalA\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="CORERuleVersion"\r\n\r\n'
    b"2.2.0\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="Payload"\r\n\r\n'
    b"ISA*00*~ST*271*0001*005010X279A1~SE*2*0001~IEA*1*000000001~\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="ErrorCode"\r\n\r\n'
    b"Success\r\n"
    b"--XbCY\r\n"
    b'Content-Disposition: form-data; name="ErrorMessage"\r\n\r\n'
    b"None\r\n"
    b"--XbCY--\r\n"
)


def test_a_real_time_270_request_carries_the_rules_metadata_and_credentials():
    # Given a 270 and the program's CORE credentials
    now = datetime(2026, 11, 18, 11, 0, 5, tzinfo=timezone(timedelta(hours=-6)))
    fields = core.request_envelope("ISA*00*~ST*270~", CREDENTIALS, payload_id=PAYLOAD_ID, now=now)
    # When it is put in a MIME envelope and read back
    body, content_type = core.build_envelope(fields)
    read = core.parse_envelope(body, content_type)
    # Then it is multipart/form-data with every field of §4.4 (TimeStamp in UTC, CORE's format)
    # and the credentials as Username/Password fields (the MIME variant)
    assert content_type.startswith("multipart/form-data; boundary=")
    assert read == {
        "PayloadType": "X12_270_Request_005010X279A1",
        "ProcessingMode": "RealTime",
        "PayloadID": PAYLOAD_ID,
        "TimeStamp": "2026-11-18T17:00:05Z",
        "SenderID": "HospitalA",
        "ReceiverID": "PayerB",
        "CORERuleVersion": "2.2.0",
        "Username": "hospa",
        "Password": "8y6dt3dd2",
        "Payload": "ISA*00*~ST*270~",
    }
    assert b'Content-Disposition: form-data; name="Payload"' in body
    assert core.request_error(read) is None


def test_a_response_written_as_the_rule_shows_it_is_read():
    fields = core.parse_envelope(RULE_STYLE_RESPONSE, "multipart/form-data; boundary=XbCY")
    assert fields["PayloadType"] == core.PAYLOAD_271
    assert fields["PayloadID"] == PAYLOAD_ID
    assert fields["Payload"].startswith("ISA*00*~ST*271")
    assert (fields["ErrorCode"], fields["ErrorMessage"]) == ("Success", "None")
    assert core.outcome(fields["ErrorCode"]) == "success"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"ISA*00*~", "application/EDI-X12"),  # bare X12, what the old adapter posted
        (b"<soap/>", None),
        (
            b"--XbCY\r\nContent-Type: text/plain\r\n\r\nno name\r\n--XbCY--\r\n",
            "multipart/form-data; boundary=XbCY",
        ),
    ],
)
def test_what_is_not_a_core_envelope_is_refused(body, content_type):
    with pytest.raises(core.EnvelopeError):
        core.parse_envelope(body, content_type)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("Success", "success"),
        (None, "success"),
        # §4.4's envelope-processing errors: the envelope as sent will not be taken
        ("VersionMismatch", "refused"),
        ("PayloadIDRequired", "refused"),
        ("SenderIDIllegal", "refused"),
        ("ReceiverIDIllegal", "refused"),
        ("PayloadTypeNotSupported", "refused"),
        ("ProcessingModeNotSupported", "refused"),
        # our credentials
        ("UnAuthorized", "credentials"),
        ("AuthenticationFailed", "credentials"),
        # transient (companion-guide spellings; the rule itself answers these with HTTP 5xx)
        ("ServerBusy", "retry"),
        ("TimeOut", "retry"),
        ("RetryLater", "retry"),
        # anything unknown: an operator looks, nothing retries blindly
        ("SomethingNew", "refused"),
    ],
)
def test_error_codes_map_to_outcomes(code, expected):
    assert core.outcome(code) == expected


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"PayloadID": ""}, "PayloadIDRequired"),
        ({"Password": ""}, "PasswordRequired"),
        ({"CORERuleVersion": "4.0.0"}, "VersionMismatch"),
        ({"ProcessingMode": "Batch"}, "ProcessingModeNotSupported"),
        ({"PayloadType": "X12_276_Request_005010X212"}, "PayloadTypeNotSupported"),
        ({"PayloadID": "not-a-uuid"}, "PayloadIDIllegal"),
        ({"TimeStamp": "2026-11-18 17:00:05"}, "TimeStampIllegal"),
    ],
)
def test_a_receiver_names_what_is_wrong_with_a_request(change, error):
    fields = core.request_envelope(
        "ISA~", CREDENTIALS, payload_id=PAYLOAD_ID, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert core.request_error({**fields, **change}) == error


def test_logged_codes_are_bare_identifiers():
    assert core.safe_code("UnAuthorized") == "UnAuthorized"
    assert core.safe_code("member 123 DOE*JANE not found") == "unrecognised"
