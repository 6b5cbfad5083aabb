"""The pieces of the embedded runtime against moto: provisioning from the shared table
definitions, the idempotent demo seed, and the pollers that stand in for Lambda's triggers."""

from __future__ import annotations

import gc
import random
import threading
import time
from dataclasses import replace
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from functions.catalog import DLQ_URL_ENV, QUEUE_URL_ENV, SCHEDULE_EVENTS_TOPIC_ENV, SENDER_EMAIL_ENV
from functions.common import aws
from functions.common.models import utc_now
from functions.common.streams import Change
from functions.common.tables import ALL_TABLES
from functions.notify.models import MessageRecord
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Channel, MessageStatus
from functions.schedule import events as schedule_events
from functions.schedule import publish as publisher
from functions.schedule.models import PersonRecord
from local import cognito_mfa, moto_dynamodb, moto_state, pollers, provision, seed, token
from local import settings as names
from local.runtime import sent_sms as runtime_sent_sms

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
        monkeypatch.setenv(SCHEDULE_EVENTS_TOPIC_ENV, resources.schedule_events_topic_arn)
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
    published_seen: list[dict[str, Any]] = []

    def publishes_nothing(new: dict[str, Any], _old: dict[str, Any] | None) -> None:
        published_seen.append(new)

    monkeypatch.setitem(publisher.TRANSLATORS, "SESSION", publishes_nothing)
    schedule_seen: list[Change] = []
    monkeypatch.setitem(schedule_events.HANDLERS, "SESSION", schedule_seen.append)
    log: list[str] = []
    poller = pollers.StreamPoller(
        clients["dynamodb"], clients["dynamodbstreams"], resources.tables["schedule"], log.append
    )
    # When a session and an email claim are written to the schedule table
    _put_entity(clients, resources.tables["schedule"], "SESSION#1", "SESSION")
    _put_entity(clients, resources.tables["schedule"], "EMAIL#x", "EMAIL")
    poller.step()
    # Then each consumer got the session only (the catalog's filters kept the email claim out)
    assert [new["pk"] for new in published_seen] == ["SESSION#1"]
    assert [c.new["pk"] for c in schedule_seen] == ["SESSION#1"]
    assert schedule_seen[0].event_name == "INSERT"
    # And nothing is delivered twice
    poller.step()
    assert len(published_seen) == 1
    assert log == []


def test_stream_poller_retries_a_failing_record_then_gives_up(local_aws, monkeypatch):
    clients, resources = local_aws
    attempts: list[str] = []

    def always_fails(change: Change) -> None:
        attempts.append(change.sequence_number)
        raise RuntimeError("boom")

    monkeypatch.setitem(schedule_events.HANDLERS, "SESSION", always_fails)
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


def _put_due_email(outbox: NotifyStore, message_id: str) -> None:
    outbox.put_message(
        MessageRecord(
            message_id=message_id,
            person_id="per_demoalex",
            channel=Channel.EMAIL,
            to="alex@tandem.example",
            text="Open the Tandem app for an update.",
            due_at=utc_now(),
        )
    )


def test_queue_poller_sends_swept_messages_and_deletes_them(local_aws):
    clients, resources = local_aws
    # Given a due email in the outbox
    outbox = NotifyStore(resources.tables["notify"], clients["dynamodb"])
    _put_due_email(outbox, "msg_local0001")
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


# --- DynamoDB as AWS runs it (local.moto_dynamodb) ------------------------------------------

STREAMED = "tandem-test-streamed"


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch):
    """A table with a NEW_AND_OLD_IMAGES stream, moto changed as the local runtime changes it,
    and a reader positioned at the stream's end (as the stream poller is)."""
    with mock_aws(), moto_dynamodb.installed():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        dynamodb.create_table(
            TableName=STREAMED,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield dynamodb, Reader(dynamodb, streams)


class Reader:
    """Reads the table's stream from where it was at creation, as one long-lived consumer."""

    def __init__(self, dynamodb: Any, streams: Any) -> None:
        self.streams = streams
        self.arn = dynamodb.describe_table(TableName=STREAMED)["Table"]["LatestStreamArn"]
        [shard] = streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        self.shard_id = shard["ShardId"]
        self.iterator = self.at("LATEST")

    def at(self, kind: str) -> str:
        return str(
            self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=self.shard_id, ShardIteratorType=kind
            )["ShardIterator"]
        )

    def read(self) -> list[dict[str, Any]]:
        response = self.streams.get_records(ShardIterator=self.iterator)
        self.iterator = response["NextShardIterator"]
        return list(response["Records"])


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "X"}}


