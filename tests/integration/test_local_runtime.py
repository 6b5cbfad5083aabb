"""The pieces of the embedded runtime against moto: provisioning from the shared table
definitions, the idempotent demo seed, and the pollers that stand in for Lambda's triggers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from functions.catalog import DLQ_URL_ENV, QUEUE_URL_ENV, SENDER_EMAIL_ENV
from functions.common import aws
from functions.common.models import utc_now
from functions.common.streams import Change
from functions.common.tables import ALL_TABLES
from functions.coverage import events as coverage_events
from functions.notify import events as notify_events
from functions.notify.models import MessageRecord
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Channel, MessageStatus
from functions.schedule import events as schedule_events
from functions.schedule.models import PersonRecord
from local import cognito_mfa, pollers, provision, seed, token
from local import settings as names

pytestmark = pytest.mark.clock  # reads "now" (months, due times, staleness)

SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "ses", "sns", "cognito-idp")


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch):
    with cognito_mfa.enforced(), mock_aws():
        aws.reset_clients()
        clients = {s: boto3.client(s, region_name="us-east-1") for s in SERVICES}  # type: ignore[call-overload]
        resources = provision.provision(clients)
        for table in ALL_TABLES:
            monkeypatch.setenv(table.env_var, resources.tables[table.key])
        monkeypatch.setenv(QUEUE_URL_ENV, resources.queue_url)
        monkeypatch.setenv(DLQ_URL_ENV, resources.dlq_url)
        monkeypatch.setenv(SENDER_EMAIL_ENV, names.SENDER_EMAIL)
        yield clients, resources
        aws.reset_clients()


def test_tables_follow_the_shared_definitions(local_aws):
    clients, resources = local_aws
    for table in ALL_TABLES:
        described = clients["dynamodb"].describe_table(TableName=resources.tables[table.key])["Table"]
        expected = table.create_table_kwargs(resources.tables[table.key])
        assert described["KeySchema"] == expected["KeySchema"]
        assert {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])} == {
            i.name for i in table.indexes
        }
        assert ("LatestStreamArn" in described) == (table.stream is not None)


def test_provision_and_seed_are_idempotent_and_logins_work(local_aws):
    clients, resources = local_aws
    # Given the runtime provisioned and seeded once
    first = seed.seed(clients, resources)
    # When both run again
    again_resources = provision.provision(clients)
    second = seed.seed(clients, again_resources)
    # Then nothing was duplicated (staff set up TOTP anew: an authenticator secret is shown once)
    assert again_resources == resources
    assert [replace(login, totp_secret=None) for login in first] == [
        replace(login, totp_secret=None) for login in second
    ]
    participants = clients["dynamodb"].query(
        TableName=resources.tables["schedule"],
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :k",
        ExpressionAttributeValues={":k": {"S": "KIND#participant"}},
    )["Items"]
    assert len(participants) == sum(1 for p in seed.PEOPLE if p.kind.value == "participant")
    cognito = clients["cognito-idp"]
    participants = cognito.list_users(UserPoolId=resources.user_pool_id)["Users"]
    staff = cognito.list_users(UserPoolId=resources.staff_user_pool_id)["Users"]
    assert len(participants) == sum(1 for login in first if login.role == "participant")
    assert len(staff) == sum(1 for login in first if login.role != "participant") >= 2
    # And every demo login gets an ID token carrying its person id and role (staff with a TOTP code)
    for login in second:
        assert (login.totp_secret is not None) == (login.role != "participant")
        tokens = token.sign_in(
            cognito, login.user_pool_client_id, login.username, login.password, login.totp_secret
        )
        claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
        assert claims["custom:person_id"] == login.person_id
        assert login.role in claims["cognito:groups"]
        assert claims["aud"] == login.user_pool_client_id


def test_couples_are_seeded_with_their_plans(local_aws):
    clients, resources = local_aws
    seed.seed(clients, resources)
    item = clients["dynamodb"].get_item(
        TableName=resources.tables["schedule"],
        Key={"pk": {"S": "PERSON#per_demojamie"}, "sk": {"S": "PROFILE"}},
    )["Item"]
    assert item["state"]["S"] == "TX"
    plans = clients["dynamodb"].query(
        TableName=resources.tables["coverage"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "PERSON#per_demojamie"}},
    )["Items"]
    assert [p["subscriber_relationship"]["S"] for p in plans if p["sk"]["S"].startswith("PLAN#")] == [
        "spouse"
    ]


def _put_entity(clients: dict[str, Any], table: str, pk: str, entity: str) -> None:
    clients["dynamodb"].put_item(
        TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "X"}, "entity": {"S": entity}}
    )


def test_stream_poller_delivers_filtered_records_to_each_consumer(local_aws, monkeypatch):
    clients, resources = local_aws
    # Given consumers that record what reaches them
    notify_seen: list[Change] = []
    coverage_seen: list[Change] = []
    monkeypatch.setitem(notify_events.HANDLERS, "SESSION", notify_seen.append)
    monkeypatch.setitem(coverage_events.HANDLERS, "SESSION", coverage_seen.append)
    schedule_seen: list[Change] = []
    monkeypatch.setitem(schedule_events.HANDLERS, "SESSION", schedule_seen.append)
    log: list[str] = []
    poller = pollers.StreamPoller(
        clients["dynamodb"], clients["dynamodbstreams"], resources.tables["schedule"], log.append
    )
    # When a session and a person are written to the schedule table
    _put_entity(clients, resources.tables["schedule"], "SESSION#1", "SESSION")
    _put_entity(clients, resources.tables["schedule"], "PERSON#1", "PERSON")
    poller.step()
    # Then both consumers got the session only (the catalog's filter kept the person out)
    assert [c.new["pk"] for c in notify_seen] == ["SESSION#1"]
    assert [c.new["pk"] for c in coverage_seen] == ["SESSION#1"]
    assert [c.new["pk"] for c in schedule_seen] == ["SESSION#1"]
    assert notify_seen[0].event_name == "INSERT"
    # And nothing is delivered twice
    poller.step()
    assert len(notify_seen) == 1
    assert log == []


def test_stream_poller_retries_a_failing_record_then_gives_up(local_aws, monkeypatch):
    clients, resources = local_aws
    attempts: list[str] = []

    def always_fails(change: Change) -> None:
        attempts.append(change.sequence_number)
        raise RuntimeError("boom")

    monkeypatch.setitem(notify_events.HANDLERS, "SESSION", always_fails)
    log: list[str] = []
    poller = pollers.StreamPoller(
        clients["dynamodb"],
        clients["dynamodbstreams"],
        resources.tables["schedule"],
        log.append,
        max_attempts=3,
    )
    _put_entity(clients, resources.tables["schedule"], "SESSION#2", "SESSION")
    # The whole batch failing makes the invocation raise (Powertools); the poller retries it.
    poller.step()
    assert len(attempts) == 3
    assert any("failed 3 times" in line for line in log)


def test_queue_poller_sends_swept_messages_and_deletes_them(local_aws):
    clients, resources = local_aws
    # Given a due email in the outbox
    outbox = NotifyStore(resources.tables["notify"], clients["dynamodb"])
    outbox.put_message(
        MessageRecord(
            message_id="msg_local0001",
            person_id="per_demoalex",
            channel=Channel.EMAIL,
            to="alex@tandem.example",
            text="Open the Tandem app for an update.",
            due_at=utc_now(),
        )
    )
    # When the minute sweep and the queue poller run
    pollers.run_sweep()
    log: list[str] = []
    pollers.QueuePoller(clients["sqs"], resources.queue_url, log.append).step()
    # Then the email went out, the message is sent and the queue is empty
    assert outbox.get_message("msg_local0001").status is MessageStatus.SENT
    assert int(clients["ses"].get_send_quota()["SentLast24Hours"]) == 1
    attributes = clients["sqs"].get_queue_attributes(
        QueueUrl=resources.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    assert log == []


def test_person_records_written_by_the_seed_read_back_through_the_model(local_aws):
    clients, resources = local_aws
    seed.seed(clients, resources)
    item = clients["dynamodb"].get_item(
        TableName=resources.tables["schedule"],
        Key={"pk": {"S": "PERSON#per_demoalex"}, "sk": {"S": "PROFILE"}},
    )["Item"]
    from functions.common.dynamo import from_item

    assert PersonRecord.from_attributes(from_item(item)).display_name == "Alex Rivera"
