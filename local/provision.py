"""Create the local AWS resources from the same definitions CDK uses. Idempotent: every
step looks before it creates, so it may run against a moto that already has them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.exceptions import ClientError

from functions.catalog import Entrypoint, event_entrypoints, subscription_entrypoints, topic_entrypoints
from functions.common.auth import PERSON_ID_CLAIM, Role
from functions.common.tables import ALL_TABLES
from local import settings as names

EVENT_BUS_NAME: Final = f"{names.PREFIX}-events"
"""The local program bus (in AWS `tandem-<stage>-events`)."""
STAFF_USER_POOL_NAME: Final = f"{names.PREFIX}-staff"
"""Clinicians and coordinators sign in here (TOTP required); participants in `names.USER_POOL_NAME`."""
STAFF_ROLES: Final = frozenset({Role.CLINICIAN, Role.COORDINATOR})
SCHEDULE_EVENTS_TOPIC_NAME: Final = f"{names.PREFIX}-schedule-events.fifo"
"""Schedule's published events (in AWS `tandem-<stage>-schedule-events.fifo`)."""
SUBSCRIPTION_VISIBILITY_SECONDS: Final = 2
"""How soon an event a subscriber failed is delivered again locally (AWS: six times its timeout)."""
SUBSCRIPTION_MAX_RECEIVES: Final = 5
"""Deliveries of one event before it goes to the subscriber's dead-letter queue (as in AWS)."""
EMAIL_CONFIGURATION_SET: Final = f"{names.PREFIX}-email"
"""The SES configuration set emails go through (in AWS `tandem-<stage>-email`, requiring TLS)."""


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
    """The participant pool (TOTP optional)."""
    user_pool_client_id: str
    staff_user_pool_id: str = ""
    """The staff pool (clinicians and coordinators; TOTP required); empty when not provisioned."""
    staff_user_pool_client_id: str = ""
    email_configuration_set: str = ""
    event_bus_name: str = ""
    """The program bus; empty when provisioned without an EventBridge client."""
    event_queues: dict[str, EventQueue] = field(default_factory=dict)
    """`event` entry point id -> its queue (filled by its rule on the bus)."""
    inbound_sms_topic_arn: str = ""
    """The topic inbound texts are published to (AWS: by End User Messaging); empty when
    provisioned without an SNS client."""
    topic_queues: dict[str, EventQueue] = field(default_factory=dict)
    """`topic` entry point id -> its queue (subscribed to the inbound-SMS topic)."""
    schedule_events_topic_arn: str = ""
    """Schedule's published events (FIFO); empty when provisioned without an SNS client."""
    subscription_queues: dict[str, EventQueue] = field(default_factory=dict)
    """`subscription` entry point id -> its FIFO queue on the schedule-events topic."""

    def pool_of(self, role: Role) -> tuple[str, str]:
        """The user pool and app client a person with `role` signs in with."""
        if role in STAFF_ROLES:
            return self.staff_user_pool_id, self.staff_user_pool_client_id
        return self.user_pool_id, self.user_pool_client_id


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


def create_schedule_events_topic(sns: Any, sqs: Any) -> tuple[str, dict[str, EventQueue]]:
    """The schedule-events topic (FIFO) and, per `subscription` entry point, its FIFO queue with
    a FIFO dead-letter queue, subscribed with raw delivery and a filter on the event types it
    subscribes to, as CDK builds them (`infra/messaging.py`)."""
    topic_arn: str = sns.create_topic(
        Name=SCHEDULE_EVENTS_TOPIC_NAME,
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "false"},
    )["TopicArn"]
    queues: dict[str, EventQueue] = {}
    for entry in subscription_entrypoints():
        name = event_queue_name(entry)
        fifo = {"FifoQueue": "true"}
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq.fifo", Attributes=fifo)["QueueUrl"]
        redrive = {
            "deadLetterTargetArn": _queue_arn(sqs, dlq_url),
            "maxReceiveCount": SUBSCRIPTION_MAX_RECEIVES,
        }
        queue_url = sqs.create_queue(
            QueueName=f"{name}.fifo",
            Attributes={
                **fifo,
                "VisibilityTimeout": str(SUBSCRIPTION_VISIBILITY_SECONDS),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        endpoint = _queue_arn(sqs, queue_url)
        subscribed = sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])
        if not any(s["Endpoint"] == endpoint for s in subscribed):
            sns.subscribe(
                TopicArn=topic_arn,
                Protocol="sqs",
                Endpoint=endpoint,
                Attributes={
                    "RawMessageDelivery": "true",
                    "FilterPolicy": json.dumps({"type": list(entry.subscribes)}),
                },
            )
        queues[entry.id] = EventQueue(queue_url, dlq_url)
    return topic_arn, queues


def verify_sender(ses: Any) -> str:
    """The sender identity and the configuration set emails go through; returns the set's name."""
    ses.verify_email_identity(EmailAddress=names.SENDER_EMAIL)
    existing = {c["Name"] for c in ses.list_configuration_sets().get("ConfigurationSets", [])}
    if EMAIL_CONFIGURATION_SET not in existing:
        ses.create_configuration_set(ConfigurationSet={"Name": EMAIL_CONFIGURATION_SET})
    return EMAIL_CONFIGURATION_SET


def create_user_pool(cognito: Any, *, staff: bool = False) -> tuple[str, str]:
    """A pool shaped like the CDK ones: email sign-in, custom person_id, TOTP as the only second
    factor (required for staff, optional for participants) and the pool's role groups."""
    name = STAFF_USER_POOL_NAME if staff else names.USER_POOL_NAME
    pool_id = next(
        (
            pool["Id"]
            for pool in cognito.list_user_pools(MaxResults=60).get("UserPools", [])
            if pool["Name"] == name
        ),
        None,
    )
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName=name,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
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
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="ON" if staff else "OPTIONAL",
        )
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id).get("Groups", [])}
    for role in Role:
        if (role in STAFF_ROLES) == staff and role.value not in groups:
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
            # As in AWS (infra.api.TOKEN_MINUTES); moto issues 60-minute tokens whatever it is told.
            IdTokenValidity=15,
            AccessTokenValidity=15,
            TokenValidityUnits={"IdToken": "minutes", "AccessToken": "minutes"},
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
    configuration_set = verify_sender(clients["ses"])
    pool_id, client_id = create_user_pool(clients["cognito-idp"])
    staff_pool_id, staff_client_id = create_user_pool(clients["cognito-idp"], staff=True)
    bus_name = ""
    event_queues: dict[str, EventQueue] = {}
    if "events" in clients:
        bus_name, event_queues = create_event_bus(clients["events"], clients["sqs"])
    topic_arn = ""
    topic_queues: dict[str, EventQueue] = {}
    events_topic_arn = ""
    subscription_queues: dict[str, EventQueue] = {}
    if "sns" in clients:
        topic_arn, topic_queues = create_inbound_sms_topic(clients["sns"], clients["sqs"])
        events_topic_arn, subscription_queues = create_schedule_events_topic(clients["sns"], clients["sqs"])
    return Resources(
        tables=tables,
        queue_url=queue_url,
        dlq_url=dlq_url,
        user_pool_id=pool_id,
        user_pool_client_id=client_id,
        staff_user_pool_id=staff_pool_id,
        staff_user_pool_client_id=staff_client_id,
        email_configuration_set=configuration_set,
        event_bus_name=bus_name,
        event_queues=event_queues,
        inbound_sms_topic_arn=topic_arn,
        topic_queues=topic_queues,
        schedule_events_topic_arn=events_topic_arn,
        subscription_queues=subscription_queues,
    )
