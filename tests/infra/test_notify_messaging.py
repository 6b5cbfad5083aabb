"""Template assertions on notify's own messaging: the inbound-SMS topic and its consumer
(two-way SMS), and the minute sweep's look at the send queue's dead-letter queue (DLQ alerts)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from functions.catalog import (
    APP_URL_ENV,
    COORDINATOR_ALERT_IDS_ENV,
    DLQ_URL_ENV,
    ENTRYPOINTS,
    QUEUE_URL_ENV,
    SMS_HELP_LINE_ENV,
    topic_entrypoints,
)
from functions.common import tables
from functions.notify.logic.inbound import DEFAULT_HELP_LINE
from functions.notify.vocabulary import DEFAULT_APP_URL
from infra import app_factory
from infra.config import DEFAULTS, Settings
from tests.infra.test_stack import (
    Resources,
    as_list,
    entry_of,
    function_id,
    key_id,
    mentions,
    of_type,
    props,
    queue_policy_of,
    role_statements,
    table_ids,
)

pytestmark = pytest.mark.xdist_group("infra-template")

HELP_LINE = "Tandem Care: questions? Call 512-555-0100, Mon-Fri 9-5."
APP_URL = "https://staging.app.tandem.example"


@pytest.fixture(scope="module")
def template(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Template:
    outdir = str(tmp_path_factory.mktemp("cdk-notify-messaging"))
    _, stack = app_factory.build_app(openapi=document, outdir=outdir, with_nag=False)
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def resources(template: Template) -> Resources:
    found: Resources = template.to_json()["Resources"]
    return found


@pytest.fixture(scope="module")
def configured(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Resources:
    """A stage whose help line and app address are given in context."""
    outdir = str(tmp_path_factory.mktemp("cdk-notify-configured"))
    context = {"stage": "staging", "sms_help_line": f"  {HELP_LINE} ", "app_url": APP_URL}
    _, stack = app_factory.build_app(openapi=document, outdir=outdir, context=context, with_nag=False)
    found: Resources = Template.from_stack(stack).to_json()["Resources"]
    return found


def inbound_topic(resources: Resources) -> str:
    """The topic End User Messaging may publish to (the other one is the alarm topic)."""
    (name,) = [
        name
        for name, body in of_type(resources, "AWS::SNS::TopicPolicy").items()
        if "sms-voice.amazonaws.com" in json.dumps(props(body))
    ]
    (topic,) = props(resources[name])["Topics"]
    return str(topic["Ref"])


def key_statements(resources: Resources) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = props(resources[key_id(resources)])["KeyPolicy"]["Statement"]
    return statements


# --- the inbound-SMS topic -------------------------------------------------------------------


def test_the_inbound_topic_is_encrypted_and_only_end_user_messaging_of_this_account_publishes(
    template: Template, resources: Resources
) -> None:
    topic = inbound_topic(resources)
    # Encrypted with the Tandem CMK
    assert props(resources[topic])["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id(resources), "Arn"]}
    # Its policy: TLS only, and publishing by the SMS service on behalf of this account alone
    [policy] = [
        props(body)["PolicyDocument"]["Statement"]
        for body in of_type(resources, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic} in props(body)["Topics"]
    ]
    [allow] = [s for s in policy if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == {"Ref": topic}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    [deny] = [s for s in policy if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The SMS service may use the key to publish into the encrypted topic
    [sms_key] = [
        s for s in key_statements(resources) if s["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    ]
    assert set(as_list(sms_key["Action"])) == {"kms:GenerateDataKey", "kms:Decrypt"}
    # And operators find the topic among the stack's outputs, to point the number's two-way channel at
    output = template.to_json()["Outputs"]["InboundSmsTopicArn"]
    assert output["Value"] == {"Ref": topic}
    assert "two-way" in output["Description"]


def test_notify_inbound_alone_is_subscribed_with_a_dead_letter_queue(resources: Resources) -> None:
    topic = inbound_topic(resources)
    assert [e.id for e in topic_entrypoints()] == ["NotifyInbound"]
    function = function_id(resources, entry_of("NotifyInbound"))
    assert props(resources[function])["Handler"] == "functions.notify.inbound.lambda_handler"
    # One subscription on the topic: the function, with a redrive policy to its DLQ
    [subscription] = [
        props(body)
        for body in of_type(resources, "AWS::SNS::Subscription").values()
        if props(body)["TopicArn"] == {"Ref": topic}
    ]
    assert subscription["Protocol"] == "lambda"
    assert subscription["Endpoint"] == {"Fn::GetAtt": [function, "Arn"]}
    dlq = subscription["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert props(resources[dlq])["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id(resources), "Arn"]}
    assert props(resources[dlq])["MessageRetentionPeriod"] == 14 * 24 * 3600
    # Only this topic may fill the DLQ (and SNS may use the key to encrypt into it)
    [allow] = [s for s in queue_policy_of(resources, dlq) if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": topic}}}
    [sns_key] = [s for s in key_statements(resources) if s["Principal"] == {"Service": "sns.amazonaws.com"}]
    assert set(as_list(sns_key["Action"])) == {"kms:GenerateDataKey", "kms:Decrypt"}
    # The function's own failed asynchronous invocations go to the same DLQ, after two retries
    function_props = props(resources[function])
    assert function_props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [dlq, "Arn"]}}
    assert function_props["Timeout"] == 30
    [invoke_config] = [
        props(body)
        for body in of_type(resources, "AWS::Lambda::EventInvokeConfig").values()
        if props(body)["FunctionName"] == {"Ref": function}
    ]
    assert invoke_config["MaximumRetryAttempts"] == 2
    # Only SNS, and only from this topic, may invoke it
    permissions = [
        props(body)
        for body in of_type(resources, "AWS::Lambda::Permission").values()
        if mentions(props(body)["FunctionName"], function)
    ]
    assert [(p["Principal"], p["SourceArn"]) for p in permissions] == [("sns.amazonaws.com", {"Ref": topic})]
    # And the DLQ is alarmed on its first message, as every DLQ is
    alarmed = [
        props(body)
        for body in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if props(body).get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    [alarm] = [a for a in alarmed if mentions(a["Dimensions"], dlq)]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["AlarmActions"]


def test_notify_inbound_reaches_its_tables_and_texts_nothing_else(resources: Resources) -> None:
    entry = entry_of("NotifyInbound")
    function = function_id(resources, entry)
    statements = role_statements(resources, function)
    ids = table_ids(resources)
    # The notify table read and written, the audit trail appended to, idempotency records kept
    reached = {
        key for key, logical in ids.items() if any(mentions(s["Resource"], logical) for s in statements)
    }
    assert reached == {tables.NOTIFY.key, tables.AUDIT.key, tables.IDEMPOTENCY.key}
    audit = [s for s in statements if mentions(s["Resource"], ids[tables.AUDIT.key])]
    assert [as_list(s["Action"]) for s in audit] == [["dynamodb:PutItem"]]
    notify = [
        s for s in statements if as_list(s["Resource"]) == [{"Fn::GetAtt": [ids[tables.NOTIFY.key], "Arn"]}]
    ]
    assert {"dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:GetItem"} <= set(as_list(notify[0]["Action"]))
    # Texts answered by publishing to a phone number, never to a topic
    publish = [s for s in statements if "sns:Publish" in as_list(s["Action"])]
    assert sorted((s["Effect"], json.dumps(s["Resource"])) for s in publish) == sorted(
        [
            ("Allow", '"*"'),
            ("Deny", json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sns:*:*:*"]]})),
        ]
    )
    # No queue but its own DLQ
    sqs = [s for s in statements if any(a.startswith("sqs:") for a in as_list(s["Action"]))]
    assert [as_list(s["Action"]) for s in sqs] == [["sqs:SendMessage"]]


def test_notify_inbound_is_given_the_help_line_and_the_app_address_of_its_stage(
    resources: Resources, configured: Resources
) -> None:
    for stack, help_line, app_url in (
        (resources, DEFAULT_HELP_LINE, DEFAULT_APP_URL),
        (configured, HELP_LINE, APP_URL),
    ):
        for entry in ENTRYPOINTS:
            env = props(stack[function_id(stack, entry)])["Environment"]["Variables"]
            if entry.id == "NotifyInbound":
                assert env[SMS_HELP_LINE_ENV] == help_line
            else:
                assert SMS_HELP_LINE_ENV not in env, entry.id
            # Every function that sends email or texts links to the stage's app
            if entry.sends_email or entry.sends_sms:
                assert env[APP_URL_ENV] == app_url, entry.id
            else:
                assert APP_URL_ENV not in env, entry.id
    assert (DEFAULTS["sms_help_line"], DEFAULTS["app_url"]) == (DEFAULT_HELP_LINE, DEFAULT_APP_URL)


@pytest.mark.parametrize(
    ("context", "problem"),
    [
        ({"sms_help_line": "Tandem Care recovery team: call 512-555-0100."}, "may not say 'recovery'"),
        ({"sms_help_line": "Call us."}, "10 to 300"),
        ({"sms_help_line": "x" * 301}, "10 to 300"),
        ({"app_url": "http://app.tandem.health"}, "app_url"),
    ],
)
def test_settings_refuse_a_help_line_naming_the_care_or_a_plain_http_app(
    context: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Settings.from_scope(cdk.App(context=context))


# --- DLQ alerts ------------------------------------------------------------------------------


def send_queues(resources: Resources) -> tuple[str, str]:
    """(send queue, its dead-letter queue) by logical id."""
    (queue,) = [n for n in of_type(resources, "AWS::SQS::Queue") if n.startswith("MessagingNotifySendQueue")]
    return queue, props(resources[queue])["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]


def test_the_sweep_alone_counts_the_send_dead_letters_and_nothing_more(resources: Resources) -> None:
    queue, dlq = send_queues(resources)
    for entry in ENTRYPOINTS:
        statements = role_statements(resources, function_id(resources, entry))
        env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
        touching = [s for s in statements if mentions(s["Resource"], dlq)]
        if entry.id != "NotifySweep":
            assert touching == [], entry.id
            assert (DLQ_URL_ENV in env) == entry.checks_readiness, entry.id  # readiness probes it
            continue
        # The sweep reads the DLQ's attributes (how many wait), never a message, and knows its URL
        [statement] = touching
        assert statement["Effect"] == "Allow"
        assert as_list(statement["Action"]) == ["sqs:GetQueueAttributes"]
        assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [dlq, "Arn"]}]
        assert env[DLQ_URL_ENV] == {"Ref": dlq}  # Ref of a queue is its URL
        assert env[QUEUE_URL_ENV] == {"Ref": queue}
        # And it is told who the coordinators are, to alert them
        assert env[COORDINATOR_ALERT_IDS_ENV] == DEFAULTS["coordinator_alert_ids"]
    # Nothing else in the stack may read or purge the send DLQ (operators drain it with their own roles)
    for name, body in resources.items():
        if body["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            for statement in props(body)["PolicyDocument"]["Statement"]:
                if mentions(statement.get("Resource"), dlq):
                    assert as_list(statement["Action"]) == ["sqs:GetQueueAttributes"], name
