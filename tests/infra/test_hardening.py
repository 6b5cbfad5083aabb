"""Issue 16, infrastructure findings: staff MFA, WAF log redaction, alarms and the production alarm
subscriber, SES over TLS, confused-deputy-safe KMS key policies, and locked (optionally copied) backups.

Two synths: the bare one (`cdk.json`, stage dev) and a production stage with every new setting given.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from functions.catalog import (
    ENTRYPOINTS,
    SES_CONFIGURATION_SET_ENV,
    STAFF_USER_POOL_ENV,
    USER_POOL_ENV,
    Entrypoint,
)
from functions.common import tables
from functions.schedule.accounts import SIGN_IN_ACTIONS
from infra import app_factory
from infra.api import PATH_CREDENTIAL_ROUTES, STAFF_GROUPS
from infra.config import Settings
from infra.functions import key_services
from infra.messaging import email_configuration_set_name
from infra.monitoring import LATENCY_LIMITS_MS, TANDEM_METRICS
from tests.infra.conftest import Synth
from tests.infra.test_stack import (
    Resources,
    as_list,
    function_id,
    key_id,
    of_type,
    props,
    rendered,
    role_statements,
)

pytestmark = pytest.mark.xdist_group("infra-template")

ALARM_TOPIC = "arn:aws:sns:us-east-1:111122223333:ops-pager"
COPY_VAULT = "arn:aws:backup:us-west-2:222233334444:backup-vault:tandem-dr"
WEB_APP = "https://app.tandem.health"
PREVIEW = "https://preview.tandem.health"
PRODUCTION = {
    "stage": "prod",
    "alarm_email": "oncall@example.org",
    "alarm_topic_arn": ALARM_TOPIC,
    "backup_copy_vault_arn": COPY_VAULT,
    "web_origins": f"{WEB_APP}, {PREVIEW}",
}


@pytest.fixture(scope="module")
def resources(bare: Synth) -> Resources:
    return bare.resources


@pytest.fixture(scope="module")
def production(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Resources:
    outdir = str(tmp_path_factory.mktemp("cdk-production"))
    _, stack = app_factory.build_app(openapi=document, outdir=outdir, context=PRODUCTION, with_nag=False)
    found: Resources = Template.from_stack(stack).to_json()["Resources"]
    return found


def staff_pool(resources: Resources) -> str:
    (name,) = [name for name in of_type(resources, "AWS::Cognito::UserPool") if "Staff" in name]
    return name


# --- MFA for staff ------------------------------------------------------------------------------


def test_staff_sign_in_through_a_pool_that_requires_totp(resources: Resources) -> None:
    pool = props(resources[staff_pool(resources)])
    assert pool["MfaConfiguration"] == "ON"  # Cognito answers MFA_SETUP until TOTP is set up
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert "authenticator app" in pool["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]
    groups = {
        props(body)["GroupName"]
        for body in of_type(resources, "AWS::Cognito::UserPoolGroup").values()
        if props(body)["UserPoolId"] == {"Ref": staff_pool(resources)}
    }
    assert groups == set(STAFF_GROUPS) == {"clinician", "coordinator"}


# --- WAF logs -----------------------------------------------------------------------------------


def test_waf_logs_redact_the_uri_path_so_no_calendar_token_is_logged(resources: Resources) -> None:
    (logging,) = of_type(resources, "AWS::WAFv2::LoggingConfiguration").values()
    redacted = props(logging)["RedactedFields"]
    assert {"UriPath": {}} in redacted
    assert {"QueryString": {}} in redacted
    assert {"SingleHeader": {"Name": "authorization"}} in redacted


def test_no_stage_log_names_a_path_holding_a_credential(resources: Resources) -> None:
    (stage,) = of_type(resources, "AWS::ApiGateway::Stage").values()
    # The access log records the route template, never the request path
    access_format = props(stage)["AccessLogSetting"]["Format"]
    assert "$context.resourcePath" in access_format
    assert "$context.path" not in access_format
    # ... and the execution log (INFO names the path) is off for the calendar feed alone
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in props(stage)["MethodSettings"]}
    assert PATH_CREDENTIAL_ROUTES == (("GET", "/calendar/{token}"),)
    calendar = settings[("GET", "/~1calendar~1{token}")]
    assert calendar["LoggingLevel"] == "OFF"
    assert calendar["DataTraceEnabled"] is False
    assert calendar["ThrottlingRateLimit"] == settings[("*", "/*")]["ThrottlingRateLimit"]
    assert settings[("*", "/*")]["LoggingLevel"] == "INFO"


# --- alarms and their subscriber ------------------------------------------------------------------


def test_a_bare_synth_is_a_dev_stage() -> None:
    settings = Settings.from_scope(cdk.App(context=app_factory.cdk_json_context()))
    assert settings.stage == "dev"
    assert settings.alarm_email == settings.alarm_topic_arn == ""


def test_production_refuses_to_synthesize_without_an_alarm_subscriber() -> None:
    with pytest.raises(
        ValueError, match=r"stage prod needs an alarm subscriber.*alarm_email.*alarm_topic_arn"
    ):
        Settings.from_scope(cdk.App(context={"stage": "prod"}))
    with pytest.raises(ValueError, match="alarm subscriber"):
        app_factory.build_app(context={"stage": "prod", "alarm_email": " "}, with_nag=False)
    assert Settings.from_scope(cdk.App(context={"stage": "prod", "alarm_email": "ops@example.org"}))
    assert Settings.from_scope(cdk.App(context={"stage": "prod", "alarm_topic_arn": ALARM_TOPIC}))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("alarm_email", "not an address"),
        ("alarm_topic_arn", "ops-pager"),
        ("alarm_topic_arn", "arn:aws:sqs:us-east-1:111122223333:ops"),
        ("backup_copy_vault_arn", "tandem-dr"),
        ("backup_copy_vault_arn", "arn:aws:backup:us-west-2:222233334444:recovery-point:x"),
    ],
)
def test_settings_refuse_a_bad_subscriber_or_copy_vault(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key):
        Settings.from_scope(cdk.App(context={key: value}))


def alarms(resources: Resources) -> list[dict[str, Any]]:
    return [props(body) for body in of_type(resources, "AWS::CloudWatch::Alarm").values()]


def metric_alarms(resources: Resources, namespace: str, name: str) -> list[dict[str, Any]]:
    return [a for a in alarms(resources) if a.get("Namespace") == namespace and a.get("MetricName") == name]


def test_every_alarm_reaches_the_email_and_the_operators_topic(production: Resources) -> None:
    emails = [
        s for s in of_type(production, "AWS::SNS::Subscription").values() if props(s)["Protocol"] == "email"
    ]
    assert [props(s)["Endpoint"] for s in emails] == [PRODUCTION["alarm_email"]]
    for alarm in alarms(production):
        assert ALARM_TOPIC in alarm["AlarmActions"], alarm.get("AlarmDescription")
        assert ALARM_TOPIC in alarm["OKActions"]
        assert len(alarm["AlarmActions"]) == 2  # and the stack's own (encrypted) alarm topic


def test_waf_blocked_requests_are_alarmed(resources: Resources) -> None:
    (alarm,) = metric_alarms(resources, "AWS/WAFV2", "BlockedRequests")
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions["Rule"] == "ALL"
    (acl,) = of_type(resources, "AWS::WAFv2::WebACL")
    # The web ACL's name: the first part of its Ref ("name|id|scope")
    assert dimensions["WebACL"] == {"Fn::Select": [0, {"Fn::Split": ["|", {"Ref": acl}]}]}
    assert alarm["Statistic"] == "Sum"


def test_api_4xx_surges_are_alarmed_as_a_share_of_enough_requests(resources: Resources) -> None:
    (alarm,) = [a for a in alarms(resources) if "Metrics" in a and "4XX" in a["AlarmDescription"]]
    expression = next(m["Expression"] for m in alarm["Metrics"] if "Expression" in m)
    assert expression.startswith("IF(requests >= ")
    used = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert used == {"Count", "4XXError"}
    assert alarm["EvaluationPeriods"] == 2


def test_api_latency_p95_and_p99_are_alarmed_for_the_api_and_each_api_function(resources: Resources) -> None:
    latency = metric_alarms(resources, "AWS/ApiGateway", "Latency")
    assert sorted(a["ExtendedStatistic"] for a in latency) == ["p95", "p99"]
    for alarm in latency:
        assert alarm["Threshold"] == LATENCY_LIMITS_MS[alarm["ExtendedStatistic"]]
    durations = metric_alarms(resources, "AWS/Lambda", "Duration")
    for entry in (e for e in ENTRYPOINTS if e.trigger == "api"):
        function = function_id(resources, entry)
        watched = sorted(
            a["ExtendedStatistic"]
            for a in durations
            if {"Name": "FunctionName", "Value": {"Ref": function}} in a["Dimensions"]
        )
        assert watched == ["p95", "p99"], entry.id


def test_every_table_has_a_throttle_alarm(resources: Resources) -> None:
    throttles: dict[str, set[str]] = {}
    for alarm in alarms(resources):
        for metric in alarm.get("Metrics", []):
            stat = metric.get("MetricStat", {}).get("Metric", {})
            if stat.get("MetricName") in ("ReadThrottleEvents", "WriteThrottleEvents"):
                (dimension,) = stat["Dimensions"]
                throttles.setdefault(dimension["Value"]["Ref"], set()).add(stat["MetricName"])
    tables_by_id = {name for name, body in resources.items() if body["Type"] == "AWS::DynamoDB::Table"}
    assert set(throttles) == tables_by_id
    assert len(tables_by_id) == len(tables.ALL_TABLES)
    assert all(found == {"ReadThrottleEvents", "WriteThrottleEvents"} for found in throttles.values())


def test_tandem_metrics_are_alarmed_on_their_first_count(resources: Resources) -> None:
    assert set(TANDEM_METRICS) == {
        "ClearinghouseCircuitOpened",
        "UnreadableItems",
        "DependencyUnavailable",
        "DependencyCircuitOpened",
    }
    for name in TANDEM_METRICS:
        (alarm,) = metric_alarms(resources, "Tandem", name)
        # As Powertools publishes them: namespace Tandem, dimension service=tandem
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "tandem"}]
        assert alarm["Statistic"] == "Sum"
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


# --- SES over TLS ---------------------------------------------------------------------------------


def test_email_goes_through_a_configuration_set_that_requires_tls(resources: Resources) -> None:
    (configuration_set,) = of_type(resources, "AWS::SES::ConfigurationSet").values()
    assert props(configuration_set)["Name"] == email_configuration_set_name("dev") == "tandem-dev-email"
    assert props(configuration_set)["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    senders = [e for e in ENTRYPOINTS if e.sends_email]
    assert senders
    for entry in ENTRYPOINTS:
        env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
        if not entry.sends_email:
            assert SES_CONFIGURATION_SET_ENV not in env, entry.id
            continue
        configuration_set_ref = {"Ref": next(iter(of_type(resources, "AWS::SES::ConfigurationSet")))}
        assert env[SES_CONFIGURATION_SET_ENV] == configuration_set_ref
        # SES authorizes each send against the configuration set as well as the identity
        statements = role_statements(resources, function_id(resources, entry))
        (send,) = [s for s in statements if s.get("Sid") == "SendEmailAsSender"]
        assert any(
            ":configuration-set/" in json.dumps(arn) and configuration_set_ref in arn["Fn::Join"][1]
            for arn in as_list(send["Resource"])
        )


# --- KMS key policy and grants --------------------------------------------------------------------


def test_every_service_principal_in_the_key_policy_is_held_to_this_account(resources: Resources) -> None:
    statements = props(resources[key_id(resources)])["KeyPolicy"]["Statement"]
    services = [s for s in statements if "Service" in s["Principal"]]
    assert len(services) >= 6  # logs, alarms, sms-voice, EventBridge (DLQs and bus), SNS
    for statement in services:
        condition = statement["Condition"]
        assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}, statement
        scoped = {
            **condition.get("StringEquals", {}),
            **condition.get("ArnLike", {}),
            **condition.get("ArnEquals", {}),
        }
        # Which resources it acts for: aws:SourceArn, or (CloudWatch Logs) the log group it encrypts
        assert "aws:SourceArn" in scoped or "kms:EncryptionContext:aws:logs:arn" in scoped, statement
        for arn in as_list(scoped.get("aws:SourceArn", [])):
            assert "AWS::AccountId" in json.dumps(arn), statement  # this account's resources only


def kms_statements(resources: Resources, entry: Entrypoint) -> list[dict[str, Any]]:
    return [
        s
        for s in role_statements(resources, function_id(resources, entry))
        if any(str(action).startswith("kms:") for action in as_list(s["Action"]))
    ]


def test_functions_use_the_key_only_via_the_services_holding_their_data(resources: Resources) -> None:
    for entry in ENTRYPOINTS:
        (statement,) = kms_statements(resources, entry)
        via = statement["Condition"]["StringEquals"]["kms:ViaService"]
        services = [v["Fn::Join"][1][0] for v in via]
        expected = key_services(
            entry, has_dead_letters=entry.trigger in ("stream", "schedule", "event", "topic")
        )
        assert services == [f"{service}." for service in expected], entry.id
        assert "lambda" in expected  # it decrypts its own environment
        assert ("sqs" in expected) == (
            entry.sends_to_queue
            or entry.trigger in ("queue", "subscription", "stream", "schedule", "event", "topic")
        ), entry.id
        # Publishing to the (encrypted) schedule-events topic goes through SNS, and only that
        assert ("sns" in expected) == entry.publishes_schedule_events, entry.id


# --- backups --------------------------------------------------------------------------------------


def test_the_backup_vault_is_locked(resources: Resources, production: Resources) -> None:
    (dev_vault,) = of_type(resources, "AWS::Backup::BackupVault").values()
    (prod_vault,) = of_type(production, "AWS::Backup::BackupVault").values()
    for vault in (dev_vault, prod_vault):
        lock = props(vault)["LockConfiguration"]
        assert (lock["MinRetentionDays"], lock["MaxRetentionDays"]) == (35, 366)
    # Immutable (compliance mode) after three days in production; removable (governance) elsewhere
    assert props(prod_vault)["LockConfiguration"]["ChangeableForDays"] == 3
    assert "ChangeableForDays" not in props(dev_vault)["LockConfiguration"]
    (plan,) = of_type(production, "AWS::Backup::BackupPlan").values()
    for rule in props(plan)["BackupPlan"]["BackupPlanRule"]:
        kept = rule["Lifecycle"]["DeleteAfterDays"]
        assert 35 <= kept <= 366  # within the lock's bounds, or the vault refuses the recovery point


def test_backups_are_copied_to_the_configured_vault_of_another_account(
    resources: Resources, production: Resources
) -> None:
    (plan,) = of_type(production, "AWS::Backup::BackupPlan").values()
    rules = props(plan)["BackupPlan"]["BackupPlanRule"]
    assert {rule["RuleName"] for rule in rules} == {"Daily", "Monthly"}
    for rule in rules:
        (copy,) = rule["CopyActions"]
        assert copy["DestinationBackupVaultArn"] == COPY_VAULT
        assert copy["Lifecycle"]["DeleteAfterDays"] == rule["Lifecycle"]["DeleteAfterDays"]
    (dev_plan,) = of_type(resources, "AWS::Backup::BackupPlan").values()
    assert all("CopyActions" not in rule for rule in props(dev_plan)["BackupPlan"]["BackupPlanRule"])


def test_production_speaks_production_to_the_clearinghouse(production: Resources) -> None:
    for entry in (e for e in ENTRYPOINTS if e.uses_clearinghouse):
        env = props(production[function_id(production, entry)])["Environment"]["Variables"]
        assert (env["TANDEM_STAGE"], env["CLEARINGHOUSE_USAGE"]) == ("prod", "P")


# --- CORS (issue 11) ----------------------------------------------------------------------------


def _preflights(resources: Resources) -> list[dict[str, Any]]:
    return [
        props(body)
        for body in of_type(resources, "AWS::ApiGateway::Method").values()
        if props(body)["HttpMethod"] == "OPTIONS"
    ]


def test_every_resource_answers_preflights_for_exactly_the_stages_origins(production: Resources) -> None:
    methods = of_type(production, "AWS::ApiGateway::Method").values()
    resources_with_routes = {
        props(m)["ResourceId"]["Ref"] for m in methods if props(m)["HttpMethod"] != "OPTIONS"
    }
    preflights = _preflights(production)
    # Given the production stage's two web origins: every resource with a route has a preflight
    assert {p["ResourceId"]["Ref"] for p in preflights} == resources_with_routes
    for preflight in preflights:
        # Then it is a mock (no function), unauthenticated (browsers send no credentials)
        assert preflight["AuthorizationType"] == "NONE"
        integration = preflight["Integration"]
        assert integration["Type"] == "MOCK"
        (response,) = integration["IntegrationResponses"]
        headers = response["ResponseParameters"]
        allowed_headers = headers["method.response.header.Access-Control-Allow-Headers"]
        assert "Authorization" in allowed_headers
        assert "Idempotency-Key" in allowed_headers
        assert headers["method.response.header.Vary"] == "'Origin'"
        # And the origin is named only when it is exactly one of the two (no regex, no wildcard)
        assert "method.response.header.Access-Control-Allow-Origin" not in headers
        # (and the stack's own web app, tests/infra/test_web.py)
        template = rendered(response["ResponseTemplates"]["application/json"])
        assert f'$origin == "{WEB_APP}" || $origin == "{PREVIEW}" || $origin == "https://${{' in template
        assert "matches" not in template
        assert "*" not in template


def test_a_preflight_allows_the_methods_its_resource_serves(production: Resources) -> None:
    by_resource: dict[str, set[str]] = {}
    for body in of_type(production, "AWS::ApiGateway::Method").values():
        by_resource.setdefault(props(body)["ResourceId"]["Ref"], set()).add(props(body)["HttpMethod"])
    for preflight in _preflights(production):
        (response,) = preflight["Integration"]["IntegrationResponses"]
        allowed = response["ResponseParameters"]["method.response.header.Access-Control-Allow-Methods"]
        served = by_resource[preflight["ResourceId"]["Ref"]] - {"OPTIONS"}
        assert set(allowed.strip("'").split(", ")) == served


def test_gateway_errors_carry_cors_headers_without_credentials(production: Resources) -> None:
    responses = of_type(production, "AWS::ApiGateway::GatewayResponse").values()
    kinds = {props(r)["ResponseType"] for r in responses}
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= kinds
    for response in responses:
        headers = props(response)["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.Origin"
        assert headers["gatewayresponse.header.Vary"] == "'Origin'"
        assert not any("Credentials" in name for name in headers)


def test_api_functions_are_told_the_stages_web_origins(production: Resources) -> None:
    for entry in ENTRYPOINTS:
        env = props(production[function_id(production, entry)])["Environment"]["Variables"]
        if entry.trigger == "api":  # and the stack's own web app's (tests/infra/test_web.py)
            assert rendered(env["WEB_ORIGINS"]).startswith(f"{WEB_APP},{PREVIEW},https://${{")
        else:
            assert "WEB_ORIGINS" not in env


@pytest.mark.parametrize(
    "origins",
    [
        "*",
        "https://*.tandem.health",
        "https://app.tandem.health/",
        "http://app.tandem.health",
        "http://localhost:3000",
    ],
)
def test_settings_refuse_a_web_origin_that_is_not_exact_https(origins: str) -> None:
    with pytest.raises(ValueError, match="web_origins"):
        Settings.from_scope(cdk.App(context={"web_origins": origins}))


# --- accounts follow people (issue 11) ------------------------------------------------------------


def test_only_the_schedule_api_manages_sign_ins_and_only_in_the_two_pools(resources: Resources) -> None:
    pools = [{"Fn::GetAtt": [name, "Arn"]} for name in of_type(resources, "AWS::Cognito::UserPool")]
    for entry in ENTRYPOINTS:
        function = function_id(resources, entry)
        cognito = [
            s
            for s in role_statements(resources, function)
            if any(str(a).startswith("cognito-idp:") for a in as_list(s["Action"]))
        ]
        if entry.manages_sign_ins:
            (statement,) = cognito
            assert sorted(as_list(statement["Action"])) == sorted(f"cognito-idp:{a}" for a in SIGN_IN_ACTIONS)
            assert sorted(map(json.dumps, as_list(statement["Resource"]))) == sorted(map(json.dumps, pools))
            env = props(resources[function])["Environment"]["Variables"]
            refs = {env[USER_POOL_ENV]["Ref"], env[STAFF_USER_POOL_ENV]["Ref"]}
            assert refs == set(of_type(resources, "AWS::Cognito::UserPool"))
            assert "Staff" in env[STAFF_USER_POOL_ENV]["Ref"]
        else:
            assert cognito == [], entry.id
    assert [e.id for e in ENTRYPOINTS if e.manages_sign_ins] == ["ScheduleApi"]
