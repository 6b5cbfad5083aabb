"""HTTP against the real local runtime: Cognito login, the gateway's token check, the
functions behind it, Swagger UI, the background loops, and a clean shutdown."""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests

from functions.openapi import load_committed
from functions.schedule.deps import STATED_RULES, stated_rules
from tests.clock import controlled_now
from tests.e2e.conftest import (
    READY_WITHIN_SECONDS,
    ROOT,
    LocalRuntime,
    runtime_env,
    start_runtime,
)
from tests.e2e.support import alive, children, eventually
from tests.support import free_ports

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_ready_quickly_with_the_state_file_a_client_needs(local_runtime: LocalRuntime):
    assert local_runtime.startup_seconds < READY_WITHIN_SECONDS
    state = local_runtime.state
    for key in (
        "api_url",
        "aws_endpoint_url",
        "region",
        "user_pool_id",
        "user_pool_client_id",
        "staff_user_pool_id",
        "staff_user_pool_client_id",
        "users",
    ):
        assert state[key], key
    roles = {u["role"] for u in state["users"]}
    assert roles == {"participant", "clinician", "coordinator"}
    for user in state["users"]:
        staff = user["role"] != "participant"
        login = {"username", "password", "role", "person_id", "user_pool_client_id"}
        assert set(user) == login | ({"totp_secret"} if staff else set())
        pool = "staff_user_pool_client_id" if staff else "user_pool_client_id"
        assert user["user_pool_client_id"] == state[pool]


def test_a_token_from_initiate_auth_opens_a_protected_route(local_runtime: LocalRuntime):
    # Given a demo participant's ID token from Cognito
    user = local_runtime.user("participant")
    token = local_runtime.id_token("participant")
    # When they ask for their profile, with the token as API Gateway expects it (and as Bearer)
    raw = local_runtime.get("/me", token)
    bearer = local_runtime.get("/me", f"Bearer {token}")
    # Then they get their own record from the schedule table
    assert raw.status_code == bearer.status_code == 200, raw.text
    assert raw.json()["person_id"] == user["person_id"]
    assert raw.headers["ETag"] == '"1"'


