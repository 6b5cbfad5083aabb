"""Least-privilege IAM statements written from the catalog's table grants (no CDK `grant*` helpers)."""

from __future__ import annotations

import re
from typing import Any, Final

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

from functions.catalog import Access, TableGrant

READ_ITEM_ACTIONS: Final = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
WRITE_ITEM_ACTIONS: Final = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
APPEND_ACTIONS: Final = ("dynamodb:PutItem",)
INDEX_ACTIONS: Final = ("dynamodb:Query",)
STREAM_READ_ACTIONS: Final = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)


def table_actions(access: Access) -> tuple[str, ...]:
    """The item-level actions an access level allows on a base table (never Scan)."""
    if access == "read":
        return READ_ITEM_ACTIONS
    if access == "write":
        return WRITE_ITEM_ACTIONS
    if access == "append":
        return APPEND_ACTIONS
    return tuple(dict.fromkeys(READ_ITEM_ACTIONS + WRITE_ITEM_ACTIONS))


def index_arn(table: dynamodb.ITable, index: str) -> str:
    """The ARN of one global secondary index."""
    return f"{table.table_arn}/index/{index}"


def grant_statements(grant: TableGrant, table: dynamodb.ITable) -> list[iam.PolicyStatement]:
    """Statements for one grant: item actions on the table, Query on its named indexes.

    An index-only grant yields a single `dynamodb:Query` on that index and nothing on the
    base table. A partition grant yields `GetItem` (or, with `query`, `Query`) on the base
    table's items whose partition key starts with the prefix (`dynamodb:LeadingKeys`).
    Append yields `PutItem` alone: the audit trail can be added to, never changed or deleted
    by a function (and read back only through a partition grant: disclosure lists). Every
    index is named; no `index/*` wildcard.
    """
    name = grant.table.key
    if grant.partition is not None:
        conditions: dict[str, Any] = {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{grant.partition}*"]}
        }
        if grant.attributes is not None:  # only these attributes, asked for by name
            conditions["ForAllValues:StringEquals"] = {"dynamodb:Attributes": list(grant.attributes)}
            conditions["StringEqualsIfExists"] = {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
        return [
            iam.PolicyStatement(
                sid=f"{sid(name)}{sid(re.sub('[^a-z0-9]+', '_', grant.partition.lower()))}"
                + ("ItemsQuery" if grant.query else "ItemsRead"),
                actions=["dynamodb:Query" if grant.query else "dynamodb:GetItem"],
                resources=[table.table_arn],
                conditions=conditions,
            )
        ]
    if grant.index is not None:
        grant.table.index(grant.index)  # KeyError for an index the table does not define
        return [
            iam.PolicyStatement(
                sid=f"{sid(name)}{sid(grant.index)}IndexQuery",
                actions=list(INDEX_ACTIONS),
                resources=[index_arn(table, grant.index)],
            )
        ]
    statements = [
        iam.PolicyStatement(
            sid=f"{sid(name)}Table{sid(grant.access)}",
            actions=list(table_actions(grant.access)),
            resources=[table.table_arn],
        )
    ]
    if grant.access in ("read", "readwrite") and grant.table.indexes:
        statements.append(
            iam.PolicyStatement(
                sid=f"{sid(name)}IndexesQuery",
                actions=list(INDEX_ACTIONS),
                resources=[index_arn(table, index.name) for index in grant.table.indexes],
            )
        )
    return statements


def sid(text: str) -> str:
    """A statement id part from a name: ``notify_send`` -> ``NotifySend``."""
    return "".join(part.capitalize() for part in text.replace("-", "_").split("_"))
