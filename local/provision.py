"""Create the local AWS resources from the same definitions CDK uses. Idempotent: every
step looks before it creates, so it may run against a moto that already has them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from functions.common.auth import PERSON_ID_CLAIM, Role
from functions.common.tables import ALL_TABLES
from local import settings as names


@dataclass(frozen=True)
class Resources:
    tables: dict[str, str]
    """Table key -> physical name."""
    queue_url: str
    dlq_url: str
    user_pool_id: str
    user_pool_client_id: str


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
    tables = create_tables(clients["dynamodb"])
    queue_url, dlq_url = create_queues(clients["sqs"])
    verify_sender(clients["ses"])
    pool_id, client_id = create_user_pool(clients["cognito-idp"])
    return Resources(tables, queue_url, dlq_url, pool_id, client_id)