def _put(pk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": STREAMED, "Item": {**_key(pk), **extra}}}


def _absent(pk: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": STREAMED,
            "Key": _key(pk),
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _bump(pk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": STREAMED,
            "Key": _key(pk),
            "UpdateExpression": "SET n = :n",
            "ExpressionAttributeValues": {":n": {"N": "2"}},
        }
    }


def _items(dynamodb: Any) -> dict[str, dict[str, Any]]:
    found = {}
    for pk in ("A", "B", "C", "D", "E"):
        item = dynamodb.get_item(TableName=STREAMED, Key=_key(pk)).get("Item")
        if item:
            found[pk] = item
    return found


def test_a_rejected_transaction_writes_nothing_and_no_stream_record(streamed):
    dynamodb, reader = streamed
    # Given B and C stored, and the reader past their records
    dynamodb.put_item(TableName=STREAMED, Item={**_key("B"), "n": {"N": "1"}})
    dynamodb.put_item(TableName=STREAMED, Item={**_key("C"), "n": {"N": "1"}})
    assert [r["eventName"] for r in reader.read()] == ["INSERT", "INSERT"]
    before = _items(dynamodb)
    # When a transaction puts A, updates B, requires C absent (it is not) and puts D
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as rejected:
        dynamodb.transact_write_items(TransactItems=[_put("A"), _bump("B"), _absent("C"), _put("D")])
    # Then DynamoDB's answer: one reason per item, in order, the failing one with its item
    reasons = rejected.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed", "None"]
    assert reasons[2]["Item"]["pk"] == {"S": "C"}
    # And nothing was written, and the stream holds no trace of it
    assert _items(dynamodb) == before
    assert reader.read() == []
    assert reader.streams.get_records(ShardIterator=reader.at("TRIM_HORIZON"))["Records"][2:] == []


def test_the_stream_keeps_flowing_after_any_number_of_rejections(streamed):
    dynamodb, reader = streamed
    dynamodb.put_item(TableName=STREAMED, Item=_key("C"))
    [first] = reader.read()
    # Given three rejected transactions
    for _ in range(3):
        with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
            dynamodb.transact_write_items(TransactItems=[_put("A"), _absent("C")])
    # When one succeeds
    dynamodb.transact_write_items(TransactItems=[_put("D"), _bump("B"), _absent("E")])
    # Then the same reader gets exactly its records (one per item written; an update that
    # creates an item is one INSERT), numbered after everything before
    records = reader.read()
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "D"),
        ("INSERT", "B"),
    ]
    numbers = [int(first["dynamodb"]["SequenceNumber"])] + [
        int(r["dynamodb"]["SequenceNumber"]) for r in records
    ]
    assert numbers == sorted(set(numbers))
    assert records[1]["dynamodb"]["NewImage"]["n"] == {"N": "2"}


def test_a_write_refused_half_way_through_a_transaction_is_undone(streamed):
    dynamodb, reader = streamed
    dynamodb.put_item(TableName=STREAMED, Item={**_key("B"), "n": {"S": "text"}})
    reader.read()
    # When the second write of a transaction fails on apply (ADD to a string), after the first
    bad_add = {
        "Update": {
            "TableName": STREAMED,
            "Key": _key("B"),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    with pytest.raises(dynamodb.exceptions.ClientError):
        dynamodb.transact_write_items(TransactItems=[_put("A"), bad_add])
    # Then the first write is undone and the stream holds neither
    assert set(_items(dynamodb)) == {"B"}
    assert _items(dynamodb)["B"]["n"] == {"S": "text"}
    assert reader.read() == []


def test_a_transaction_does_not_copy_the_tables_it_touches(streamed, monkeypatch):
    # moto 5.2.5 deep-copies each table per transaction: O(table) per booking locally.
    dynamodb, reader = streamed

    def refuse(self: Any, memo: Any) -> Any:
        raise AssertionError("a table was deep-copied")

    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)
    dynamodb.transact_write_items(TransactItems=[_put("A"), _put("B")])
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[_put("D"), _absent("A")])
    assert set(_items(dynamodb)) == {"A", "B"}
    assert len(reader.read()) == 2


