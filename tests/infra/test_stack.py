"""Assertions on the synthesized TandemStack template (one synth for the module, one more for the
clearinghouse settings given in context)."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from functions.catalog import (
    CLEARINGHOUSE_ENV,
    COORDINATOR_ALERT_IDS_ENV,
    DLQ_URL_ENV,
    ENTRYPOINTS,
    EVENT_BUS_ENV,
    EVERY_MINUTE,
    PART2_COORDINATORS_ENV,
    PART2_EXTRA_TYPES_ENV,
    PROBE_ACTIONS,
    PUBLISHED_ENTITIES,
    QUEUE_URL_ENV,
    SCHEDULE_EVENTS_TOPIC_ENV,
    SENDER_EMAIL_ENV,
    Entrypoint,
    dependencies,
    resource_env_vars,
)
from functions.common import tables
from infra import app_factory
from infra.api import GROUPS, PROBLEM_JSON, STAFF_GROUPS, routes
from infra.config import DEFAULTS, Settings
from infra.functions import MEMORY_MB, stage_code
from infra.messaging import MAX_RECEIVE_COUNT, event_bus_name
from tests.infra.conftest import Synth

pytestmark = pytest.mark.xdist_group("infra-template")

Resources = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def template(bare: Synth) -> Template:
    return bare.template


@pytest.fixture(scope="module")
def resources(template: Template) -> Resources:
    found: Resources = template.to_json()["Resources"]
    return found


CONFIGURED_SECRET = "arn:aws:secretsmanager:us-east-2:111122223333:secret:vendor/clearinghouse-AbC123"


@pytest.fixture(scope="module")
def configured(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Resources:
    """The stack of a non-prod stage whose clearinghouse secret and URL are given in context."""
    outdir = str(tmp_path_factory.mktemp("cdk-configured"))
    context = {
        "stage": "staging",
        "clearinghouse_secret_arn": CONFIGURED_SECRET,
        "clearinghouse_url": "https://x12.vendor.example.com/270",
        "coordinator_alert_ids": " per_coordA1, per_coordB2 ",
        "part2_extra_types": "medication_management",
        "part2_coordinators": "per_coordB2",
    }
    _, stack = app_factory.build_app(openapi=document, outdir=outdir, context=context, with_nag=False)
    found: Resources = Template.from_stack(stack).to_json()["Resources"]
    return found


def entry_of(entry_id: str) -> Entrypoint:
    return next(e for e in ENTRYPOINTS if e.id == entry_id)


def of_type(resources: Resources, kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in resources.items() if body["Type"] == kind}


def props(body: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = body.get("Properties", {})
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def key_id(resources: Resources) -> str:
    (name,) = of_type(resources, "AWS::KMS::Key")
    return name


def table_ids(resources: Resources) -> dict[str, str]:
    """Logical id of each table by `TableDef.key` (from the `tandem:table` tag)."""
    found: dict[str, str] = {}
    for name, body in of_type(resources, "AWS::DynamoDB::Table").items():
        tags = {tag["Key"]: tag["Value"] for tag in props(body).get("Tags", [])}
        found[tags["tandem:table"]] = name
    return found


def function_id(resources: Resources, entry: Entrypoint) -> str:
    for name, body in of_type(resources, "AWS::Lambda::Function").items():
        if props(body).get("Handler") == entry.handler:
            return name
    raise AssertionError(f"no function for {entry.id}")


READINESS_PROBES = "ReadinessProbe"
"""Sid prefix of the readiness check's metadata-only probe statements."""


def role_statements(resources: Resources, function: str, *, probes: bool = False) -> list[dict[str, Any]]:
    """Every statement reaching a function's role (attached managed, inline and role policies).

    The readiness check's metadata-only probes (DescribeTable, GetQueueAttributes, ...: Sid
    `ReadinessProbe*`, pinned by `test_readiness_probes_are_metadata_only_on_each_dependency`)
    are left out unless `probes`: the other tests are about who reaches which data."""
    role = props(resources[function])["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in props(resources[role]).get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    for arn in props(resources[role]).get("ManagedPolicyArns", []):
        assert isinstance(arn, dict), f"{function} role uses an AWS managed policy {arn}"
        assert "Ref" in arn, f"{function} role uses an AWS managed policy {arn}"
        statements += props(resources[arn["Ref"]])["PolicyDocument"]["Statement"]
    for body in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} in props(body).get("Roles", []):
            statements += props(body)["PolicyDocument"]["Statement"]
    return [s for s in statements if probes or not str(s.get("Sid", "")).startswith(READINESS_PROBES)]


