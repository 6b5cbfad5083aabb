"""CAQH CORE Connectivity for real-time 270/271: the HTTP MIME multipart envelope.

Source: CAQH CORE Connectivity Rule vC2.2.0 (the Phase II "CORE 270" Connectivity Rule v2.2.0,
March 2011, renamed C2.2.0 in May 2020): §4.2 (the two envelope standards; HTTP MIME Multipart
is one, SOAP+WSDL the other), §4.3 (submitter authentication), §4.4 (the envelope metadata:
PayloadType, ProcessingMode, PayloadID, TimeStamp, SenderID, ReceiverID, CORERuleVersion,
Payload, and in responses ErrorCode and ErrorMessage), and the real-time HTTP MIME examples of
its appendix.

- The request is an HTTP POST whose body is `multipart/form-data`: one part per field, each
  `Content-Disposition: form-data; name="<Field>"`, the X12 270 in the `Payload` part.
- Credentials: the rule allows a username/password or an X.509 client certificate. We send
  **username/password as the `Username` and `Password` fields of the MIME envelope** (what the
  rule prescribes for the MIME variant; the SOAP variant carries them in a WS-Security
  UsernameToken): the clearinghouse issues the program a user and password, Secrets Manager
  holds and rotates them, and a Lambda function cannot present a client certificate whose
  private key it would then have to hold as well.
- The response is a `multipart/form-data` envelope with the same fields plus ErrorCode and
  ErrorMessage; PayloadID echoes ours. `X12_271_Response_005010X279A1` carries the 271;
  `X12_999_Response_005010X231A1` or a TA1 means the 270 was refused (syntax/envelope), and
  `CoreEnvelopeError` carries an envelope error without payload.

MIME is built and read with the standard library's `email` package (`requests` and
`requests-toolbelt` are not in the Lambda bundle, and `email` does multipart correctly:
boundaries, headers, parameters).

Nothing here does I/O: `HttpsClearinghouse` posts what `request_envelope` builds, and the
local CORE simulator (local/core_server.py) reads it with `parse_envelope`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.parser import BytesParser
from typing import Final, Literal

CORE_RULE_VERSION: Final = "2.2.0"
REAL_TIME: Final = "RealTime"
PAYLOAD_270: Final = "X12_270_Request_005010X279A1"
PAYLOAD_271: Final = "X12_271_Response_005010X279A1"
PAYLOAD_999: Final = "X12_999_Response_005010X231A1"
PAYLOAD_TA1: Final = "X12_TA1_Response_00501X231A1"
ENVELOPE_ERROR: Final = "CoreEnvelopeError"
SUCCESS: Final = "Success"

REQUEST_FIELDS: Final = (
    "PayloadType",
    "ProcessingMode",
    "PayloadID",
    "TimeStamp",
    "SenderID",
    "ReceiverID",
    "CORERuleVersion",
    "Payload",
)
"""The rule's real-time request metadata (§4.4), all required."""
CREDENTIAL_FIELDS: Final = ("Username", "Password")

MAX_FIELD_BYTES: Final = 1_000_000

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


class EnvelopeError(ValueError):
    """A body that is not a CORE MIME envelope (wrong media type, no parts, a part too large)."""


@dataclass(frozen=True)
class CoreCredentials:
    """What the clearinghouse issued the program: the envelope's Username/Password and the
    SenderID/ReceiverID it knows the program and itself by."""

    username: str
    password: str
    sender_id: str
    receiver_id: str


# --------------------------------------------------------------------------- MIME