def test_a_concurrent_reader_never_sees_a_rejected_transaction(streamed):
    dynamodb, reader = streamed
    dynamodb.put_item(TableName=STREAMED, Item=_key("C"))
    reader.read()
    seen: list[dict[str, Any]] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            seen.extend(reader.read())

    # Given a reader polling the stream all along
    thread = threading.Thread(target=read_until_done)
    thread.start()
    try:
        # When transactions keep being rejected (each writes A before C's check fails)
        for _ in range(40):
            with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
                dynamodb.transact_write_items(TransactItems=[_put("A"), _put("B"), _absent("C")])
        dynamodb.put_item(TableName=STREAMED, Item=_key("E"))
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        done.set()
        thread.join()
    # Then it saw the one real write only
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in seen] == ["E"]


def test_delivered_stream_records_are_trimmed_and_numbering_goes_on(streamed):
    dynamodb, reader = streamed
    for pk in ("A", "B", "C"):
        dynamodb.put_item(TableName=STREAMED, Item=_key(pk))
    delivered = reader.read()
    # When what was delivered is trimmed
    assert moto_dynamodb.trim_stream(STREAMED, delivered[-1]["dynamodb"]["SequenceNumber"]) == 3
    assert moto_dynamodb.stream_length(STREAMED) == 0
    # Then readers old and new carry on after it, numbers still rising
    latest = reader.at("LATEST")
    dynamodb.put_item(TableName=STREAMED, Item=_key("D"))
    [after] = reader.read()
    assert after["dynamodb"]["Keys"]["pk"] == {"S": "D"}
    assert int(after["dynamodb"]["SequenceNumber"]) > int(delivered[-1]["dynamodb"]["SequenceNumber"])
    assert reader.streams.get_records(ShardIterator=latest)["Records"] == [after]
    assert reader.streams.get_records(ShardIterator=reader.at("TRIM_HORIZON"))["Records"] == [after]


def test_shard_iterators_expire_instead_of_piling_up(streamed, monkeypatch):
    _, reader = streamed
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    held = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].shard_iterators
    now = [time.monotonic()]
    monkeypatch.setattr(moto_dynamodb, "_clock", lambda: now[0])
    # Given a consumer that has polled 50 times
    for _ in range(50):
        reader.read()
    old = reader.iterator
    assert len(held) > 50
    # When DynamoDB Streams' 15 minutes have passed and someone asks for a new iterator
    now[0] += 15 * 60 + 1
    fresh = reader.at("LATEST")
    # Then the backend holds that one only, and an expired one is refused
    assert len(held) == 1
    assert reader.streams.get_records(ShardIterator=fresh)["Records"] == []
    with pytest.raises(reader.streams.exceptions.ExpiredIteratorException):
        reader.streams.get_records(ShardIterator=old)


def test_the_stream_poller_trims_what_it_delivered(local_aws, monkeypatch):
    clients, resources = local_aws
    table = resources.tables["schedule"]
    seen: list[Change] = []
    monkeypatch.setitem(schedule_events.HANDLERS, "SESSION", seen.append)
    with moto_dynamodb.installed():
        poller = pollers.StreamPoller(
            clients["dynamodb"],
            clients["dynamodbstreams"],
            table,
            print,
            trim=lambda sequence: moto_dynamodb.trim_stream(table, sequence),
        )
        _put_entity(clients, table, "SESSION#3", "SESSION")
        _put_entity(clients, table, "PERSON#3", "PERSON")
        assert moto_dynamodb.stream_length(table) == 2
        poller.step()
        assert moto_dynamodb.stream_length(table) == 0
        _put_entity(clients, table, "SESSION#4", "SESSION")
        poller.step()
    assert [c.new["pk"] for c in seen] == ["SESSION#3", "SESSION#4"]


INDEXED = "tandem-test-indexed"