def all_iam_statements(resources: Resources) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, body in resources.items():
        if body["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in props(body)["PolicyDocument"]["Statement"]:
                yield name, statement
        if body["Type"] == "AWS::IAM::Role":
            for policy in props(body).get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield name, statement


WEB_DEPLOYMENT_HANDLER = "CustomCDKBucketDeployment"
"""Logical id prefix of the one function that is not a catalog entry point: CDK's BucketDeployment
handler, which copies the web app to its bucket."""


def rendered(value: Any) -> str:
    """A CloudFormation string value as text: `Fn::Join` joined, `Ref` as `${Name}`, `Fn::GetAtt`
    as `${Name.Attribute}`."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(rendered(part) for part in parts)
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"not a string value: {value}")


def mentions(value: Any, logical_id: str) -> bool:
    return logical_id in json.dumps(value)


def api_paths(resources: Resources) -> dict[str, str]:
    """Full path of each API Gateway resource logical id."""
    parts = {name: props(body) for name, body in of_type(resources, "AWS::ApiGateway::Resource").items()}

    def path(name: str) -> str:
        parent = parts[name]["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{parts[name]['PathPart']}"

    return {name: path(name) for name in parts}


def api_methods(resources: Resources) -> dict[tuple[str, str], dict[str, Any]]:
    paths = api_paths(resources)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for body in of_type(resources, "AWS::ApiGateway::Method").values():
        if props(body)["HttpMethod"] == "OPTIONS" and props(body)["Integration"]["Type"] == "MOCK":
            continue  # a CORS preflight (tests/infra/test_hardening.py), not an operation
        resource = props(body)["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        found[(props(body)["HttpMethod"], path)] = props(body)
    return found


# --- data -------------------------------------------------------------------------------


def test_one_table_per_definition(resources: Resources) -> None:
    assert set(table_ids(resources)) == {definition.key for definition in tables.ALL_TABLES}


def test_tables_encrypted_with_the_cmk_recoverable_and_retained(resources: Resources) -> None:
    key = key_id(resources)
    for name, body in of_type(resources, "AWS::DynamoDB::Table").items():
        sse = props(body)["SSESpecification"]
        assert sse["SSEEnabled"] is True, name
        assert sse["SSEType"] == "KMS", name
        assert sse["KMSMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}, name
        assert props(body)["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props(body)["DeletionProtectionEnabled"] is True, name
        assert props(body)["BillingMode"] == "PAY_PER_REQUEST", name
        assert body["DeletionPolicy"] == "Retain", name
        assert body["UpdateReplacePolicy"] == "Retain", name


def test_tables_follow_their_definitions(resources: Resources) -> None:
    ids = table_ids(resources)
    for definition in tables.ALL_TABLES:
        table = props(resources[ids[definition.key]])
        expected_keys = [{"AttributeName": definition.partition_key, "KeyType": "HASH"}]
        if definition.sort_key:
            expected_keys.append({"AttributeName": definition.sort_key, "KeyType": "RANGE"})
        assert table["KeySchema"] == expected_keys
        indexes = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {index.name for index in definition.indexes}
        for index in definition.indexes:
            assert indexes[index.name]["KeySchema"][0]["AttributeName"] == index.partition_key
        ttl = table.get("TimeToLiveSpecification")
        if definition.ttl_attribute:
            assert ttl == {"AttributeName": definition.ttl_attribute, "Enabled": True}
        else:
            assert ttl is None
        stream = table.get("StreamSpecification")
        assert (stream or {}).get("StreamViewType") == definition.stream


def test_only_the_schedule_table_has_a_stream(resources: Resources) -> None:
    streamed = {
        key for key, name in table_ids(resources).items() if "StreamSpecification" in props(resources[name])
    }
    assert streamed == {tables.SCHEDULE.key}


def test_key_rotates_and_is_retained(resources: Resources) -> None:
    key = resources[key_id(resources)]
    assert props(key)["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_every_table_is_in_the_backup_plan(resources: Resources) -> None:
    (selection,) = of_type(resources, "AWS::Backup::BackupSelection").values()
    chosen = json.dumps(props(selection)["BackupSelection"]["Resources"])
    for name in table_ids(resources).values():
        assert name in chosen


# --- functions ----------------------------------------------------------------------------


def test_one_function_per_entrypoint(resources: Resources) -> None:
    handlers = sorted(
        props(body)["Handler"]
        for name, body in of_type(resources, "AWS::Lambda::Function").items()
        if not name.startswith(WEB_DEPLOYMENT_HANDLER)  # CDK's, for the web app (test_web.py)
    )
    assert handlers == sorted(entry.handler for entry in ENTRYPOINTS)


def test_functions_runtime_architecture_tracing_concurrency(resources: Resources) -> None:
    key = key_id(resources)
    for entry in ENTRYPOINTS:
        function = props(resources[function_id(resources, entry)])
        assert function["Runtime"] == "python3.13"
        assert function["Architectures"] == ["arm64"]
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert isinstance(function["ReservedConcurrentExecutions"], int)
        assert function["ReservedConcurrentExecutions"] > 0
        assert function["MemorySize"] == MEMORY_MB
        assert function["Timeout"] == entry.timeout
        assert function["KmsKeyArn"] == {"Fn::GetAtt": [key, "Arn"]}
        assert "AWSLambdaPowertoolsPythonV3-python313-arm64" in json.dumps(function["Layers"])
        assert "Ref" in function["LoggingConfig"]["LogGroup"]


def test_function_environment_names_exactly_the_granted_tables(resources: Resources) -> None:
    ids = table_ids(resources)
    env_vars = {definition.env_var for definition in tables.ALL_TABLES}
    for entry in ENTRYPOINTS:
        env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == entry.domain
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Tandem"
        assert env["LOG_LEVEL"] == "INFO"
        granted = {grant.table.env_var: grant.table.key for grant in entry.grants}
        if entry.checks_readiness:  # it probes every table (DescribeTable only)
            granted = {definition.env_var: definition.key for definition in tables.ALL_TABLES}
        assert {name for name in env if name in env_vars} == set(granted)
        for name, key in granted.items():
            assert env[name] == {"Ref": ids[key]}
        assert (QUEUE_URL_ENV in env) == (
            entry.sends_to_queue or entry.trigger == "queue" or entry.checks_readiness
        )
        assert (SENDER_EMAIL_ENV in env) == entry.sends_email
        assert resource_env_vars(entry) <= set(env)  # what the entry's SETTINGS may ask for


def test_function_log_groups_encrypted_and_expiring(resources: Resources) -> None:
    key = key_id(resources)
    groups = of_type(resources, "AWS::Logs::LogGroup")
    assert groups
    for name, body in groups.items():
        assert props(body)["KmsKeyId"] == {"Fn::GetAtt": [key, "Arn"]}, name
        assert props(body)["RetentionInDays"] >= 365, name


def test_code_asset_holds_only_the_domain_common_and_the_contracts() -> None:
    root = stage_code("coverage")
    files = {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}
    assert "functions/__init__.py" in files
    assert "functions/catalog.py" in files
    assert any(name.startswith("functions/common/") for name in files)
    assert any(name.startswith("functions/coverage/") for name in files)
    assert "functions/contracts/schedule.py" in files  # the published events coverage subscribes to
    for name in files:
        assert name.startswith(
            ("functions/common/", "functions/contracts/", "functions/coverage/")
        ) or name in {
            "functions/__init__.py",
            "functions/catalog.py",
        }, name
        assert "__pycache__" not in name, name
        assert not name.endswith(".pyc"), name


# --- IAM ---------------------------------------------------------------------------------


def test_no_wildcard_actions_anywhere(resources: Resources) -> None:
    for name, statement in all_iam_statements(resources):
        assert "NotAction" not in statement, name
        for action in as_list(statement.get("Action", [])):
            assert action != "*", f"{name}: {action}"
            assert not action.endswith(":*"), f"{name}: {action}"
            assert action != "dynamodb:Scan", f"{name} may Scan"


def test_functions_have_no_inline_or_aws_managed_policies(resources: Resources) -> None:
    for entry in ENTRYPOINTS:
        role = props(resources[function_id(resources, entry)])["Role"]["Fn::GetAtt"][0]
        assert "Policies" not in props(resources[role])
        for body in of_type(resources, "AWS::IAM::Policy").values():
            assert {"Ref": role} not in props(body).get("Roles", [])


def test_no_function_outside_schedule_reaches_the_schedule_table(resources: Resources) -> None:
    """Coverage and notify keep their own copies of what schedule publishes: no IAM statement of
    theirs names schedule's table, its indexes or its stream."""
    schedule = table_ids(resources)[tables.SCHEDULE.key]
    for entry in ENTRYPOINTS:
        if entry.domain == "schedule":
            continue
        statements = role_statements(resources, function_id(resources, entry))
        assert [s for s in statements if mentions(s.get("Resource"), schedule)] == [], entry.id


def test_audit_grant_is_put_item_only(resources: Resources) -> None:
    """Append-only: PutItem, never Update/Delete/BatchWrite; schedule's API alone may also Query,
    and only participants' Part 2 disclosure lists (`dynamodb:LeadingKeys`)."""
    audit = table_ids(resources)[tables.AUDIT.key]
    granted = [e for e in ENTRYPOINTS if any(g.table is tables.AUDIT for g in e.grants)]
    assert granted
    for entry in granted:
        touching = [
            s
            for s in role_statements(resources, function_id(resources, entry))
            if mentions(s.get("Resource"), audit)
        ]
        if entry.id == "ScheduleApi":
            append, lists = touching
            assert as_list(lists["Action"]) == ["dynamodb:Query"]
            assert as_list(lists["Resource"]) == [{"Fn::GetAtt": [audit, "Arn"]}]  # no index
            assert lists["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{tables.DISCLOSURE_PARTITION}*"]}
            }
            touching = [append]
        assert [as_list(s["Action"]) for s in touching] == [["dynamodb:PutItem"]], entry.id


