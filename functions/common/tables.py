"""The tables of Tandem, declared once.

CDK (infra/data.py), the local runtime (local/aws.py) and the tests all build their
tables from these definitions, so a key, index, stream or TTL attribute is never spelt
twice. Every key attribute is a string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StreamView = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]


@dataclass(frozen=True)
class Index:
    """A global secondary index (projection ALL unless `projected` names attributes)."""

    name: str
    partition_key: str
    sort_key: str | None = None
    projected: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableDef:
    key: str
    """Logical name: also the CDK construct id stem and the local table name stem."""
    env_var: str
    """Environment variable through which functions learn the physical table name."""
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    indexes: tuple[Index, ...] = ()
    stream: StreamView | None = None
    ttl_attribute: str | None = None
    description: str = ""
    extra_attributes: tuple[str, ...] = field(default=())

    def key_attributes(self) -> list[str]:
        names: list[str] = [self.partition_key]
        if self.sort_key:
            names.append(self.sort_key)
        for index in self.indexes:
            names.append(index.partition_key)
            if index.sort_key:
                names.append(index.sort_key)
        return list(dict.fromkeys(names))

    def index(self, name: str) -> Index:
        for index in self.indexes:
            if index.name == name:
                return index
        raise KeyError(name)

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """`CreateTable` parameters for boto3 (local runtime and tests)."""
        key_schema = [{"AttributeName": self.partition_key, "KeyType": "HASH"}]
        if self.sort_key:
            key_schema.append({"AttributeName": self.sort_key, "KeyType": "RANGE"})
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "KeySchema": key_schema,
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": "S"} for name in self.key_attributes()
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [_gsi_kwargs(index) for index in self.indexes]
        if self.stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream}
        return kwargs


def _gsi_kwargs(index: Index) -> dict[str, Any]:
    schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
    if index.sort_key:
        schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
    projection: dict[str, Any] = {"ProjectionType": "ALL"}
    if index.projected:
        projection = {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projected)}
    return {"IndexName": index.name, "KeySchema": schema, "Projection": projection}


GSI1 = "gsi1"
PARTICIPANT_WEEK_INDEX = "participant_week"
ACTOR_INDEX = "by_actor"

SCHEDULE = TableDef(
    key="schedule",
    env_var="SCHEDULE_TABLE",
    indexes=(
        Index(GSI1, "gsi1pk", "gsi1sk"),
        # participant + ISO week -> that week's sessions; the one index coverage may read.
        Index(PARTICIPANT_WEEK_INDEX, "pw_pk", "pw_sk"),
    ),
    stream="NEW_AND_OLD_IMAGES",
    ttl_attribute="expires_at",
    description="People, care teams, sessions, bookings and groups; its stream carries domain events.",
)

COVERAGE = TableDef(
    key="coverage",
    env_var="COVERAGE_TABLE",
    indexes=(Index(GSI1, "gsi1pk", "gsi1sk"),),
    description="Insurance plans, eligibility results, accumulators, authorizations, estimates.",
)

NOTIFY = TableDef(
    key="notify",
    env_var="NOTIFY_TABLE",
    indexes=(Index(GSI1, "gsi1pk", "gsi1sk"),),
    ttl_attribute="expires_at",
    description="Contact preferences, consent, the outbox of due messages and delivery records.",
)

IDEMPOTENCY = TableDef(
    key="idempotency",
    env_var="IDEMPOTENCY_TABLE",
    partition_key="id",
    sort_key=None,
    ttl_attribute="expiration",
    description="Powertools idempotency records (Idempotency-Key, SQS redelivery).",
)

AUDIT = TableDef(
    key="audit",
    env_var="AUDIT_TABLE",
    indexes=(Index(ACTOR_INDEX, "actor_pk", "sk"),),
    description="Append-only audit trail of every read or change of a participant's records.",
)

ALL_TABLES: tuple[TableDef, ...] = (SCHEDULE, COVERAGE, NOTIFY, IDEMPOTENCY, AUDIT)

DISCLOSURE_PARTITION = "RESOURCE#part2-access/person/"
"""The audit partitions listing who was shown a participant's Part 2 items (42 CFR 2.24), one
per participant (`RESOURCE#part2-access/person/<id>`): the only part of the audit table a
function may read back, and the catalog grants exactly that (`Query` on these partitions)."""