def core_timestamp(now: datetime) -> str:
    """The rule's TimeStamp: UTC, `YYYY-MM-DDTHH:MM:SSZ` (§4.4, XML Schema dateTime in UTC)."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_envelope(fields: Mapping[str, str]) -> tuple[bytes, str]:
    """The `multipart/form-data` body holding `fields` (one part each, in order) and the
    Content-Type header (with its boundary) to send it with."""
    envelope = MIMEMultipart("form-data")
    for name, value in fields.items():
        part = Message()
        part.add_header("Content-Disposition", "form-data", name=name)
        part.set_payload(value, charset="utf-8" if not value.isascii() else None)
        envelope.attach(part)
    raw = envelope.as_bytes(policy=policy.HTTP)
    _headers, _, body = raw.partition(b"\r\n\r\n")
    return body, str(envelope["Content-Type"])


def parse_envelope(body: bytes, content_type: str | None) -> dict[str, str]:
    """The fields of a CORE MIME envelope, by name (a repeated name: the first wins).

    EnvelopeError when the body is not `multipart/form-data` with named parts."""
    if not content_type or not content_type.lower().lstrip().startswith("multipart/"):
        raise EnvelopeError("not a multipart envelope")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise EnvelopeError("not a multipart envelope")
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name in fields:
            continue
        payload = part.get_payload(decode=True) or b""
        if not isinstance(payload, bytes):
            raise EnvelopeError("a field holds parts")
        if len(payload) > MAX_FIELD_BYTES:
            raise EnvelopeError("a field is too large")
        fields[name] = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    if not fields:
        raise EnvelopeError("no named fields")
    return fields


def request_envelope(
    x12_270: str, credentials: CoreCredentials, *, payload_id: str, now: datetime
) -> dict[str, str]:
    """The fields of a real-time 270 request (§4.4), credentials included (§4.3, MIME variant)."""
    return {
        "PayloadType": PAYLOAD_270,
        "ProcessingMode": REAL_TIME,
        "PayloadID": payload_id,
        "TimeStamp": core_timestamp(now),
        "SenderID": credentials.sender_id,
        "ReceiverID": credentials.receiver_id,
        "CORERuleVersion": CORE_RULE_VERSION,
        "Username": credentials.username,
        "Password": credentials.password,
        "Payload": x12_270,
    }


def response_envelope(
    request: Mapping[str, str],
    *,
    now: datetime,
    error_code: str = SUCCESS,
    error_message: str = "None",
    payload_type: str = PAYLOAD_271,
    payload: str = "",
) -> dict[str, str]:
    """The fields of a real-time response to `request` (the simulator's side): sender and
    receiver swapped, PayloadID echoed."""
    return {
        "PayloadType": payload_type,
        "ProcessingMode": REAL_TIME,
        "PayloadID": request.get("PayloadID", ""),
        "TimeStamp": core_timestamp(now),
        "SenderID": request.get("ReceiverID", ""),
        "ReceiverID": request.get("SenderID", ""),
        "CORERuleVersion": CORE_RULE_VERSION,
        "Payload": payload,
        "ErrorCode": error_code,
        "ErrorMessage": error_message,
    }


# --------------------------------------------------------------------------- error codes

Outcome = Literal["success", "retry", "refused", "credentials"]
"""What an ErrorCode means to the program: a 271 (success); a transient failure worth retrying
(counts toward the circuit, 503 + Retry-After); a refusal of what we sent (no retry: an operator
fixes the set-up); or a refusal of our credentials (the same, and the secret is read afresh)."""

RULE_REFUSALS: Final = frozenset({"VersionMismatch", "PayloadTypeNotSupported", "ProcessingModeNotSupported"})
"""Codes of the rule's envelope-processing error table (§4.4) for an envelope the receiver
will not take as sent. The table's `<FieldName>Required` and `<FieldName>Illegal` (e.g.
`PayloadIDRequired`, `SenderIDIllegal`) are matched by their suffix."""
CREDENTIAL_REFUSALS: Final = frozenset(
    {
        "UnAuthorized",
        "Unauthorized",
        "AuthenticationFailed",
        "SenderIDNotAuthorized",
        "ReceiverIDNotAuthorized",
    }
)
"""The rule's `UnAuthorized` (the credentials do not authorize this submission), and the
spellings clearinghouses' companion guides use for it."""
RETRYABLE: Final = frozenset(
    {
        "TimeOut",
        "Timeout",
        "RequestTimeOut",
        "ServerBusy",
        "ServiceUnavailable",
        "Retry",
        "RetryLater",
        "Busy",
    }
)
"""Transient conditions. The rule's own table has no such code: a receiver that cannot
answer in time answers HTTP 5xx (or times out), which the adapter already treats as
transient; clearinghouses' companion guides add these names for the same condition inside an
envelope, and any code ending in "Busy", "TimeOut"/"Timeout" or starting with "Retry" is read
the same way."""


def outcome(error_code: str | None) -> Outcome:
    """What a response's ErrorCode means (see `Outcome`). A missing code on a response that
    carries a payload is read as Success (some receivers omit it); an unknown one is a refusal:
    an operator has to look, and retrying blindly would not help."""
    code = (error_code or SUCCESS).strip()
    if code == SUCCESS:
        return "success"
    if code in CREDENTIAL_REFUSALS:
        return "credentials"
    if code in RETRYABLE or code.endswith(("Busy", "TimeOut", "Timeout")) or code.startswith("Retry"):
        return "retry"
    return "refused"


def safe_code(error_code: str | None) -> str:
    """The ErrorCode as it may be logged: a bare identifier, else "unrecognised" (an
    ErrorMessage is never logged: a receiver may quote the member's data in it)."""
    code = (error_code or "").strip()
    return code if _CODE.fullmatch(code) else "unrecognised"


# --------------------------------------------------------------------------- receiving a request


def request_error(fields: Mapping[str, str]) -> str | None:
    """The rule's ErrorCode for a real-time 270 request envelope that cannot be processed as
    sent (the receiver's side; the simulator uses it), or None when it can."""
    for name in (*REQUEST_FIELDS, *CREDENTIAL_FIELDS):
        if not fields.get(name, "").strip():
            return f"{name}Required"
    if fields["CORERuleVersion"].strip() != CORE_RULE_VERSION:
        return "VersionMismatch"
    if fields["ProcessingMode"].strip() != REAL_TIME:
        return "ProcessingModeNotSupported"
    if fields["PayloadType"].strip() != PAYLOAD_270:
        return "PayloadTypeNotSupported"
    if not _UUID.fullmatch(fields["PayloadID"].strip()):
        return "PayloadIDIllegal"
    if not _TIMESTAMP.fullmatch(fields["TimeStamp"].strip()):
        return "TimeStampIllegal"
    return None