def test_functions_without_a_grant_cannot_reach_a_table(resources: Resources) -> None:
    ids = table_ids(resources)
    for entry in ENTRYPOINTS:
        granted = {grant.table.key for grant in entry.grants}
        if entry.trigger == "stream":
            granted.add(tables.SCHEDULE.key)  # its stream, checked below
        statements = role_statements(resources, function_id(resources, entry))
        for key, logical_id in ids.items():
            if key not in granted:
                assert not any(mentions(s.get("Resource"), logical_id) for s in statements), (entry.id, key)


def test_stream_consumers_read_the_stream_not_the_schedule_table(resources: Resources) -> None:
    # The other domains' consumers only; schedule's own consumer owns the table.
    schedule = table_ids(resources)[tables.SCHEDULE.key]
    for entry in (e for e in ENTRYPOINTS if e.trigger == "stream" and e.domain != "schedule"):
        statements = role_statements(resources, function_id(resources, entry))
        touching = [s for s in statements if mentions(s.get("Resource"), schedule)]
        actions = {action for s in touching for action in as_list(s["Action"])}
        assert actions == {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        }, entry.id


# --- triggers and messaging ----------------------------------------------------------------


def test_stream_mappings_filter_bisect_and_dead_letter(resources: Resources) -> None:
    mappings = {
        props(body)["FunctionName"]["Ref"]: props(body)
        for body in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    }
    for entry in (e for e in ENTRYPOINTS if e.trigger == "stream"):
        mapping = mappings[function_id(resources, entry)]
        patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
        assert patterns == list(entry.stream_filters)
        assert mapping["StartingPosition"] == "LATEST"
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "OnFailure" in mapping["DestinationConfig"]
    for entry in (e for e in ENTRYPOINTS if e.trigger == "queue"):
        mapping = mappings[function_id(resources, entry)]
        assert mapping["BatchSize"] == 10
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_queues_encrypted_with_the_cmk_and_tls_only(resources: Resources) -> None:
    key = key_id(resources)
    queues = of_type(resources, "AWS::SQS::Queue")
    for name, body in queues.items():
        assert props(body)["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}, name
    policies = json.dumps(of_type(resources, "AWS::SQS::QueuePolicy"))
    for name in queues:
        assert name in policies
    for body in of_type(resources, "AWS::SQS::QueuePolicy").values():
        assert "aws:SecureTransport" in json.dumps(props(body))


def test_send_queue_redrives_to_its_dlq(resources: Resources) -> None:
    sender = next(e for e in ENTRYPOINTS if e.trigger == "queue")
    queues = of_type(resources, "AWS::SQS::Queue")
    (queue_name,) = [name for name in queues if name.startswith("MessagingNotifySendQueue")]
    queue = props(queues[queue_name])
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVE_COUNT
    assert queue["VisibilityTimeout"] > sender.timeout
    dlq = props(queues[queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]])
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_topics_encrypted(resources: Resources) -> None:
    key = key_id(resources)
    topics = of_type(resources, "AWS::SNS::Topic")
    assert len(topics) == 3  # inbound SMS, alarms, schedule events
    for body in topics.values():
        assert props(body)["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}


def rules_by_target(resources: Resources) -> dict[str, dict[str, Any]]:
    """Each schedule rule's properties by the logical id of the one function it invokes."""
    found: dict[str, dict[str, Any]] = {}
    for body in of_type(resources, "AWS::Events::Rule").values():
        (target,) = props(body)["Targets"]
        found[target["Arn"]["Fn::GetAtt"][0]] = props(body)
    return found


def test_one_rule_per_schedule_and_event_entry_point(resources: Resources) -> None:
    scheduled = [e for e in ENTRYPOINTS if e.trigger == "schedule"]
    on_bus = [e for e in ENTRYPOINTS if e.trigger == "event"]
    rules = rules_by_target(resources)
    assert len(of_type(resources, "AWS::Events::Rule")) == len(scheduled) + len(on_bus) == len(rules)
    schedule_rules = [r for r in rules.values() if "ScheduleExpression" in r]
    assert len(schedule_rules) == len(scheduled)
    for rule in schedule_rules:
        assert "EventBusName" not in rule  # schedules run on the default bus
    for entry in scheduled:
        rule = rules[function_id(resources, entry)]
        assert rule["ScheduleExpression"] == entry.schedule, entry.id
        assert entry.id in rule["Description"], entry.id


def test_minute_rule_invokes_the_sweep_with_a_dlq(resources: Resources) -> None:
    sweep = entry_of("NotifySweep")
    rule = rules_by_target(resources)[function_id(resources, sweep)]
    assert rule["ScheduleExpression"] == "rate(1 minute)" == EVERY_MINUTE
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id(resources, sweep), "Arn"]}
    assert "DeadLetterConfig" in target
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert "DeadLetterConfig" in props(resources[function_id(resources, sweep)])
    assert props(resources[function_id(resources, sweep)])["Timeout"] == 60