def _indexed_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=INDEXED,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _query_all(dynamodb: Any, **kwargs: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    paginator = dynamodb.get_paginator("query")
    for page in paginator.paginate(TableName=INDEXED, PaginationConfig={"PageSize": 3}, **kwargs):
        found += [(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]]
    return found


def test_queries_answer_as_before_while_writes_move_items_between_partitions_and_index_keys():
    # Given a table written at random: puts, updates that set or remove the index key,
    # deletes, and transactions (some rejected); a plain model of what it should hold
    rng = random.Random(16)
    model: dict[tuple[str, str], dict[str, str]] = {}
    with mock_aws(), moto_dynamodb.installed():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _indexed_table(dynamodb)
        for step in range(400):
            key = (f"P{rng.randrange(6)}", f"S{rng.randrange(8)}")
            attrs = {"pk": {"S": key[0]}, "sk": {"S": key[1]}}
            roll = rng.random()
            if roll < 0.35:
                item = (
                    {"gsi1pk": f"G{rng.randrange(3)}", "gsi1sk": f"{step:04d}"} if rng.random() < 0.8 else {}
                )
                dynamodb.put_item(TableName=INDEXED, Item={**attrs, **{k: {"S": v} for k, v in item.items()}})
                model[key] = item
            elif roll < 0.55:
                if rng.random() < 0.5:
                    group = f"G{rng.randrange(3)}"
                    dynamodb.update_item(
                        TableName=INDEXED,
                        Key=attrs,
                        UpdateExpression="SET gsi1pk = :g, gsi1sk = :s",
                        ExpressionAttributeValues={":g": {"S": group}, ":s": {"S": f"{step:04d}"}},
                    )
                    model[key] = {"gsi1pk": group, "gsi1sk": f"{step:04d}"}
                else:
                    dynamodb.update_item(TableName=INDEXED, Key=attrs, UpdateExpression="REMOVE gsi1pk")
                    model[key] = {k: v for k, v in model.get(key, {}).items() if k != "gsi1pk"}
            elif roll < 0.7:
                dynamodb.delete_item(TableName=INDEXED, Key=attrs)
                model.pop(key, None)
            else:
                other = (f"P{rng.randrange(6)}", f"T{step}")
                reject = rng.random() < 0.5
                check = {
                    "ConditionExpression": "attribute_exists(pk)"
                    if reject
                    else "attribute_exists(pk) OR attribute_not_exists(pk)"
                }
                items: list[Any] = [
                    {
                        "Put": {
                            "TableName": INDEXED,
                            "Item": {
                                "pk": {"S": other[0]},
                                "sk": {"S": other[1]},
                                "gsi1pk": {"S": "G0"},
                                "gsi1sk": {"S": f"{step:04d}"},
                            },
                        }
                    },
                    {"Delete": {"TableName": INDEXED, "Key": attrs, **check}},
                ]
                if reject and key not in model:
                    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
                        dynamodb.transact_write_items(TransactItems=items)
                else:
                    dynamodb.transact_write_items(TransactItems=items)
                    model[other] = {"gsi1pk": "G0", "gsi1sk": f"{step:04d}"}
                    model.pop(key, None)
            # Then every partition and every index key answers what the model holds, in order
            if step % 25 == 24:
                for pk in {k[0] for k in model} | {"P9"}:
                    expected = sorted(k for k in model if k[0] == pk)
                    assert (
                        _query_all(
                            dynamodb,
                            KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": pk}},
                        )
                        == expected
                    )
                for group in ("G0", "G1", "G2", "G9"):
                    expected = sorted(
                        (k for k, v in model.items() if v.get("gsi1pk") == group and "gsi1sk" in v),
                        key=lambda k: (model[k]["gsi1sk"], k),
                    )
                    assert (
                        _query_all(
                            dynamodb,
                            IndexName="gsi1",
                            KeyConditionExpression="gsi1pk = :g",
                            ExpressionAttributeValues={":g": {"S": group}},
                        )
                        == expected
                    )


def test_a_query_does_not_read_the_whole_table(monkeypatch):
    # moto 5.2.5 sorts and filters every item of the table for each Query
    reads: list[str] = []
    original = Table.all_items

    def all_items(self: Table) -> Any:
        reads.append(self.name)
        return original(self)

    monkeypatch.setattr(Table, "all_items", all_items)
    with mock_aws(), moto_dynamodb.installed():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _indexed_table(dynamodb)
        for n in range(50):
            dynamodb.put_item(
                TableName=INDEXED,
                Item={
                    "pk": {"S": f"P{n}"},
                    "sk": {"S": "S"},
                    "gsi1pk": {"S": f"G{n % 5}"},
                    "gsi1sk": {"S": "x"},
                },
            )
        for n in range(50):
            dynamodb.query(
                TableName=INDEXED,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": f"P{n}"}},
            )
            dynamodb.query(
                TableName=INDEXED,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :g",
                ExpressionAttributeValues={":g": {"S": f"G{n % 5}"}},
            )
    # Then the table was read whole once (to build the index map), not once per query
    assert reads == [INDEXED]


# --- what moto keeps (local.moto_state) -------------------------------------------------------


def _live_items() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Item))


