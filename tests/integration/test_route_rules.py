"""The rules wrapper on a resolver of its own, with the real audit log and idempotency store on
moto: a route declares its ceremony and the wrapper runs it."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from pydantic import BaseModel

from functions.common.api import create_resolver
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome, bound_to
from functions.common.route_rules import COORDINATORS, declared
from functions.common.tables import IDEMPOTENCY
from functions.schedule.deps import Audit, Caller
from tests.integration.conftest import audit_entries
from tests.support import Reply, api_event, claims, context

rules = declared(bound_to(lambda: f"test-{IDEMPOTENCY.key}"))
app = create_resolver()
made: list[str] = []


class Note(BaseModel):
    text: str


@app.put("/notes/<note_id>")
@rules(
    lambda arguments: "note.clear" if not arguments["body"].text else "note.write",
    "note/{note_id}",
    allow=COORDINATORS,
    refused="only coordinators write notes",
    if_match=True,
)
def write_note(
    note_id: str,
    body: Annotated[Note, Body()],
    caller: Caller,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> dict[str, Any]:
    if note_id == "broken":
        raise RuntimeError("the store failed")
    return {"note_id": note_id, "by": caller.person_id}


@app.post("/notes")
@rules("note.create", "notes", idempotent="test.create_note")
def create_note(
    body: Annotated[Note, Body()],
    caller: Caller,
    audit: Audit,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER)] = None,
) -> Outcome:
    made.append(body.text)
    return Outcome(201, {"note": len(made)}, {"Location": f"/notes/{len(made)}"})


COORDINATOR = claims("per_coord", "coordinator")
CLINICIAN = claims("per_clin", "clinician")


def call(method: str, path: str, caller: dict[str, str], **kwargs: Any) -> Reply:
    return Reply(app.resolve(api_event(method, path, caller=caller, **kwargs), context()))


def outcomes(moto_env: dict[str, Any], resource: str) -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in audit_entries(moto_env, resource)]


def test_a_declared_route_is_audited_by_its_resource_and_action(moto_env):
    reply = call("PUT", "/notes/n1", COORDINATOR, body={"text": "hello"}, headers={"If-Match": '"1"'})
    assert reply.status == 200, reply
    assert reply.json == {"note_id": "n1", "by": "per_coord"}
    assert outcomes(moto_env, "note/n1") == [("note.write", "success")]
    # the action may follow the request
    call("PUT", "/notes/n2", COORDINATOR, body={"text": ""}, headers={"If-Match": '"1"'})
    assert outcomes(moto_env, "note/n2") == [("note.clear", "success")]


def test_a_role_the_rules_do_not_allow_is_refused_and_audited_as_denied(moto_env):
    reply = call("PUT", "/notes/n3", CLINICIAN, body={"text": "hello"}, headers={"If-Match": '"1"'})
    assert reply.status == 403
    assert reply.json["detail"] == "only coordinators write notes"
    assert outcomes(moto_env, "note/n3") == [("note.write", "denied")]


def test_an_update_without_if_match_is_refused_with_428_naming_the_header(moto_env):
    reply = call("PUT", "/notes/n4", COORDINATOR, body={"text": "hello"})
    assert reply.status == 428
    assert [e["field"] for e in reply.json["errors"]] == ["header.If-Match"]
    assert outcomes(moto_env, "note/n4") == [("note.write", "rejected")]


def test_a_failure_is_audited_with_its_outcome(moto_env):
    reply = call("PUT", "/notes/broken", COORDINATOR, body={"text": "x"}, headers={"If-Match": '"1"'})
    assert reply.status == 500
    assert outcomes(moto_env, "note/broken") == [("note.write", "error")]


def test_an_idempotent_route_replays_its_first_answer_for_a_repeated_key(moto_env):
    made.clear()
    key = {IDEMPOTENCY_HEADER: "k" * 32}
    first = call("POST", "/notes", COORDINATOR, body={"text": "once"}, headers=key)
    again = call("POST", "/notes", COORDINATOR, body={"text": "once"}, headers=key)
    assert (first.status, again.status) == (201, 201)
    assert first.json == again.json == {"note": 1}
    assert again.headers["location"] == "/notes/1"
    assert made == ["once"]
    # a different request under the same key is refused, and makes nothing
    other = call("POST", "/notes", COORDINATOR, body={"text": "twice"}, headers=key)
    assert other.status in (409, 422), other
    assert made == ["once"]


def test_rules_refuse_a_resource_naming_a_parameter_the_route_lacks():
    with pytest.raises(TypeError, match="unknown parameters"):

        @rules("x.read", "x/{missing}")
        def route(caller: Caller, audit: Audit) -> None: ...