def test_nightly_rule_invokes_the_recheck_with_a_dlq_and_a_long_timeout(resources: Resources) -> None:
    recheck = entry_of("CoverageRecheck")
    function = function_id(resources, recheck)
    assert props(resources[function])["Handler"] == "functions.coverage.recheck.lambda_handler"
    rule = rules_by_target(resources)[function]
    assert rule["ScheduleExpression"] == "cron(0 8 * * ? *)"  # 02:00 US Central (standard time)
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert props(resources[function])["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [dlq, "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert props(resources[function])["Timeout"] == 900
    # The sweep's minute rule is not the recheck's: each has its own rule and DLQ.
    sweep_rule = rules_by_target(resources)[function_id(resources, entry_of("NotifySweep"))]
    assert sweep_rule["Targets"][0]["DeadLetterConfig"] != target["DeadLetterConfig"]


def _mappings(resources: Resources, entry: Entrypoint) -> list[dict[str, Any]]:
    function = function_id(resources, entry)
    return [
        props(body)
        for body in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if props(body)["FunctionName"] == {"Ref": function}
    ]


def test_the_publisher_reads_the_stream_of_published_entities_and_publishes_to_the_fifo_topic_alone(
    resources: Resources,
) -> None:
    publisher = entry_of("SchedulePublisher")
    (mapping,) = _mappings(resources, publisher)
    entities = {
        entity
        for f in mapping["FilterCriteria"]["Filters"]
        for entity in json.loads(f["Pattern"])["dynamodb"]["NewImage"]["entity"]["S"]
    }
    assert entities == set(PUBLISHED_ENTITIES)
    (topic,) = [
        n for n, b in of_type(resources, "AWS::SNS::Topic").items() if props(b).get("FifoTopic") is True
    ]
    assert props(resources[topic])["ContentBasedDeduplication"] is False  # the event id deduplicates
    publishes = [
        s
        for entry in ENTRYPOINTS
        for s in role_statements(resources, function_id(resources, entry))
        if "sns:Publish" in as_list(s["Action"]) and s["Effect"] == "Allow"
    ]
    topic_grants = [s for s in publishes if as_list(s["Resource"]) == [{"Ref": topic}]]
    assert len(topic_grants) == 1
    env = props(resources[function_id(resources, publisher)])["Environment"]["Variables"]
    assert env[SCHEDULE_EVENTS_TOPIC_ENV] == {"Ref": topic}


@pytest.mark.parametrize("entry", [e for e in ENTRYPOINTS if e.trigger == "subscription"], ids=lambda e: e.id)
def test_each_subscriber_reads_its_own_fifo_queue_of_the_types_it_subscribes_to(
    resources: Resources, entry: Entrypoint
) -> None:
    # Its queue: FIFO, encrypted, redriving to a FIFO dead-letter queue
    (mapping,) = _mappings(resources, entry)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    body = props(resources[queue])
    assert body["FifoQueue"] is True
    assert body["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id(resources), "Arn"]}
    assert body["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVE_COUNT
    assert body["VisibilityTimeout"] >= 6 * entry.timeout
    dlq = body["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert props(resources[dlq])["FifoQueue"] is True
    # subscribed to the topic, raw, filtered on exactly the types it handles
    (subscription,) = [
        props(b)
        for b in of_type(resources, "AWS::SNS::Subscription").values()
        if props(b)["Endpoint"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    assert subscription["Protocol"] == "sqs"
    assert subscription["RawMessageDelivery"] is True
    assert sorted(subscription["FilterPolicy"]["type"]) == sorted(entry.subscribes)


# --- the program's event bus ----------------------------------------------------------------

ALERT_RAISERS = {"CoverageApi", "CoverageEvents", "CoverageRecheck"}
"""Coverage's functions that put events on the program bus: alerts (a coordinator's
eligibility check, attendance, the nightly re-check) and the API's prices-changed event."""


def bus_id(resources: Resources) -> str:
    (name,) = of_type(resources, "AWS::Events::EventBus")
    return name


def queue_policy_of(resources: Resources, queue: str) -> list[dict[str, Any]]:
    for body in of_type(resources, "AWS::SQS::QueuePolicy").values():
        if {"Ref": queue} in props(body)["Queues"]:
            statements: list[dict[str, Any]] = props(body)["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError(f"no policy for {queue}")


def test_program_bus_is_named_per_stage_and_encrypted_with_the_cmk(
    template: Template, resources: Resources, configured: Resources
) -> None:
    template.resource_count_is("AWS::Events::EventBus", 1)
    template.has_resource_properties(
        "AWS::Events::EventBus",
        {
            "Name": "tandem-dev-events",  # cdk.json's stage: a bare synth is never production
            "KmsKeyIdentifier": {"Fn::GetAtt": [key_id(resources), "Arn"]},
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [Match.any_value(), "Arn"]}},
        },
    )
    assert event_bus_name("prod") == "tandem-prod-events"
    assert props(configured[bus_id(configured)])["Name"] == "tandem-staging-events"
    assert "Policy" not in json.dumps(of_type(resources, "AWS::Events::EventBusPolicy"))  # no bus policy
    outputs = template.to_json()["Outputs"]
    assert outputs["EventBusName"]["Value"] == {"Ref": bus_id(resources)}


def test_the_key_lets_eventbridge_encrypt_only_for_the_program_bus(resources: Resources) -> None:
    key = props(resources[key_id(resources)])["KeyPolicy"]["Statement"]
    context_key = "kms:EncryptionContext:aws:events:event-bus:arn"
    [statement] = [s for s in key if context_key in json.dumps(s.get("Condition", {}))]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert set(as_list(statement["Action"])) <= {"kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"}
    assert ":event-bus/tandem-dev-events" in json.dumps(statement["Condition"]["StringEquals"][context_key])


def test_bus_dead_letters_go_to_an_alarmed_queue_only_the_bus_may_fill(resources: Resources) -> None:
    bus = bus_id(resources)
    dlq = props(resources[bus])["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert props(resources[dlq])["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id(resources), "Arn"]}
    assert props(resources[dlq])["MessageRetentionPeriod"] == 14 * 24 * 3600
    [allow] = [s for s in queue_policy_of(resources, dlq) if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [bus, "Arn"]}}}
    alarmed = [
        props(body)
        for body in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if props(body).get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    assert any(mentions(alarm["Dimensions"], dlq) for alarm in alarmed)


def test_only_the_coverage_alert_raisers_may_put_events_and_only_on_the_bus(resources: Resources) -> None:
    bus = bus_id(resources)
    assert {e.id for e in ENTRYPOINTS if e.emits_events} == ALERT_RAISERS
    for entry in ENTRYPOINTS:
        statements = role_statements(resources, function_id(resources, entry))
        touching = [s for s in statements if any(a.startswith("events:") for a in as_list(s["Action"]))]
        if entry.id not in ALERT_RAISERS:
            assert touching == [], entry.id
            continue
        (statement,) = touching
        assert statement["Effect"] == "Allow"
        assert as_list(statement["Action"]) == ["events:PutEvents"]
        assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [bus, "Arn"]}], entry.id
        assert "Condition" not in statement
    putters = {
        name
        for name, statement in all_iam_statements(resources)
        if "events:PutEvents" in as_list(statement.get("Action", []))
    }
    assert len(putters) == len(ALERT_RAISERS)  # nowhere else in the stack


def test_alert_raisers_are_given_the_bus_name(resources: Resources) -> None:
    bus = bus_id(resources)
    for entry in ENTRYPOINTS:
        env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
        if entry.id in ALERT_RAISERS or entry.checks_readiness:
            assert env[EVENT_BUS_ENV] == {"Ref": bus}, entry.id  # Ref of an event bus is its name
        else:
            assert EVENT_BUS_ENV not in env, entry.id


def test_readiness_probes_are_metadata_only_on_each_dependency(resources: Resources) -> None:
    # The schedule API alone serves GET /health/ready
    assert {e.id for e in ENTRYPOINTS if e.checks_readiness} == {"ScheduleApi"}
    ids = table_ids(resources)
    queues = of_type(resources, "AWS::SQS::Queue")
    (queue,) = [name for name in queues if name.startswith("MessagingNotifySendQueue")]
    dlq = props(queues[queue])["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]

    def arn(logical_id: str) -> dict[str, Any]:
        return {"Fn::GetAtt": [logical_id, "Arn"]}

    expected: dict[str, list[Any]] = {
        "dynamodb:DescribeTable": [arn(ids[table.key]) for table in tables.ALL_TABLES],
        "sqs:GetQueueAttributes": [arn(queue), arn(dlq)],
        "events:DescribeEventBus": [arn(bus_id(resources))],
        "ses:GetSendQuota": ["*"],  # account-level: IAM has no resource for them
        "sns:GetSMSAttributes": ["*"],
    }
    assert set(expected) == set(PROBE_ACTIONS.values())
    for entry in ENTRYPOINTS:
        statements = role_statements(resources, function_id(resources, entry), probes=True)
        probes = [s for s in statements if str(s.get("Sid", "")).startswith(READINESS_PROBES)]
        if not entry.checks_readiness:
            assert probes == [], entry.id
            continue
        # One metadata action per service, on exactly the dependencies' resources, nothing else
        found: dict[str, list[Any]] = {}
        for statement in probes:
            assert statement["Effect"] == "Allow"
            assert "Condition" not in statement
            (action,) = as_list(statement["Action"])
            found[action] = as_list(statement["Resource"])
        assert {a: sorted(json.dumps(arn) for arn in r) for a, r in found.items()} == {
            a: sorted(json.dumps(arn) for arn in r) for a, r in expected.items()
        }
        # And it is told each resource's name (a queue's URL)
        env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
        assert {d.env_var for d in dependencies() if d.env_var} <= set(env)
        assert env[DLQ_URL_ENV] == {"Ref": dlq}
        assert env[QUEUE_URL_ENV] == {"Ref": queue}


def test_notify_alerts_is_given_the_coordinators(resources: Resources, configured: Resources) -> None:
    for stack, expected in (
        (resources, DEFAULTS["coordinator_alert_ids"]),
        (configured, "per_coordA1,per_coordB2"),
    ):
        for entry in ENTRYPOINTS:
            env = props(stack[function_id(stack, entry)])["Environment"]["Variables"]
            if entry.id in ("NotifyAlerts", "NotifySweep"):  # coverage's alerts; DLQ alerts
                assert env[COORDINATOR_ALERT_IDS_ENV] == expected
            else:
                assert COORDINATOR_ALERT_IDS_ENV not in env, entry.id
    assert DEFAULTS["coordinator_alert_ids"] == ""


def test_the_schedule_and_coverage_apis_share_the_programs_part2_settings(
    resources: Resources, configured: Resources
) -> None:
    # Given the default stage (every coordinator, no extra types) and one naming both settings
    for stack, extra, coordinators in (
        (resources, "", None),
        (configured, "medication_management", "per_coordB2"),
    ):
        for entry in ENTRYPOINTS:
            env = props(stack[function_id(stack, entry)])["Environment"]["Variables"]
            # Then both APIs that show Part 2 records are given the same, and no other function
            if entry.id in ("ScheduleApi", "CoverageApi"):
                assert entry.shows_part2
                assert env[PART2_EXTRA_TYPES_ENV] == extra, entry.id
                assert env.get(PART2_COORDINATORS_ENV) == coordinators, entry.id  # unset: all
            else:
                assert PART2_EXTRA_TYPES_ENV not in env, entry.id
                assert PART2_COORDINATORS_ENV not in env, entry.id


@pytest.mark.parametrize(
    ("key", "value"), [("part2_coordinators", "per_a;per_b"), ("part2_extra_types", "Bad Type")]
)
def test_malformed_part2_settings_are_refused_at_synth(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key):
        Settings.from_scope(cdk.App(context={key: value}))
    # while empty (none) and "*" (every coordinator) are settings
    assert Settings.from_scope(cdk.App(context={"part2_coordinators": ""})).part2_coordinators == ""


def test_coverage_events_on_the_bus_invoke_notify_alerts_with_retries_and_a_dlq(
    template: Template, resources: Resources
) -> None:
    alerts = entry_of("NotifyAlerts")
    function = function_id(resources, alerts)
    bus = bus_id(resources)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventBusName": {"Ref": bus},
            "EventPattern": alerts.event_pattern,
            "State": "ENABLED",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [function, "Arn"]},
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [Match.any_value(), "Arn"]}},
                        "RetryPolicy": {"MaximumEventAgeInSeconds": 300, "MaximumRetryAttempts": 2},
                    }
                )
            ],
        },
    )
    rule_body = next(
        (name, body)
        for name, body in of_type(resources, "AWS::Events::Rule").items()
        if props(body).get("EventBusName") == {"Ref": bus}
        and props(body)["Targets"][0]["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    )
    rule_name, rule = rule_body[0], props(rule_body[1])
    assert rule["EventPattern"] == alerts.event_pattern
    (target,) = rule["Targets"]
    dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    # The function's own asynchronous-invocation failures go to the same DLQ
    function_props = props(resources[function])
    assert function_props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [dlq, "Arn"]}}
    assert function_props["Timeout"] == alerts.timeout == 30
    assert function_props["ReservedConcurrentExecutions"] == DEFAULTS["worker_reserved_concurrency"]
    assert function_props["Handler"] == "functions.notify.alerts.lambda_handler"
    # Only this rule may invoke it; only EventBridge may fill its DLQ, and only from this rule
    permissions = [
        props(body)
        for body in of_type(resources, "AWS::Lambda::Permission").values()
        if mentions(props(body)["FunctionName"], function)
    ]
    assert [(p["Principal"], p["SourceArn"]) for p in permissions] == [
        ("events.amazonaws.com", {"Fn::GetAtt": [rule_name, "Arn"]})
    ]
    [allow] = [s for s in queue_policy_of(resources, dlq) if s["Effect"] == "Allow"]
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_name, "Arn"]}}}
    # NotifyAlerts reaches only the notify table (besides its logs, key, traces and DLQ)
    notify = table_ids(resources)[tables.NOTIFY.key]
    statements = role_statements(resources, function)
    assert any(mentions(s["Resource"], notify) for s in statements)
    assert not any("events:" in json.dumps(s["Action"]) for s in statements)