def test_moto_keeps_no_copy_of_an_item_it_answered_with():
    # moto tracks every model instance it ever makes (each query answer's copies included)
    undo = moto_state.install()
    try:
        with mock_aws(), moto_dynamodb.installed():
            dynamodb = boto3.client("dynamodb", region_name="us-east-1")
            _indexed_table(dynamodb)
            for n in range(20):
                dynamodb.put_item(TableName=INDEXED, Item={"pk": {"S": "P"}, "sk": {"S": f"S{n}"}})
            stored = _live_items()
            # When the partition is read 50 times
            for _ in range(50):
                assert (
                    len(
                        dynamodb.query(
                            TableName=INDEXED,
                            KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": "P"}},
                        )["Items"]
                    )
                    == 20
                )
            # Then no copy outlives its answer, and moto tracks nothing
            assert _live_items() == stored
            assert moto_state.tracked() == 0
    finally:
        undo()


def test_sent_mail_and_texts_are_bounded_to_the_most_recent(local_aws, monkeypatch):
    clients, _ = local_aws
    monkeypatch.setattr(moto_state, "SENT_KEPT", 3)
    clients["ses"].verify_email_identity(EmailAddress=names.SENDER_EMAIL)
    for n in range(5):
        clients["ses"].send_email(
            Source=names.SENDER_EMAIL,
            Destination={"ToAddresses": ["someone@example.com"]},
            Message={"Subject": {"Data": f"s{n}"}, "Body": {"Text": {"Data": "b"}}},
        )
        clients["sns"].publish(PhoneNumber="+15125550199", Message=f"text {n}")
    # When the runtime's housekeeping runs
    moto_state.trim()
    # Then the three most recent of each are kept, and SES still counts all it sent
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert [m.subject for m in sent] == ["s2", "s3", "s4"]
    assert [t["text"] for t in runtime_sent_sms()] == ["text 2", "text 3", "text 4"]
    assert int(clients["ses"].get_send_quota()["SentLast24Hours"]) == 5


def test_the_stream_poller_delivers_a_backlog_in_one_step(local_aws, monkeypatch):
    clients, resources = local_aws
    table = resources.tables["schedule"]
    seen: list[Change] = []
    monkeypatch.setitem(schedule_events.HANDLERS, "SESSION", seen.append)
    poller = pollers.StreamPoller(clients["dynamodb"], clients["dynamodbstreams"], table, print)
    # Given more records than one batch holds
    count = pollers.READ_LIMIT + pollers.BATCH_SIZE + 10
    for n in range(count):
        _put_entity(clients, table, f"SESSION#{n}", "SESSION")
    # When the poller takes one step
    poller.step()
    # Then all of them were delivered, in order
    assert [c.new["pk"] for c in seen] == [f"SESSION#{n}" for n in range(count)]


def test_the_queue_poller_drains_a_backlog_in_one_step(local_aws):
    clients, resources = local_aws
    # Given more due emails than three batches hold, swept onto the send queue
    outbox = NotifyStore(resources.tables["notify"], clients["dynamodb"])
    ids = [f"msg_backlog{n:04d}" for n in range(35)]
    for message_id in ids:
        _put_due_email(outbox, message_id)
    pollers.run_sweep()
    # When the queue poller takes one step
    log: list[str] = []
    pollers.QueuePoller(clients["sqs"], resources.queue_url, log.append).step()
    # Then every one was sent and the queue is empty
    assert {outbox.get_message(message_id).status for message_id in ids} == {MessageStatus.SENT}
    assert int(clients["ses"].get_send_quota()["SentLast24Hours"]) == 35
    assert log == []
