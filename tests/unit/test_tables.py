"""The shared table definitions that CDK, the local runtime and tests all build from."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from functions.common import tables
from functions.common.tables import ALL_TABLES, TableDef


def _ids(table: TableDef) -> str:
    return table.key


def _used_key_attributes(kwargs: dict[str, Any]) -> set[str]:
    used = {k["AttributeName"] for k in kwargs["KeySchema"]}
    for gsi in kwargs.get("GlobalSecondaryIndexes", []):
        used |= {k["AttributeName"] for k in gsi["KeySchema"]}
    return used


@pytest.mark.parametrize("table", ALL_TABLES, ids=_ids)
def test_attribute_definitions_are_exactly_the_key_attributes(table):
    kwargs = table.create_table_kwargs("t")
    definitions = kwargs["AttributeDefinitions"]
    names = [d["AttributeName"] for d in definitions]
    assert len(names) == len(set(names)), "an attribute is declared twice"
    assert set(names) == _used_key_attributes(kwargs)
    assert all(d["AttributeType"] == "S" for d in definitions)


@pytest.mark.parametrize("table", ALL_TABLES, ids=_ids)
def test_create_table_kwargs_shape(table):
    kwargs = table.create_table_kwargs("physical-name")
    assert kwargs["TableName"] == "physical-name"
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"
    assert kwargs["KeySchema"][0] == {"AttributeName": table.partition_key, "KeyType": "HASH"}
    if table.sort_key:
        assert kwargs["KeySchema"][1] == {"AttributeName": table.sort_key, "KeyType": "RANGE"}
    else:
        assert len(kwargs["KeySchema"]) == 1
    assert [g["IndexName"] for g in kwargs.get("GlobalSecondaryIndexes", [])] == [
        i.name for i in table.indexes
    ]


@pytest.mark.parametrize("table", ALL_TABLES, ids=_ids)
def test_only_schedule_has_a_stream(table):
    kwargs = table.create_table_kwargs("t")
    if table is tables.SCHEDULE:
        assert kwargs["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    else:
        assert "StreamSpecification" not in kwargs
        assert table.stream is None


def test_schedule_has_the_participant_week_index():
    index = tables.SCHEDULE.index(tables.PARTICIPANT_WEEK_INDEX)
    assert index.partition_key == "pw_pk"
    assert index.sort_key == "pw_sk"
    gsis = {g["IndexName"]: g for g in tables.SCHEDULE.create_table_kwargs("t")["GlobalSecondaryIndexes"]}
    assert tables.PARTICIPANT_WEEK_INDEX in gsis
    assert gsis[tables.PARTICIPANT_WEEK_INDEX]["Projection"] == {"ProjectionType": "ALL"}


def test_index_lookup_of_unknown_name_raises_key_error():
    with pytest.raises(KeyError):
        tables.SCHEDULE.index("nope")


def test_projected_index_uses_include():
    table = TableDef(key="x", env_var="X", indexes=(tables.Index("i", "a", projected=("b", "c")),))
    gsi = table.create_table_kwargs("t")["GlobalSecondaryIndexes"][0]
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["b", "c"]}
    assert gsi["KeySchema"] == [{"AttributeName": "a", "KeyType": "HASH"}]


def test_idempotency_table_matches_powertools_defaults():
    defaults = inspect.signature(DynamoDBPersistenceLayer.__init__).parameters
    assert tables.IDEMPOTENCY.partition_key == "id" == defaults["key_attr"].default
    assert tables.IDEMPOTENCY.sort_key is None
    assert defaults["sort_key_attr"].default is None
    assert tables.IDEMPOTENCY.ttl_attribute == "expiration" == defaults["expiry_attr"].default
    kwargs = tables.IDEMPOTENCY.create_table_kwargs("t")
    assert kwargs["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert kwargs["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]


def test_audit_actor_index():
    index = tables.AUDIT.index(tables.ACTOR_INDEX)
    assert (index.partition_key, index.sort_key) == ("actor_pk", "sk")
    assert set(tables.AUDIT.key_attributes()) == {"pk", "sk", "actor_pk"}


def test_table_keys_and_env_vars_are_unique():
    keys = [t.key for t in ALL_TABLES]
    env_vars = [t.env_var for t in ALL_TABLES]
    assert len(keys) == len(set(keys))
    assert len(env_vars) == len(set(env_vars))
    assert all(v.isupper() and v.endswith("_TABLE") for v in env_vars)


def test_all_tables_lists_every_table_def_in_the_module():
    declared = {v for v in vars(tables).values() if isinstance(v, TableDef)}
    assert declared == set(ALL_TABLES)