@pytest.mark.parametrize("value", ["per_a1;per_b2", "per a1", "<script>", "per_a1,per b2"])
def test_settings_refuse_bad_coordinator_ids(value: str) -> None:
    with pytest.raises(ValueError, match="coordinator_alert_ids"):
        Settings.from_scope(cdk.App(context={"coordinator_alert_ids": value}))


def test_settings_tidy_the_coordinator_ids() -> None:
    settings = Settings.from_scope(cdk.App(context={"coordinator_alert_ids": " per_a1, ,per_b2,"}))
    assert settings.coordinator_alert_ids == "per_a1,per_b2"
    assert Settings.from_scope(cdk.App()).coordinator_alert_ids == ""


# --- the clearinghouse ---------------------------------------------------------------------

CLEARINGHOUSE_USERS = {"CoverageApi", "CoverageRecheck"}


def default_secret_arn(suffix: str = "") -> dict[str, Any]:
    """`tandem/clearinghouse` of the stack's own account and region, `suffix` appended to the name."""
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":secretsmanager:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":secret:tandem/clearinghouse{suffix}",
            ],
        ]
    }


def secret_statements(resources: Resources) -> dict[str, list[dict[str, Any]]]:
    """Every IAM statement naming Secrets Manager, by the policy holding it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name, statement in all_iam_statements(resources):
        if "secretsmanager" in json.dumps(statement).lower():
            found.setdefault(name, []).append(statement)
    return found


def test_only_the_coverage_api_and_recheck_read_the_clearinghouse_secret(resources: Resources) -> None:
    assert {e.id for e in ENTRYPOINTS if e.uses_clearinghouse} == CLEARINGHOUSE_USERS
    # The secret's ARN with the 6 characters Secrets Manager appends to its name left open.
    expected = default_secret_arn("-??????")
    holders: set[str] = set()
    for entry in ENTRYPOINTS:
        statements = role_statements(resources, function_id(resources, entry))
        touching = [s for s in statements if "secretsmanager" in json.dumps(s).lower()]
        if entry.id not in CLEARINGHOUSE_USERS:
            assert touching == [], entry.id
            continue
        holders.add(entry.id)
        (statement,) = touching
        assert statement["Effect"] == "Allow"
        assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"]
        assert as_list(statement["Resource"]) == [expected], entry.id
    assert holders == CLEARINGHOUSE_USERS
    assert len(secret_statements(resources)) == len(CLEARINGHOUSE_USERS)  # nowhere else in the stack
    assert not of_type(resources, "AWS::SecretsManager::Secret")  # operations create it


def test_clearinghouse_environment(resources: Resources) -> None:
    for entry in ENTRYPOINTS:
        env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
        if entry.id not in CLEARINGHOUSE_USERS:
            assert not set(CLEARINGHOUSE_ENV) & set(env), entry.id
            continue
        assert env["CLEARINGHOUSE"] == "https"
        assert env["CLEARINGHOUSE_URL"] == DEFAULTS["clearinghouse_url"]
        # A partial ARN (no suffix), which GetSecretValue resolves.
        assert env["CLEARINGHOUSE_SECRET_ARN"] == default_secret_arn()
        assert env["CLEARINGHOUSE_USAGE"] == "T"  # cdk.json's stage is dev: test interchanges
        assert env["TANDEM_STAGE"] == "dev"


def test_a_configured_secret_is_granted_and_named_exactly(configured: Resources) -> None:
    for entry in ENTRYPOINTS:
        function = function_id(configured, entry)
        env = props(configured[function])["Environment"]["Variables"]
        touching = [
            s for s in role_statements(configured, function) if "secretsmanager" in json.dumps(s).lower()
        ]
        if entry.id not in CLEARINGHOUSE_USERS:
            assert touching == [], entry.id
            assert "CLEARINGHOUSE_SECRET_ARN" not in env, entry.id
            continue
        (statement,) = touching
        assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"]
        assert as_list(statement["Resource"]) == [CONFIGURED_SECRET]
        assert env["CLEARINGHOUSE_SECRET_ARN"] == CONFIGURED_SECRET
        assert env["CLEARINGHOUSE_URL"] == "https://x12.vendor.example.com/270"
        assert env["CLEARINGHOUSE_USAGE"] == "T"  # not prod: test interchanges


SECRETS = "arn:aws:secretsmanager:us-east-1:111122223333"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("clearinghouse_url", "http://clearinghouse.example.org/x12/270"),
        ("clearinghouse_secret_arn", "tandem/clearinghouse"),
        ("clearinghouse_secret_arn", f"{SECRETS}:secret:tandem/clearinghouse"),  # partial: no suffix
        ("clearinghouse_secret_arn", f"{SECRETS}:secret:x-??????"),
    ],
)
def test_settings_refuse_a_bad_clearinghouse_context(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key):
        Settings.from_scope(cdk.App(context={key: value}))


def test_settings_read_the_clearinghouse_context() -> None:
    settings = Settings.from_scope(cdk.App(context={"clearinghouse_secret_arn": CONFIGURED_SECRET}))
    assert settings.clearinghouse_secret_arn == CONFIGURED_SECRET
    assert settings.clearinghouse_url == DEFAULTS["clearinghouse_url"]
    assert Settings.from_scope(cdk.App()).clearinghouse_secret_arn == ""


# --- API -----------------------------------------------------------------------------------


def test_every_openapi_operation_is_a_method(resources: Resources, document: dict[str, Any]) -> None:
    expected = {(route.method, route.path) for route in routes(document)}
    methods = api_methods(resources)
    assert len(methods) == len(expected)
    assert set(methods) == expected


def test_only_public_operations_skip_the_cognito_authorizer(
    resources: Resources, document: dict[str, Any]
) -> None:
    public = {(route.method, route.path) for route in routes(document) if not route.secured}
    assert public == {("GET", "/health"), ("GET", "/calendar/{token}")}  # the reviewed PUBLIC_ROUTES
    for key, method in api_methods(resources).items():
        if key in public:
            assert method["AuthorizationType"] == "NONE"
        else:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS", key
            assert "Ref" in method["AuthorizerId"], key
        assert "RequestValidatorId" in method, key


def test_methods_proxy_to_their_domain_function(resources: Resources, document: dict[str, Any]) -> None:
    methods = api_methods(resources)
    for route in routes(document):
        entry = next(e for e in ENTRYPOINTS if e.trigger == "api" and e.domain == route.domain)
        integration = methods[(route.method, route.path)]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert mentions(integration["Uri"], function_id(resources, entry))


def test_stage_logging_tracing_throttling(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "v1",
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"Format": Match.string_like_regexp("requestId")}),
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "LoggingLevel": "INFO",
                            "DataTraceEnabled": False,
                            "MetricsEnabled": True,
                            "ThrottlingRateLimit": Match.any_value(),
                            "ThrottlingBurstLimit": Match.any_value(),
                        }
                    )
                ]
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}}
    )


def test_gateway_errors_are_problem_details(resources: Resources) -> None:
    responses = {
        props(body)["ResponseType"]: props(body)
        for body in of_type(resources, "AWS::ApiGateway::GatewayResponse").values()
    }
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED"):
        response = responses[kind]
        assert response["ResponseParameters"]["gatewayresponse.header.Content-Type"] == f"'{PROBLEM_JSON}'"
        body = response["ResponseTemplates"]["application/json"]
        assert '"type": "about:blank"' in body
        assert '"title"' in body
    assert '"status": 401' in responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]


def test_waf_guards_the_stage_and_logs(template: Template) -> None:
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    template.has_resource_properties(
        "AWS::WAFv2::WebACL",
        {
            "Scope": "REGIONAL",
            "Rules": Match.array_with(
                [
                    Match.object_like(
                        {"Statement": {"RateBasedStatement": Match.object_like({"AggregateKeyType": "IP"})}}
                    )
                ]
            ),
        },
    )
    template.has_resource_properties(
        "AWS::WAFv2::LoggingConfiguration",
        {"RedactedFields": Match.array_with([{"SingleHeader": {"Name": "authorization"}}])},
    )


# --- Cognito -------------------------------------------------------------------------------


def pools(resources: Resources) -> dict[str, dict[str, Any]]:
    """The two user pools' properties: `participant` (the original `UserPool`) and `staff`."""
    found = {
        ("staff" if "Staff" in name else "participant"): body
        for name, body in of_type(resources, "AWS::Cognito::UserPool").items()
    }
    assert len(found) == 2
    return found


