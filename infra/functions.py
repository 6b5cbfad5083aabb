"""Functions: one Lambda function, log group, role and customer-managed policy per catalog entry point.

Roles are handed to Lambda wrapped by `without_policy_updates()`, so no CDK `grant*`
helper (tracing, event sources, DLQs) can widen them behind our back: every permission
a function has is written out below from `functions.catalog`.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from aws_cdk import ArnFormat, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.catalog import (
    APP_URL_ENV,
    CLEARINGHOUSE_MODE_ENV,
    CLEARINGHOUSE_SECRET_ENV,
    CLEARINGHOUSE_URL_ENV,
    CLEARINGHOUSE_USAGE_ENV,
    COORDINATOR_ALERT_IDS_ENV,
    DEFAULT_TIMEOUT_SECONDS,
    DLQ_URL_ENV,
    ENTRYPOINTS,
    EVENT_BUS_ENV,
    PART2_COORDINATORS_ENV,
    PART2_EXTRA_TYPES_ENV,
    PROBE_ACTIONS,
    QUEUE_URL_ENV,
    SCHEDULE_EVENTS_TOPIC_ENV,
    SENDER_EMAIL_ENV,
    SES_CONFIGURATION_SET_ENV,
    SMS_HELP_LINE_ENV,
    Entrypoint,
    Trigger,
    dependencies,
)
from functions.common import tables
from functions.common.cors import ORIGINS_ENV as WEB_ORIGINS_ENV
from infra import nag, permissions
from infra.config import CLEARINGHOUSE_SECRET_NAME, EVERY_COORDINATOR, Settings
from infra.data import Data
from infra.messaging import Messaging

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
RUNTIME: Final = lambda_.Runtime.PYTHON_3_13
MEMORY_MB: Final = 512
TIMEOUT_SECONDS: Final[dict[Trigger, int]] = DEFAULT_TIMEOUT_SECONDS
"""Per trigger, unless the entry point names its own (`Entrypoint.timeout`)."""
LOG_RETENTION: Final = logs.RetentionDays.SIX_YEARS
POWERTOOLS_LAYER_ARN: Final = (
    "arn:aws:lambda:${{AWS::Region}}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:{version}"
)
ASYNC_TRIGGERS: Final[frozenset[Trigger]] = frozenset({"schedule", "event", "topic"})
QUEUED_TRIGGERS: Final[frozenset[Trigger]] = frozenset({"queue", "subscription"})
"""Triggers whose events wait on an SQS queue (a redrive policy dead-letters what keeps failing)."""
"""Triggers that invoke the function asynchronously (an EventBridge rule, an SNS subscription): the
rule target (or SNS's delivery policy) and the function's own asynchronous-invocation config each
retry, then dead-letter into the entry point's DLQ."""
STREAM_BATCH_SIZE: Final = 100
STREAM_RETRY_ATTEMPTS: Final = 5
QUEUE_BATCH_SIZE: Final = 10

_STAGED: dict[str, Path] = {}


def key_services(entry: Entrypoint, *, has_dead_letters: bool) -> list[str]:
    """The services through which `entry`'s role may use the CMK (`kms:ViaService`): Lambda (it
    decrypts the function's environment with the role), DynamoDB for its tables and the schedule
    stream, SQS for the encrypted queues it sends to or reads (a function's DLQ is filled by Lambda
    with the role), EventBridge for the encrypted program bus it puts events on."""
    services = ["lambda"]
    if entry.grants or entry.trigger == "stream":
        services.append("dynamodb")
    if entry.sends_to_queue or entry.trigger in QUEUED_TRIGGERS or has_dead_letters:
        services.append("sqs")
    if entry.emits_events:
        services.append("events")
    if entry.publishes_schedule_events:
        services.append("sns")
    return services


def stage_code(domain: str) -> Path:
    """A directory holding only what `domain`'s functions import from this repository.

    `functions/__init__.py`, `functions/catalog.py`, `functions/common/`, `functions/contracts/`
    (the published events) and `functions/<domain>/`, without bytecode. Staging a copy (rather
    than excluding from the repository root) keeps the asset fingerprint from walking `.venv`.
    """
    if domain in _STAGED and _STAGED[domain].exists():
        return _STAGED[domain]
    source = REPO_ROOT / "functions"
    target = Path(tempfile.mkdtemp(prefix=f"tandem-{domain}-"))
    atexit.register(shutil.rmtree, target, True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    package = target / "functions"
    package.mkdir()
    for name in ("__init__.py", "catalog.py"):
        shutil.copy2(source / name, package / name)
    for name in ("common", "contracts", domain):
        shutil.copytree(source / name, package / name, ignore=ignore)
    requirements = REPO_ROOT / "requirements" / f"lambda-{domain}.txt"
    if requirements.exists():
        shutil.copytree(vendored(requirements), target, dirs_exist_ok=True)
    _STAGED[domain] = target
    return target


def vendored(requirements: Path) -> Path:
    """The pinned packages of `requirements`, installed for Lambda's arm64 Python 3.13 without
    Docker (wheels only), cached under .cache/ by the file's hash so synths reuse them."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    cache = REPO_ROOT / ".cache" / "lambda-deps" / f"{requirements.stem}-{digest}"
    if not (cache / ".complete").exists():
        partial = cache.with_name(cache.name + f".partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(  # noqa: S603 - fixed arguments, our own pinned file
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                "manylinux2014_aarch64",
                "--python-version",
                "3.13",
                "--implementation",
                "cp",
                "--target",
                str(partial),
                "-r",
                str(requirements),
            ],
            check=True,
        )
        (partial / ".complete").touch()
        if (cache / ".complete").exists():
            # Another process (a parallel test worker) finished first and may be copying
            # from its cache right now: keep it, drop ours.
            shutil.rmtree(partial, ignore_errors=True)
        else:
            shutil.rmtree(cache, ignore_errors=True)  # an interrupted, incomplete one
            try:
                partial.rename(cache)
            except OSError:
                shutil.rmtree(partial, ignore_errors=True)  # lost the race to another worker
    return cache


class Functions(Construct):
    """Every catalog entry point as a function (by `Entrypoint.id`), wired to its trigger."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        data: Data,
        messaging: Messaging,
    ) -> None:
        super().__init__(scope, construct_id)
        self._settings = settings
        self._data = data
        self._messaging = messaging
        self.functions: dict[str, lambda_.Function] = {}
        self.entrypoints: dict[str, Entrypoint] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.policies: dict[str, iam.ManagedPolicy] = {}
        self.rules: dict[str, events.Rule] = {}
        self.subscriptions: dict[str, sns.Subscription] = {}
        self._powertools = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            Fn.sub(POWERTOOLS_LAYER_ARN.format(version=settings.powertools_layer_version)),
        )
        for entry in ENTRYPOINTS:
            self._build(entry)

    def allow_web_origins(self, origins: Sequence[str]) -> None:
        """Tell every API function the web origins its responses may name (`WEB_ORIGINS`): the
        stage's `web_origins` and the stack's own web app, whose CloudFront domain is a token
        (the variable becomes an `Fn::Join`), so the stack calls this once the distribution exists."""
        for entry_id, entry in self.entrypoints.items():
            if entry.trigger == "api":
                self.functions[entry_id].add_environment(WEB_ORIGINS_ENV, ",".join(origins))

    def api_function(self, domain: str) -> lambda_.Function:
        """The function serving `domain`'s API routes."""
        for entry_id, entry in self.entrypoints.items():
            if entry.trigger == "api" and entry.domain == domain:
                return self.functions[entry_id]
        raise KeyError(f"no API entry point for domain {domain!r}")

    def _build(self, entry: Entrypoint) -> None:
        key = self._data.key
        log_group = logs.LogGroup(
            self,
            f"{entry.id}Logs",
            encryption_key=key,
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        dead_letters: sqs.Queue | None = None
        if entry.trigger == "stream" or entry.trigger in ASYNC_TRIGGERS:
            dead_letters = self._messaging.dead_letter_queue(f"{entry.id}Dlq")
        if entry.trigger == "stream":
            assert dead_letters is not None
            nag.acknowledge(
                dead_letters,
                "AwsSolutions-SQS3",
                f"This queue is itself a dead-letter queue: the on-failure destination of {entry.id}'s "
                "schedule-stream event source mapping (records of batches that failed after bisecting "
                "and retries). The rule only recognises redrive-policy and Lambda DeadLetterConfig DLQs. "
                "It is alarmed on its first message and drained by operators.",
            )

        policy = iam.ManagedPolicy(
            self,
            f"{entry.id}Policy",
            description=f"Least privilege for Tandem {entry.id}",
            statements=self._statements(entry, log_group, dead_letters),
        )
        self._acknowledge_policy(entry, policy)
        # The role references the policy, so it exists (and the function after it) only once
        # the policy does: AWS validates event source mappings against the role's permissions.
        role = iam.Role(
            self,
            f"{entry.id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Tandem {entry.id}: {entry.description}"[:1000],
            managed_policies=[policy],
        )

        function = lambda_.Function(
            self,
            entry.id,
            description=entry.description[:256],
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=entry.handler,
            code=lambda_.Code.from_asset(str(stage_code(entry.domain))),
            layers=[self._powertools],
            memory_size=MEMORY_MB,
            timeout=Duration.seconds(entry.timeout),
            reserved_concurrent_executions=self._reserved_concurrency(entry),
            tracing=lambda_.Tracing.ACTIVE,
            environment=self._environment(entry),
            environment_encryption=key,
            role=role.without_policy_updates(),
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            dead_letter_queue=dead_letters if entry.trigger in ASYNC_TRIGGERS else None,
            retry_attempts=2 if entry.trigger in ASYNC_TRIGGERS else None,
            max_event_age=Duration.minutes(5) if entry.trigger in ASYNC_TRIGGERS else None,
        )
        # CDK adds an explicit DependsOn on the role, which the role ARN reference already implies.
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        self._acknowledge_function(entry, function)
        self._wire_trigger(entry, function, dead_letters)

        self.functions[entry.id] = function
        self.entrypoints[entry.id] = entry
        self.log_groups[entry.id] = log_group
        self.policies[entry.id] = policy

    def _reserved_concurrency(self, entry: Entrypoint) -> int:
        if entry.trigger == "api":
            return self._settings.api_reserved_concurrency
        return self._settings.worker_reserved_concurrency

    def _environment(self, entry: Entrypoint) -> dict[str, str]:
        env = {
            "POWERTOOLS_SERVICE_NAME": entry.domain,
            "POWERTOOLS_METRICS_NAMESPACE": "Tandem",
            "LOG_LEVEL": "INFO",
            # No PHI in traces: never record handler return values or exception messages.
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
            "TANDEM_STAGE": self._settings.stage,
        }
        for grant in entry.grants:
            env[grant.table.env_var] = self._data.table(grant.table).table_name
        if entry.sends_to_queue or entry.trigger == "queue":
            env[QUEUE_URL_ENV] = self._messaging.notify_queue.queue_url
        if entry.watches_dead_letters:
            env[DLQ_URL_ENV] = self._messaging.notify_dlq.queue_url
        if entry.sends_email:
            env[SENDER_EMAIL_ENV] = self._settings.sender_email
            env[SES_CONFIGURATION_SET_ENV] = self._messaging.email_configuration_set.configuration_set_name
        if entry.uses_video_rooms:
            env["VIDEO_ROOMS"] = "chime"
        if entry.uses_clearinghouse:
            env[CLEARINGHOUSE_MODE_ENV] = "https"
            env[CLEARINGHOUSE_URL_ENV] = self._settings.clearinghouse_url
            env[CLEARINGHOUSE_SECRET_ENV] = self.clearinghouse_secret()[0]
            env[CLEARINGHOUSE_USAGE_ENV] = "P" if self._settings.stage == "prod" else "T"
        if entry.emits_events:
            env[EVENT_BUS_ENV] = self._messaging.event_bus.event_bus_name
        if entry.publishes_schedule_events:
            env[SCHEDULE_EVENTS_TOPIC_ENV] = self._messaging.schedule_events_topic.topic_arn
        if entry.notifies_coordinators:
            env[COORDINATOR_ALERT_IDS_ENV] = self._settings.coordinator_alert_ids
        if entry.shows_part2:
            env[PART2_EXTRA_TYPES_ENV] = self._settings.part2_extra_types
            if self._settings.part2_coordinators != EVERY_COORDINATOR:  # unset: every coordinator
                env[PART2_COORDINATORS_ENV] = self._settings.part2_coordinators
        if entry.sends_email or entry.sends_sms:
            env[APP_URL_ENV] = self._settings.app_url
        if entry.trigger == "topic":
            env[SMS_HELP_LINE_ENV] = self._settings.sms_help_line
        if entry.checks_readiness:
            env.update({name: value for name, (value, _arn) in self._dependency_resources().items()})
        env.update(entry.env)
        return env

    def _dependency_resources(self) -> dict[str, tuple[str, str]]:
        """Per variable naming one of the catalog's `dependencies()`: its value (a table or bus
        name, a queue URL) and its ARN."""
        named = {d.env_var for d in dependencies() if d.env_var}
        found: dict[str, tuple[str, str]] = {}
        for definition in tables.ALL_TABLES:
            table = self._data.table(definition)
            found[definition.env_var] = (table.table_name, table.table_arn)
        queue, dlq, bus = self._messaging.notify_queue, self._messaging.notify_dlq, self._messaging.event_bus
        found[QUEUE_URL_ENV] = (queue.queue_url, queue.queue_arn)
        found[DLQ_URL_ENV] = (dlq.queue_url, dlq.queue_arn)
        found[EVENT_BUS_ENV] = (bus.event_bus_name, bus.event_bus_arn)
        missing = named - set(found)
        if missing:
            raise ValueError(f"no resource for the dependencies named by {sorted(missing)}")
        return {name: found[name] for name in sorted(named)}

    def _readiness_statements(self) -> list[iam.PolicyStatement]:
        """The readiness probes: one metadata-only action per service, on each dependency's
        resource (account-level SES and SNS on `*`, which is all IAM offers for them)."""
        resources = self._dependency_resources()
        arns: dict[str, list[str]] = {}
        for dependency in dependencies():
            target = resources[dependency.env_var][1] if dependency.env_var else "*"
            arns.setdefault(dependency.service, []).append(target)
        return [
            iam.PolicyStatement(
                sid=f"ReadinessProbe{permissions.sid(service)}",
                actions=[PROBE_ACTIONS[service]],
                resources=list(dict.fromkeys(targets)),
            )
            for service, targets in sorted(arns.items())
        ]

    def clearinghouse_secret(self) -> tuple[str, str]:
        """The clearinghouse secret as functions name it (`SecretId`) and as IAM grants it.

        A configured (complete) ARN is both. Otherwise the secret `tandem/clearinghouse` of this
        account and region: functions get its partial ARN, which GetSecretValue resolves, and IAM
        its ARN with the `-??????` pattern standing for the 6 characters Secrets Manager appends.
        """
        configured = self._settings.clearinghouse_secret_arn
        if configured:
            return configured, configured
        partial = Stack.of(self).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=CLEARINGHOUSE_SECRET_NAME,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return partial, f"{partial}-??????"

    def _statements(
        self, entry: Entrypoint, log_group: logs.LogGroup, dead_letters: sqs.Queue | None
    ) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="XRayTraces",
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="UseTandemKey",
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[self._data.key.key_arn],
                # Only through the services holding its encrypted data, never a direct KMS call.
                conditions={
                    "StringEquals": {
                        "kms:ViaService": [
                            f"{service}.{stack.region}.amazonaws.com"
                            for service in key_services(entry, has_dead_letters=dead_letters is not None)
                        ]
                    }
                },
            ),
        ]
        for grant in entry.grants:
            statements.extend(permissions.grant_statements(grant, self._data.table(grant.table)))

        queue = self._messaging.notify_queue
        if entry.trigger == "stream":
            schedule = self._schedule_table()
            statements += [
                iam.PolicyStatement(
                    sid="ReadScheduleStream",
                    actions=list(permissions.STREAM_READ_ACTIONS),
                    resources=[schedule.table_stream_arn or ""],
                ),
                iam.PolicyStatement(
                    sid="ListScheduleStreams",
                    actions=["dynamodb:ListStreams"],
                    resources=[f"{schedule.table_arn}/stream/*"],
                ),
            ]
        if entry.trigger == "queue":
            statements.append(
                iam.PolicyStatement(
                    sid="ConsumeSendQueue",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[queue.queue_arn],
                )
            )
        if entry.sends_to_queue:
            statements.append(
                iam.PolicyStatement(
                    sid="FillSendQueue", actions=["sqs:SendMessage"], resources=[queue.queue_arn]
                )
            )
        if entry.watches_dead_letters:
            # How many messages wait there, nothing more: no receive, no delete.
            statements.append(
                iam.PolicyStatement(
                    sid="CountSendDeadLetters",
                    actions=["sqs:GetQueueAttributes"],
                    resources=[self._messaging.notify_dlq.queue_arn],
                )
            )
        if dead_letters is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="SendToOwnDlq", actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn]
                )
            )
        if entry.sends_email:
            configuration_set = self._messaging.email_configuration_set.configuration_set_name
            statements.append(
                iam.PolicyStatement(
                    sid="SendEmailAsSender",
                    actions=["ses:SendEmail", "ses:SendRawEmail"],
                    # SES authorizes a send against its identity and its configuration set.
                    resources=[
                        *(
                            stack.format_arn(service="ses", resource="identity", resource_name=identity)
                            for identity in (self._settings.sender_email, self._settings.sender_domain)
                        ),
                        stack.format_arn(
                            service="ses", resource="configuration-set", resource_name=configuration_set
                        ),
                    ],
                    conditions={"StringEquals": {"ses:FromAddress": self._settings.sender_email}},
                )
            )
        if entry.trigger == "subscription":
            statements.append(
                iam.PolicyStatement(
                    sid="ConsumeOwnSubscription",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[self._messaging.subscription_queue(entry).queue_arn],
                )
            )
        if entry.publishes_schedule_events:
            statements.append(
                iam.PolicyStatement(
                    sid="PublishScheduleEvents",
                    actions=["sns:Publish"],
                    resources=[self._messaging.schedule_events_topic.topic_arn],
                )
            )
        if entry.emits_events:
            statements.append(
                iam.PolicyStatement(
                    sid="PutProgramEvents",
                    actions=["events:PutEvents"],
                    resources=[self._messaging.event_bus.event_bus_arn],
                )
            )
        if entry.uses_clearinghouse:
            # Only the one secret; operations create it (vendor-issued credentials), so the stack
            # has no secret resource to rotate. It is expected to use the aws/secretsmanager key.
            statements.append(
                iam.PolicyStatement(
                    sid="ReadClearinghouseSecret",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.clearinghouse_secret()[1]],
                )
            )
        if entry.uses_video_rooms:
            statements.append(
                iam.PolicyStatement(
                    sid="VideoRooms",
                    actions=["chime:CreateMeeting", "chime:CreateAttendee", "chime:GetMeeting"],
                    resources=[stack.format_arn(service="chime", resource="meeting", resource_name="*")],
                )
            )
        if entry.checks_readiness:
            statements += self._readiness_statements()
        if entry.sends_sms:
            statements += [
                # Publishing straight to a phone number has no resource ARN to scope to.
                iam.PolicyStatement(sid="SendSms", actions=["sns:Publish"], resources=["*"]),
                # ... so topics, which do have ARNs, are excluded explicitly.
                iam.PolicyStatement(
                    sid="NoTopicPublish",
                    effect=iam.Effect.DENY,
                    actions=["sns:Publish"],
                    resources=[f"arn:{stack.partition}:sns:*:*:*"],
                ),
            ]
        return statements

    def _wire_trigger(
        self, entry: Entrypoint, function: lambda_.Function, dead_letters: sqs.Queue | None
    ) -> None:
        if entry.trigger == "stream":
            assert dead_letters is not None
            function.add_event_source(
                sources.DynamoEventSource(
                    self._schedule_table(),
                    starting_position=lambda_.StartingPosition.LATEST,
                    batch_size=STREAM_BATCH_SIZE,
                    bisect_batch_on_error=True,
                    retry_attempts=STREAM_RETRY_ATTEMPTS,
                    max_record_age=Duration.days(1),
                    report_batch_item_failures=True,
                    on_failure=sources.SqsDlq(dead_letters),
                    filters=[lambda_.FilterCriteria.filter(pattern) for pattern in entry.stream_filters],
                )
            )
        elif entry.trigger == "queue":
            function.add_event_source(
                sources.SqsEventSource(
                    self._messaging.notify_queue,
                    batch_size=QUEUE_BATCH_SIZE,
                    report_batch_item_failures=True,
                    max_concurrency=max(2, self._reserved_concurrency(entry)),
                )
            )
        elif entry.trigger == "subscription":
            function.add_event_source(
                sources.SqsEventSource(
                    self._messaging.subscription_queue(entry),
                    batch_size=QUEUE_BATCH_SIZE,
                    report_batch_item_failures=True,
                    max_concurrency=max(2, self._reserved_concurrency(entry)),
                )
            )
        elif entry.trigger == "schedule":
            assert dead_letters is not None
            self.rules[entry.id] = self._messaging.schedule(
                f"{entry.id}Schedule",
                function,
                expression=entry.schedule,
                description=f"Tandem {entry.id} on {entry.schedule}: {entry.description}",
                dead_letter_queue=dead_letters,
            )
        elif entry.trigger == "event":
            assert dead_letters is not None
            self.rules[entry.id] = self._messaging.on_bus(
                f"{entry.id}Rule",
                function,
                pattern=entry.event_pattern,
                description=f"Tandem {entry.id} on the program bus: {entry.description}",
                dead_letter_queue=dead_letters,
            )
        elif entry.trigger == "topic":
            assert dead_letters is not None
            self.subscriptions[entry.id] = self._messaging.on_inbound_sms(
                function, dead_letter_queue=dead_letters
            )

    def _schedule_table(self) -> dynamodb.Table:
        return self._data.table(tables.SCHEDULE)

    def _acknowledge_policy(self, entry: Entrypoint, policy: iam.ManagedPolicy) -> None:
        star_reason = (
            "Resource '*' is used only where IAM offers no resource-level permission: "
            "xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing)"
        )
        if entry.sends_sms:
            star_reason += (
                ", and sns:Publish to a phone number (SMS has no ARN); a Deny on every SNS topic "
                "ARN in the same policy keeps that Allow from reaching any topic"
            )
        if entry.checks_readiness:
            star_reason += (
                ", and the readiness check's account-level probes ses:GetSendQuota and "
                "sns:GetSMSAttributes, which read the account's sending quota and SMS settings "
                "(no data, no resource to scope to)"
            )
        nag.acknowledge(policy, nag.wildcard_finding("*"), star_reason + ". No action is wildcarded.")
        if entry.uses_video_rooms:
            nag.acknowledge(
                policy,
                nag.wildcard_finding("arn:<AWS::Partition>:chime:<AWS::Region>:<AWS::AccountId>:meeting/*"),
                "Chime SDK meetings are created per session at join time, so their ids cannot be named "
                "in advance; the grant is limited to meetings of this account and region and to "
                "CreateMeeting, CreateAttendee and GetMeeting.",
            )
        if entry.trigger == "stream":
            schedule = self._schedule_table()
            nag.acknowledge(
                policy,
                nag.wildcard_finding(f"{nag.arn_of(schedule)}/stream/*"),
                "dynamodb:ListStreams is granted on the schedule table's own streams "
                "(table/<schedule>/stream/*) as AWS documents for stream consumers; the stream "
                "label changes whenever the stream is re-enabled, so it cannot be named. Record "
                "reads are on the exact current stream ARN.",
            )

    def _acknowledge_function(self, entry: Entrypoint, function: lambda_.Function) -> None:
        nag.acknowledge(
            function,
            "AwsSolutions-L1",
            "Pinned to python3.13 on purpose: the official Powertools for AWS Lambda v3 public "
            "layer this function uses is the python313-arm64 build, and the code and its lock "
            "file are tested on 3.13. Moving to a newer runtime is a deliberate upgrade.",
        )
        outside_vpc = (
            "The function reaches only AWS regional service endpoints (DynamoDB, SQS, SES, SNS, "
            "EventBridge, KMS, X-Ray, CloudWatch Logs) over TLS with SigV4/IAM; it has no private network "
            "resource to reach, and every data store is encrypted with the Tandem CMK and guarded "
            "by a least-privilege role."
        )
        if entry.uses_clearinghouse:
            outside_vpc += (
                " For eligibility it also calls Secrets Manager (one secret) and the clearinghouse's "
                "public HTTPS endpoint with the vendor-issued credentials; a VPC would only route that "
                "same TLS call through a NAT gateway, adding no private resource or protection."
            )
        nag.acknowledge(function, "HIPAA.Security-LambdaInsideVPC", outside_vpc)
        if entry.trigger == "api":
            nag.acknowledge(
                function,
                "HIPAA.Security-LambdaDLQ",
                "Invoked synchronously by API Gateway (RequestResponse): a dead-letter "
                "configuration applies only to asynchronous invocations; a failure is returned "
                "to the caller as an RFC 9457 problem and alarmed on (Errors, API 5XX).",
            )
        elif entry.trigger == "stream":
            nag.acknowledge(
                function,
                "HIPAA.Security-LambdaDLQ",
                "Invoked by a DynamoDB stream event source mapping, never asynchronously: failed "
                "batches (after bisecting and retries) go to the mapping's on-failure SQS "
                "destination, the DLQ equivalent for stream sources, which is alarmed on.",
            )
        elif entry.trigger == "queue":
            nag.acknowledge(
                function,
                "HIPAA.Security-LambdaDLQ",
                "Invoked by an SQS event source mapping, never asynchronously: a message that "
                "keeps failing is moved by the send queue's redrive policy to its DLQ after "
                "5 receives, which is alarmed on.",
            )
        elif entry.trigger == "subscription":
            nag.acknowledge(
                function,
                "HIPAA.Security-LambdaDLQ",
                "Invoked by an SQS event source mapping on its own FIFO queue of the schedule-events "
                "topic, never asynchronously: an event that keeps failing is moved by that queue's "
                "redrive policy to its FIFO DLQ after 5 receives, which is alarmed on.",
            )
