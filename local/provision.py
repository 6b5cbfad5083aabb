"""Create the local AWS resources from the same definitions CDK uses. Idempotent: every
step looks before it creates, so it may run against a moto that already has them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.exceptions import ClientError

from functions.catalog import Entrypoint, event_entrypoints, topic_entrypoints
from functions.common.auth import PERSON_ID_CLAIM, Role
from functions.common.tables import ALL_TABLES
from local import settings as names

EVENT_BUS_NAME: Final = f"{names.PREFIX}-events"
"""The local program bus (in AWS `tandem-<stage>-events`)."""


@dataclass(frozen=True)
class EventQueue:
    """Where what invokes one asynchronously invoked entry point waits locally (the queue its rule
    on the bus, or its subscription to a topic, fills), and the queue holding what its invocations
    kept failing on (AWS: the rule's or subscription's and the function's DLQ)."""

    url: str
    dlq_url: str


@dataclass(frozen=True)
class Resources:
    tables: dict[str, str]
    """Table key -> physical name."""
    queue_url: str
    dlq_url: str
    user_pool_id: str
    user_pool_client_id: str
    event_bus_name: str = ""
    """The program bus; empty when provisioned without an EventBridge client."""
    event_queues: dict[str, EventQueue] = field(default_factory=dict)
    """`event` entry point id -> its queue (filled by its rule on the bus)."""
    inbound_sms_topic_arn: str = ""
    """The topic inbound texts are published to (AWS: by End User Messaging); empty when
    provisioned without an SNS client."""
    topic_queues: dict[str, EventQueue] = field(default_factory=dict)
    """`topic` entry point id -> its queue (subscribed to the inbound-SMS topic)."""


def create_tables(dynamodb: Any) -> dict[str, str]:
    existing = set(dynamodb.list_tables().get("TableNames", []))
    created: dict[str, str] = {}
    for table in ALL_TABLES:
        name = names.table_name(table)
        if name not in existing:
            dynamodb.create_table(**table.create_table_kwargs(name))
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
        created[table.key] = name
    return created


def create_queues(sqs: Any, *, visibility_seconds: int = 5, max_receive_count: int = 5) -> tuple[str, str]:
    """The send queue and its dead-letter queue (redrive after `max_receive_count` tries)."""
    dlq_url = sqs.create_queue(QueueName=names.DLQ_NAME)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=names.QUEUE_NAME,
        Attributes={
            "VisibilityTimeout": str(visibility_seconds),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
            ),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def event_queue_name(entry: Entrypoint) -> str:
    """`NotifyAlerts` -> `tandem-local-notify-alerts`: the local queue of an asynchronously
    invoked entry point."""
    return f"{names.PREFIX}-" + re.sub(r"(?<!^)(?=[A-Z])", "-", entry.id).lower()


def _queue_arn(sqs: Any, queue_url: str) -> str:
    arn: str = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return arn


def create_event_bus(events: Any, sqs: Any) -> tuple[str, dict[str, EventQueue]]:
    """The program bus and, per `event` entry point, a rule with the catalog's pattern copying
    matching events into that entry's queue (moto delivers EventBridge -> SQS; the event poller
    invokes the function with each)."""
    buses = events.list_event_buses(NamePrefix=EVENT_BUS_NAME).get("EventBuses", [])
    if not any(bus["Name"] == EVENT_BUS_NAME for bus in buses):
        events.create_event_bus(Name=EVENT_BUS_NAME)
    queues: dict[str, EventQueue] = {}
    for entry in event_entrypoints():
        name = event_queue_name(entry)
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        # put_rule and put_targets replace what is there: provisioning twice changes nothing.
        events.put_rule(
            Name=name,
            EventBusName=EVENT_BUS_NAME,
            EventPattern=json.dumps(entry.event_pattern),
            State="ENABLED",
            Description=f"Tandem local {entry.id}: {entry.description}"[:512],
        )
        target = {"Id": entry.id, "Arn": _queue_arn(sqs, queue_url)}
        events.put_targets(Rule=name, EventBusName=EVENT_BUS_NAME, Targets=[target])
        queues[entry.id] = EventQueue(queue_url, dlq_url)
    return EVENT_BUS_NAME, queues


def create_inbound_sms_topic(sns: Any, sqs: Any) -> tuple[str, dict[str, EventQueue]]:
    """The inbound-SMS topic and, per `topic` entry point, a queue subscribed to it (moto's SNS
    delivers each published message to it in SNS's JSON envelope; the topic poller invokes the
    function with each, as Lambda's subscription would)."""
    topic_arn: str = sns.create_topic(Name=names.INBOUND_SMS_TOPIC_NAME)["TopicArn"]  # idempotent
    queues: dict[str, EventQueue] = {}
    for entry in topic_entrypoints():
        name = event_queue_name(entry)
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        # SNS never subscribes the same endpoint twice: provisioning again changes nothing.
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=_queue_arn(sqs, queue_url))
        queues[entry.id] = EventQueue(queue_url, dlq_url)
    return topic_arn, queues