def test_user_pools_password_policy_mfa_and_sign_up(resources: Resources) -> None:
    for kind, pool in pools(resources).items():
        policy = props(pool)["Policies"]["PasswordPolicy"]
        assert policy["MinimumLength"] >= 12
        for flag in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"):
            assert policy[flag] is True
        # TOTP only (never SMS or email codes); required for staff, each participant's choice
        assert props(pool)["MfaConfiguration"] == ("ON" if kind == "staff" else "OPTIONAL")
        assert props(pool)["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
        assert props(pool)["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
        assert props(pool)["UsernameAttributes"] == ["email"]
        assert props(pool)["UserPoolTier"] == "PLUS"
        assert props(pool)["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"
        assert props(pool)["AccountRecoverySetting"]["RecoveryMechanisms"] == [
            {"Name": "verified_email", "Priority": 1}
        ]
        assert pool["DeletionPolicy"] == "Retain"
        assert props(pool)["DeletionProtection"] == "ACTIVE"
        person_id = next(attr for attr in props(pool)["Schema"] if attr["Name"] == "person_id")
        assert person_id["AttributeDataType"] == "String"
    # The participant pool keeps its logical id: a deployed pool and its logins stay in place
    assert "ApiUserPool5AB2526B" in resources


def test_app_clients_have_no_secret_and_short_tokens(resources: Resources) -> None:
    clients = of_type(resources, "AWS::Cognito::UserPoolClient")
    assert {props(c)["UserPoolId"]["Ref"] for c in clients.values()} == set(
        of_type(resources, "AWS::Cognito::UserPool")
    )
    for body in clients.values():
        client = props(body)
        assert client["GenerateSecret"] is False
        assert set(client["ExplicitAuthFlows"]) == {
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        }
        assert client["PreventUserExistenceErrors"] == "ENABLED"
        # A deactivated person's last ID token reaches the API for at most 15 minutes.
        assert client["IdTokenValidity"] == 15
        assert client["AccessTokenValidity"] == 15
        assert "custom:person_id" not in client["WriteAttributes"]
        assert "AllowedOAuthFlows" not in client


def test_staff_groups_live_only_in_the_staff_pool(resources: Resources) -> None:
    staff_pool = next(name for name in of_type(resources, "AWS::Cognito::UserPool") if "Staff" in name)
    groups = {
        props(body)["GroupName"]: props(body)["UserPoolId"]["Ref"]
        for body in of_type(resources, "AWS::Cognito::UserPoolGroup").values()
    }
    assert set(groups) == set(GROUPS) == {"participant", "clinician", "coordinator"}
    assert len(of_type(resources, "AWS::Cognito::UserPoolGroup")) == 3  # each group in one pool only
    assert {name for name, pool in groups.items() if pool == staff_pool} == set(STAFF_GROUPS)


def test_the_authorizer_accepts_tokens_of_both_pools(resources: Resources) -> None:
    (authorizer,) = of_type(resources, "AWS::ApiGateway::Authorizer").values()
    assert props(authorizer)["Type"] == "COGNITO_USER_POOLS"
    assert props(authorizer)["ProviderARNs"] == [
        {"Fn::GetAtt": [name, "Arn"]} for name in of_type(resources, "AWS::Cognito::UserPool")
    ]


# --- monitoring ----------------------------------------------------------------------------


def test_alarms_cover_errors_throttles_dlqs_and_api(resources: Resources) -> None:
    alarms = list(of_type(resources, "AWS::CloudWatch::Alarm").values())
    for alarm in alarms:
        assert props(alarm)["AlarmActions"], "every alarm notifies"

    def watched(metric: str) -> list[str]:
        return [json.dumps(props(a)["Dimensions"]) for a in alarms if props(a).get("MetricName") == metric]

    for entry in ENTRYPOINTS:
        function = function_id(resources, entry)
        assert any(function in dims for dims in watched("Errors")), entry.id
        assert any(function in dims for dims in watched("Throttles")), entry.id
    dlqs = [
        name
        for name, body in of_type(resources, "AWS::SQS::Queue").items()
        if "RedrivePolicy" not in props(body)
    ]
    # The send queue's, one per stream/schedule/event/topic entry point, one per subscriber's
    # queue on the schedule-events topic, and the event bus's.
    assert len(dlqs) == (
        1
        + sum(e.trigger in ("stream", "schedule", "event", "topic") for e in ENTRYPOINTS)
        + sum(e.trigger == "subscription" for e in ENTRYPOINTS)
        + 1
    )
    visible = watched("ApproximateNumberOfMessagesVisible")
    for dlq in dlqs:
        assert any(dlq in dims for dims in visible), dlq
    assert watched("5XXError")


def test_domains_import_only_common_catalog_and_themselves() -> None:
    """Each function asset holds one domain: a cross-domain import would fail in Lambda."""
    domains = {entry.domain for entry in ENTRYPOINTS}
    for domain in domains:
        for source in (app_factory.REPO_ROOT / "functions" / domain).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text())):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                for name in names:
                    parts = name.split(".")
                    if parts[0] == "functions" and len(parts) > 1 and parts[1] in domains:
                        assert parts[1] == domain, f"{source} imports {name}"


def test_routes_fail_closed_and_refuse_unreviewed_public_operations() -> None:
    document: dict[str, Any] = {
        "paths": {
            "/a": {"get": {"x-tandem-function": "schedule"}},
            "/b/{b_id}": {"get": {"x-tandem-function": "notify", "security": []}},
        }
    }
    by_path = {route.path: route for route in routes(document)}
    assert by_path["/a"].secured is True  # no security anywhere: still authorized
    assert by_path["/b/{b_id}"].secured is False
    assert by_path["/b/{b_id}"].request_parameters == {"method.request.path.b_id": True}
    with pytest.raises(ValueError, match="x-tandem-function"):
        routes({"paths": {"/c": {"get": {"x-tandem-function": "billing"}}}})
    with pytest.raises(ValueError, match="PUBLIC_ROUTES"):
        app_factory.build_app(openapi=document, with_nag=False)


def test_every_event_entry_point_has_its_own_rule_on_the_bus_with_its_pattern_and_a_dlq(
    resources: Resources,
) -> None:
    bus = bus_id(resources)
    rules = [props(body) for body in of_type(resources, "AWS::Events::Rule").values()]
    on_bus = [rule for rule in rules if rule.get("EventBusName") == {"Ref": bus}]
    event_entries = [e for e in ENTRYPOINTS if e.trigger == "event"]
    assert {e.id for e in event_entries} >= {"NotifyAlerts", "CoveragePrices"}
    assert len(on_bus) == len(event_entries)
    for entry in event_entries:
        function = function_id(resources, entry)
        [rule] = [r for r in on_bus if r["Targets"][0]["Arn"] == {"Fn::GetAtt": [function, "Arn"]}]
        assert rule["EventPattern"] == entry.event_pattern, entry.id
        assert "DeadLetterConfig" in rule["Targets"][0], entry.id
    # The two consumers split coverage's events: alerts to notify, price changes to coverage
    alerts, copies = entry_of("NotifyAlerts"), entry_of("CoveragePrices")
    assert alerts.event_pattern is not None
    assert copies.event_pattern is not None
    assert not set(alerts.event_pattern["detail-type"]) & set(copies.event_pattern["detail-type"])