def test_no_token_is_401_problem_json(local_runtime: LocalRuntime):
    reply = local_runtime.get("/me")
    assert reply.status_code == 401
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json()["status"] == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def _forge(token: str, **changes: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def test_forged_expired_or_wrong_kind_of_token_is_401(local_runtime: LocalRuntime):
    user = local_runtime.user("participant")
    tokens = local_runtime.tokens(user["username"], user["password"])
    # A participant who edits their token to claim the coordinator group
    assert (
        local_runtime.get(
            "/people", _forge(tokens["IdToken"], **{"cognito:groups": "coordinator"})
        ).status_code
        == 401
    )
    # An access token is not an ID token
    assert local_runtime.get("/me", tokens["AccessToken"]).status_code == 401
    # Garbage
    assert local_runtime.get("/me", "not-a-jwt").status_code == 401
    # A token signed by someone else
    foreign = jwt.encode(
        {"sub": "x", "token_use": "id"}, "an-attacker-key-of-thirty-two-bytes!", algorithm="HS256"
    )
    assert local_runtime.get("/me", foreign).status_code == 401


def test_unknown_route_and_method_are_problems(local_runtime: LocalRuntime):
    token = local_runtime.id_token("participant")
    missing = local_runtime.get("/nowhere", token)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    wrong = requests.delete(local_runtime.api + "/me", headers={"Authorization": token}, timeout=10)
    assert wrong.status_code == 405
    assert wrong.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("length", "status"),
    [("99999999999", 413), (str(10 * 1024 * 1024 + 1), 413), ("-1", 400), ("ten", 400)],
)
def test_a_body_length_the_gateway_will_not_read_is_refused_unread(
    local_runtime: LocalRuntime, length, status
):
    # Given a request that claims a body far beyond API Gateway's 10 MB, or a length that is
    # not one, and sends none of it
    api = urlsplit(local_runtime.api)
    with socket.create_connection((api.hostname, api.port), timeout=10) as conn:
        conn.sendall(
            f"POST /people HTTP/1.1\r\nHost: {api.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        # When the gateway answers (it does not wait for the body)
        reply = conn.makefile("rb").read().decode()
    # Then it is a problem with that status, and the connection is closed
    head, _, body = reply.partition("\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} "), head
    assert "Content-Type: application/problem+json" in head
    assert "Connection: close" in head
    assert json.loads(body)["status"] == status


def test_coordinator_creates_a_person_idempotently_over_http(local_runtime: LocalRuntime):
    token = local_runtime.id_token("coordinator")
    key = f"e2e-{uuid.uuid4()}"
    body = {
        "kind": "participant",
        "display_name": "Robin Example",
        "email": f"robin-{uuid.uuid4().hex[:8]}@example.com",
        "time_zone": "America/New_York",
        "state": "NY",
        "age_group": "adult",
    }
    headers = {"Authorization": token, "Idempotency-Key": key}
    first = requests.post(local_runtime.api + "/people", json=body, headers=headers, timeout=10)
    second = requests.post(local_runtime.api + "/people", json=body, headers=headers, timeout=10)
    assert first.status_code == second.status_code == 201, first.text
    assert first.json()["person_id"] == second.json()["person_id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    fetched = local_runtime.get(first.headers["Location"], token)
    assert fetched.status_code == 200
    assert fetched.json()["email"] == body["email"]


def test_partner_cannot_read_the_other_partners_profile(local_runtime: LocalRuntime):
    participants = [u for u in local_runtime.state["users"] if u["role"] == "participant"]
    alex, jamie = participants[0], participants[1]
    token = local_runtime.tokens(alex["username"], alex["password"])["IdToken"]
    assert local_runtime.get(f"/people/{jamie['person_id']}", token).status_code == 404


def test_validation_errors_name_the_fields_over_http(local_runtime: LocalRuntime):
    token = local_runtime.id_token("coordinator")
    reply = requests.post(
        local_runtime.api + "/people",
        json={"kind": "participant", "display_name": "X", "email": "bad", "time_zone": "Nowhere/City"},
        headers={"Authorization": token},
        timeout=10,
    )
    assert reply.status_code == 422
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert {"body.email", "body.time_zone"} <= {e["field"] for e in reply.json()["errors"]}


def test_swagger_ui_and_the_document_it_shows(local_runtime: LocalRuntime):
    page = local_runtime.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "SwaggerUIBundle" in page.text
    assert local_runtime.get("/docs/swagger-ui.js").status_code == 200
    assert local_runtime.get("/docs/swagger-ui.css").status_code == 200
    document = local_runtime.get("/openapi.json").json()
    assert document["paths"] == load_committed()["paths"]
    assert document["servers"][0]["url"] == local_runtime.api


def test_background_loops_send_a_due_message(local_runtime: LocalRuntime):
    # Given a due email written to the notify table's outbox
    dynamodb = local_runtime.client("dynamodb")
    table = local_runtime.state["tables"]["notify"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    message_id = f"msg_e2e{uuid.uuid4().hex[:12]}"
    dynamodb.put_item(
        TableName=table,
        Item={
            "pk": {"S": f"MESSAGE#{message_id}"},
            "sk": {"S": "MESSAGE"},
            "entity": {"S": "MESSAGE"},
            "message_id": {"S": message_id},
            "person_id": {"S": "per_demoalex"},
            "channel": {"S": "email"},
            "to": {"S": "alex@tandem.example"},
            "text": {"S": "Open the Tandem app for an update."},
            "due_at": {"S": now},
            "status": {"S": "pending"},
            "gsi1pk": {"S": f"DUE#{now[:10]}"},
            "gsi1sk": {"S": f"{now}#{message_id}"},
        },
    )

    # When the minute sweep (every second here) and the queue poller have run
    def sent() -> bool:
        item = dynamodb.get_item(
            TableName=table, Key={"pk": {"S": f"MESSAGE#{message_id}"}, "sk": {"S": "MESSAGE"}}
        )
        return bool(item["Item"]["status"]["S"] == "sent")

    # Then the message was sent through SES
    assert eventually(sent)
    assert int(local_runtime.client("ses").get_send_quota()["SentLast24Hours"]) >= 1


STOP_WITHIN_SECONDS = 3.0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_everything_within_seconds_even_mid_request(tmp_path, signum):
    # Given a runtime of its own (the shared one serves the other tests), busy with clients
    runtime = start_runtime(tmp_path)
    token = runtime.id_token("coordinator")
    busy = threading.Event()
    halt = threading.Event()

    def client() -> None:
        while not halt.is_set():
            try:
                requests.get(runtime.api + "/people", headers={"Authorization": token}, timeout=10)
                busy.set()
            except requests.RequestException:
                return

    clients = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    for thread in clients:
        thread.start()
    assert busy.wait(60), "no request was answered"
    workers = children(runtime.process.pid)
    assert workers, "no function workers"
    # When it gets the signal
    runtime.process.send_signal(signum)
    stopped_at = time.monotonic()
    try:
        runtime.process.wait(timeout=STOP_WITHIN_SECONDS)
    except subprocess.TimeoutExpired:
        runtime.process.kill()
        runtime.process.wait()
        tail = "\n".join(line for line in runtime.output().splitlines() if line.startswith("[tandem]"))[
            -3000:
        ]
        pytest.fail(f"the runtime did not stop within {STOP_WITHIN_SECONDS} s:\n{tail}")
    finally:
        halt.set()
    took = time.monotonic() - stopped_at
    output = runtime.output()
    # Then it stopped cleanly, having printed the logins on the way up, and no worker is left
    assert runtime.process.returncode == 0, output[-3000:]
    assert took < STOP_WITHIN_SECONDS
    assert "Demo logins" in output
    assert "[tandem] stopped" in output
    assert "Traceback" not in output
    # (multiprocessing's resource tracker, a child too, leaves once it sees the runtime gone)
    gone = eventually(
        lambda: [pid for pid in workers if alive(pid)] == [],
        within=max(0.0, stopped_at + STOP_WITHIN_SECONDS - time.monotonic()),
    )
    assert gone, [Path(f"/proc/{pid}/cmdline").read_bytes()[:120] for pid in workers if alive(pid)]


def test_a_port_in_use_fails_the_start_with_a_message(tmp_path):
    # Given the port moto should listen on taken by someone else
    api_port, aws_port = free_ports(2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", aws_port))
        taken.listen()
        # When the runtime starts
        process = subprocess.run(
            [sys.executable, "-m", "local"],
            cwd=ROOT,
            env=runtime_env(api_port, aws_port, tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    # Then it says why and exits 1 (moto's own start would wait forever)
    assert process.returncode == 1, process.stderr[-2000:]
    assert f"is port {api_port} or {aws_port} taken?" in process.stderr


def test_the_seeded_couple_sees_next_weeks_sessions(local_runtime: LocalRuntime):
    # Given the demo program's Riveras, whose next week is seeded
    users = {u["username"]: u for u in local_runtime.state["users"]}
    alex = users["alex@tandem.example"]
    token = local_runtime.tokens(alex["username"], alex["password"])["IdToken"]
    # When Alex opens next week
    reply = local_runtime.get(f"/me/schedule?week={local_runtime.seeded_week()}", token)
    # Then the couples session, the individual session and counseling are there, in Chicago time
    assert reply.status_code == 200, reply.text
    items = reply.json()["items"]
    sessions = [i for i in items if not i["group_id"]]
    assert sorted(i["type"] for i in sessions) == ["couples", "individual", "substance_use_counseling"]
    # and the evening skills group the couple joined together
    assert {i["type"] for i in items if i["group_id"]} == {"cbt_skills"}
    assert all(i["start"].endswith(("-06:00", "-05:00")) for i in items)


def test_a_coordinator_checks_eligibility_and_alex_reads_next_weeks_estimate(local_runtime: LocalRuntime):
    import requests

    # Given the demo program: Alex on the Lone Star family PPO, answered by the simulated payer
    coordinator = local_runtime.id_token("coordinator")
    users = {u["username"]: u for u in local_runtime.state["users"]}
    alex = users["alex@tandem.example"]
    alex_token = local_runtime.tokens(alex["username"], alex["password"])["IdToken"]
    # When a coordinator checks Alex's eligibility over HTTP
    checked = requests.post(
        local_runtime.api + "/participants/per_demoalex/plans/pln_demorivera01/eligibility-checks",
        headers={"Authorization": coordinator},
        timeout=10,
    )
    assert checked.status_code == 201, checked.text
    assert checked.json()["status"] == "active"
    # Then Alex's estimate for next week is priced from that 271 and the payer's fee schedule
    week = local_runtime.seeded_week()
    reply = local_runtime.get(f"/participants/per_demoalex/estimates/week?week={week}", alex_token)
    assert reply.status_code == 200, reply.text
    estimate = reply.json()
    assert estimate["basis"] == "insured"
    assert {line["code"] for line in estimate["lines"]} >= {"90837", "90847", "90853", "H0004"}
    assert all(isinstance(line["you_pay"], str) for line in estimate["lines"])
    # And Jamie never sees Alex's
    jamie = users["jamie@tandem.example"]
    jamie_token = local_runtime.tokens(jamie["username"], jamie["password"])["IdToken"]
    hidden = local_runtime.get(f"/participants/per_demoalex/estimates/week?week={week}", jamie_token)
    assert hidden.status_code == 404


def test_booking_through_make_serve_sends_the_booked_notice(local_runtime: LocalRuntime):
    import datetime as dt
    from zoneinfo import ZoneInfo

    import requests

    # Given Alex (contact details seeded in notify) and Sam's Monday hours two weeks ahead
    coordinator = local_runtime.id_token("coordinator")
    chicago = ZoneInfo("America/Chicago")
    today = controlled_now(chicago).date()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    start = dt.datetime.combine(monday, dt.time(11), tzinfo=chicago).isoformat()
    # When a coordinator books a session over HTTP
    booked = requests.post(
        local_runtime.api + "/sessions",
        headers={"Authorization": coordinator},
        json={
            "type": "individual",
            "start": start,
            "clinician_id": "per_demotherapist1",
            "attendee_ids": ["per_demoalex"],
        },
        timeout=10,
    )
    assert booked.status_code == 201, booked.text
    # Then the stream, the sweep and the sender deliver Alex's "booked" email, in Alex's history
    users = {u["username"]: u for u in local_runtime.state["users"]}
    alex = users["alex@tandem.example"]
    token = local_runtime.tokens(alex["username"], alex["password"])["IdToken"]

    def booked_emails() -> list[dict[str, Any]]:
        history = local_runtime.get("/me/notifications", token)
        assert history.status_code == 200, history.text
        return [
            i
            for i in history.json()["items"]
            if i["kind"] == "booked" and i["channel"] == "email" and i["status"] == "sent"
        ]

    assert eventually(booked_emails), "the booked notice was not sent"
    assert int(local_runtime.client("ses").get_send_quota()["SentLast24Hours"]) >= 1


def test_a_newcomers_new_plan_checks_active_over_core_and_an_outage_is_a_503(local_runtime: LocalRuntime):
    # Given make serve's eligibility going over CAQH CORE to the local CORE simulator
    assert local_runtime.state["clearinghouse_url"].startswith("http://127.0.0.1:")
    coordinator = local_runtime.id_token("coordinator")
    headers = {"Authorization": coordinator}
    patient = {"first_name": "Casey", "last_name": "Morgan", "birth_date": "1991-03-14"}

    def new_plan(member_id: str) -> str:
        created = requests.post(
            local_runtime.api + "/participants/per_democasey/plans",
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "payer_name": "Gulf Coast Health",
                "payer_id": "GCH77",
                "plan_type": "PPO",
                "member_id": member_id,
                "patient": patient,
                "network_status": "in_network",
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        return str(created.json()["plan_id"])

    def check(plan_id: str) -> requests.Response:
        return requests.post(
            f"{local_runtime.api}/participants/per_democasey/plans/{plan_id}/eligibility-checks",
            headers=headers,
            timeout=20,
        )

    # When a coordinator checks a plan whose member id nobody seeded
    checked = check(new_plan("GCH-40917733"))
    # Then the payer (the CORE simulator) answers with an active PPO
    assert checked.status_code == 201, checked.text
    assert checked.json()["status"] == "active"
    # And a member id of the outage pattern is a 503 with Retry-After (the payer is down)
    down = check(new_plan("SIM-OUTAGE-1"))
    assert down.status_code == 503, down.text
    assert int(down.headers["Retry-After"]) >= 1
    assert down.headers["Content-Type"].startswith("application/problem+json")


def test_the_web_app_is_served_with_its_configuration_and_policy(local_runtime: LocalRuntime):
    # Given the running runtime (what `make serve` starts)
    # When a browser loads the app and its configuration
    page = requests.get(f"{local_runtime.api}/app/", timeout=10)
    config = requests.get(f"{local_runtime.api}/app/config.json", timeout=10).json()
    # Then the page comes with its Content-Security-Policy, and the configuration names this API,
    # moto's Cognito, both pools' clients and the rules the schedule function applies
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert config["api_url"] == local_runtime.api
    assert config["cognito_endpoint"] == local_runtime.state["aws_endpoint_url"] + "/"
    assert config["pools"]["participant"]["client_id"] == local_runtime.state["user_pool_client_id"]
    assert config["pools"]["staff"]["client_id"] == local_runtime.state["staff_user_pool_client_id"]
    assert {name: config[name] for name in STATED_RULES} == stated_rules()
