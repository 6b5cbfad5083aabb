"""The simulated clearinghouse as a CAQH CORE real-time endpoint: what `make serve` starts.

A small threaded HTTP server (the standard library's `http.server`) speaking the envelope of
functions.coverage.core: it reads the POSTed MIME multipart envelope, checks it as the rule
says a receiver does (every field present, CORERuleVersion 2.2.0, ProcessingMode RealTime,
PayloadType X12_270_Request_005010X279A1) and the credentials (Username, Password, SenderID,
ReceiverID), hands the 270 to `SimulatedClearinghouse` (which answers any member id; see
functions.coverage.simulator for the member-id patterns) and answers with the 271 in a
response envelope echoing the PayloadID.

How it answers what goes wrong:

| request                                   | HTTP | response envelope                    |
|-------------------------------------------|------|--------------------------------------|
| not a multipart envelope, a field missing | 400  | CoreEnvelopeError, `<Field>Required` |
| another CORERuleVersion                   | 400  | CoreEnvelopeError, VersionMismatch   |
| another ProcessingMode / PayloadType      | 400  | ...NotSupported                      |
| wrong Username/Password                   | 401  | CoreEnvelopeError, UnAuthorized      |
| another SenderID / ReceiverID             | 400  | `SenderIDIllegal` / `ReceiverIDIllegal` |
| a 270 it cannot read                      | 200  | X12_999_Response_005010X231A1        |
| member id SIM-OUTAGE, payer OUTAGE        | 503  | CoreEnvelopeError, ServerBusy, with `Retry-After` |

Nothing is logged: the envelope holds member data and credentials.
"""

from __future__ import annotations

import hmac
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from functions.common.models import utc_now
from functions.coverage import core
from functions.coverage.core import CoreCredentials
from functions.coverage.port import ClearinghouseFailure, ClearinghouseRefused
from functions.coverage.simulator import SimulatedClearinghouse

OUTAGE_RETRY_AFTER_SECONDS = 5
MAX_REQUEST_BYTES = 1_000_000
PATH = "/core/realtime"
"""Where the endpoint listens (any path is answered the same; this one is what the runtime names)."""

DEFAULT_CREDENTIALS = CoreCredentials(
    username="tandem-local",
    password="local-only-not-a-secret",  # noqa: S106 - the simulator's own, printed in the banner
    sender_id="TANDEMIOP",
    receiver_id="CLEARHOUSE",
)


def _rejection_999(x12_270: str) -> str:
    """A minimal 999 rejecting the transaction set (what a clearinghouse answers a 270 it cannot
    read instead of a 271)."""
    del x12_270  # nothing of it is echoed: it could not be read
    return (
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*TANDEMIOP      *000101*0000*^*00501*"
        "000000001*0*T*:~GS*FA*CLEARHOUSE*TANDEMIOP*20000101*0000*1*X*005010X231A1~"
        "ST*999*0001*005010X231A1~AK1*HS*1*005010X279A1~AK9*R*1*1*0~SE*4*0001~GE*1*1~IEA*1*000000001~"
    )


class CoreSimulator:
    """The endpoint, on `host:port` (port 0: any free one); `url` once started."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        credentials: CoreCredentials = DEFAULT_CREDENTIALS,
        clearinghouse: SimulatedClearinghouse | None = None,
    ) -> None:
        self.credentials = credentials
        self.clearinghouse = clearinghouse or SimulatedClearinghouse()
        self.received = 0
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                simulator.received += 1
                status, fields, headers = simulator.answer(self._body(), self.headers.get("Content-Type"))
                body, content_type = core.build_envelope(fields)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                length = self.headers.get("Content-Length", "")
                size = int(length) if length.isdigit() else 0
                return self.rfile.read(min(size, MAX_REQUEST_BYTES))

            def log_message(self, *args: Any) -> None:  # the envelope holds member data
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def start(self) -> CoreSimulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="core-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ the exchange

    def answer(self, body: bytes, content_type: str | None) -> tuple[int, dict[str, str], dict[str, str]]:
        """(HTTP status, response envelope fields, extra headers) for one request."""
        now = utc_now()
        try:
            request = core.parse_envelope(body, content_type)
        except core.EnvelopeError:
            request = {}
        error = core.request_error(request)
        if error:
            return 400, self._error(request, error, "the envelope cannot be processed as sent"), {}
        if not self._authorized(request):
            return 401, self._error(request, "UnAuthorized", "the credentials are not accepted"), {}
        for field, expected in (
            ("SenderID", self.credentials.sender_id),
            ("ReceiverID", self.credentials.receiver_id),
        ):
            if request[field].strip() != expected:
                return 400, self._error(request, f"{field}Illegal", f"unknown {field}"), {}
        try:
            x12_271 = self.clearinghouse.submit(request["Payload"])
        except ClearinghouseFailure:
            retry = {"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)}
            return (
                503,
                self._error(request, "ServerBusy", "the payer cannot be reached; try again later"),
                retry,
            )
        except ClearinghouseRefused:
            fields = core.response_envelope(
                request, now=now, payload_type=core.PAYLOAD_999, payload=_rejection_999(request["Payload"])
            )
            return 200, fields, {}
        return 200, core.response_envelope(request, now=now, payload=x12_271), {}

    def _authorized(self, request: dict[str, str]) -> bool:
        user_ok = hmac.compare_digest(request["Username"].encode(), self.credentials.username.encode())
        password_ok = hmac.compare_digest(request["Password"].encode(), self.credentials.password.encode())
        return user_ok and password_ok

    @staticmethod
    def _error(request: dict[str, str], code: str, message: str) -> dict[str, str]:
        return core.response_envelope(
            request, now=utc_now(), error_code=code, error_message=message, payload_type=core.ENVELOPE_ERROR
        )