def verify_sender(ses: Any) -> None:
    ses.verify_email_identity(EmailAddress=names.SENDER_EMAIL)


def create_user_pool(cognito: Any) -> tuple[str, str]:
    """A pool shaped like the CDK one: email sign-in, custom person_id, the three groups."""
    pool_id = next(
        (
            pool["Id"]
            for pool in cognito.list_user_pools(MaxResults=60).get("UserPools", [])
            if pool["Name"] == names.USER_POOL_NAME
        ),
        None,
    )
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName=names.USER_POOL_NAME,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            MfaConfiguration="OPTIONAL",
            Policies={
                "PasswordPolicy": {
                    "MinimumLength": 12,
                    "RequireUppercase": True,
                    "RequireLowercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                }
            },
            Schema=[
                {
                    "Name": PERSON_ID_CLAIM.removeprefix("custom:"),
                    "AttributeDataType": "String",
                    "Mutable": False,
                }
            ],
        )["UserPool"]["Id"]
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id).get("Groups", [])}
    for role in Role:
        if role.value not in groups:
            cognito.create_group(UserPoolId=pool_id, GroupName=role.value)
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60).get("UserPoolClients", [])
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == names.USER_POOL_CLIENT_NAME), None)
    if client_id is None:
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=names.USER_POOL_CLIENT_NAME,
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            PreventUserExistenceErrors="ENABLED",
        )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def ensure_user(cognito: Any, pool_id: str, *, email: str, password: str, role: Role, person_id: str) -> None:
    try:
        cognito.admin_get_user(UserPoolId=pool_id, Username=email)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UserNotFoundException":
            raise
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": PERSON_ID_CLAIM, "Value": person_id},
            ],
            MessageAction="SUPPRESS",
        )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=role.value)


def provision(clients: dict[str, Any]) -> Resources:
    """Everything the functions use; the program bus only when `clients` has an `events` client,
    the inbound-SMS topic only when it has an `sns` client."""
    tables = create_tables(clients["dynamodb"])
    queue_url, dlq_url = create_queues(clients["sqs"])
    verify_sender(clients["ses"])
    pool_id, client_id = create_user_pool(clients["cognito-idp"])
    bus_name = ""
    event_queues: dict[str, EventQueue] = {}
    if "events" in clients:
        bus_name, event_queues = create_event_bus(clients["events"], clients["sqs"])
    topic_arn = ""
    topic_queues: dict[str, EventQueue] = {}
    if "sns" in clients:
        topic_arn, topic_queues = create_inbound_sms_topic(clients["sns"], clients["sqs"])
    return Resources(
        tables, queue_url, dlq_url, pool_id, client_id, bus_name, event_queues, topic_arn, topic_queues
    )
