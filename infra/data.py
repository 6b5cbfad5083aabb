"""Data: the customer-managed KMS key and one DynamoDB table per `functions.common.tables` definition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from functions.common.tables import ALL_TABLES, Index, TableDef
from infra import nag
from infra.config import PRODUCTION_STAGE

DAILY_RETENTION: Final = Duration.days(35)
MONTHLY_RETENTION: Final = Duration.days(366)
LOCK_COOLING_OFF: Final = Duration.days(3)
"""How long a production vault lock may still be removed before it becomes immutable (compliance mode)."""


def construct_id(key: str) -> str:
    """`participant_week` -> `ParticipantWeek`: a table key as a construct id stem."""
    return "".join(part.capitalize() for part in key.replace("-", "_").split("_"))


def _attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Data(Construct):
    """The CMK, every table (keyed by `TableDef.key`) and their AWS Backup plan."""

    def __init__(
        self, scope: Construct, construct_id_: str, *, stage: str = "dev", backup_copy_vault_arn: str = ""
    ) -> None:
        super().__init__(scope, construct_id_)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            description="Tandem customer-managed key: tables, queues, topics, logs, function environments",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudWatch Logs encrypts every Tandem log group with this key; only for log groups
        # of this account and region (the encryption context names the log group).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:DescribeKey",
                ],
                resources=["*"],
                # The encryption context names the log group, so it scopes the use to this account's
                # log groups more tightly than an aws:SourceArn pattern would.
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )

        self.tables: dict[str, dynamodb.Table] = {}
        for definition in ALL_TABLES:
            self.tables[definition.key] = self._table(definition)
        self.backup_vault = self._backup_plan(stage, backup_copy_vault_arn)

    def allow_service(
        self, sid: str, service: str, actions: list[str], *, source_arns: Sequence[str]
    ) -> None:
        """Let an AWS service principal use the key (e.g. to write to an encrypted queue or topic),
        only on behalf of this account's resources: `aws:SourceAccount` always, and `aws:SourceArn`
        matching one of `source_arns` (ARN patterns), so nobody can make the service use the key
        for their own resources (the confused deputy)."""
        if not source_arns:
            raise ValueError(f"{sid}: name the resources {service} acts for (aws:SourceArn)")
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=actions,
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                    "ArnLike": {"aws:SourceArn": list(source_arns)},
                },
            )
        )

    def table(self, definition: TableDef) -> dynamodb.Table:
        """The table built from `definition`."""
        return self.tables[definition.key]

    def _table(self, definition: TableDef) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{construct_id(definition.key)}Table",
            partition_key=_attribute(definition.partition_key),
            sort_key=_attribute(definition.sort_key) if definition.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            stream=dynamodb.StreamViewType(definition.stream) if definition.stream else None,
            time_to_live_attribute=definition.ttl_attribute,
        )
        for index in definition.indexes:
            _add_index(table, index)
        Tags.of(table).add("tandem:table", definition.key)
        Tags.of(table).add("tandem:data-classification", "phi")
        return table

    def _backup_plan(self, stage: str, copy_vault_arn: str) -> backup.BackupVault:
        # The vault lock keeps every recovery point for at least the shortest retention of the plan,
        # and no rule may keep one longer than the longest: nobody (not even the account root) can
        # delete a recovery point early. In production the lock becomes immutable (compliance mode)
        # after a cooling-off period; elsewhere it stays removable (governance mode).
        vault = backup.BackupVault(
            self,
            "BackupVault",
            encryption_key=self.key,
            block_recovery_point_deletion=True,
            lock_configuration=backup.LockConfiguration(
                min_retention=DAILY_RETENTION,
                max_retention=MONTHLY_RETENTION,
                changeable_for=LOCK_COOLING_OFF if stage == PRODUCTION_STAGE else None,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        copy_to = (
            backup.BackupVault.from_backup_vault_arn(self, "CopyVault", copy_vault_arn)
            if copy_vault_arn
            else None
        )

        def rule(name: str, schedule: events.Schedule, keep: Duration) -> backup.BackupPlanRule:
            copies = (
                [backup.BackupPlanCopyActionProps(destination_backup_vault=copy_to, delete_after=keep)]
                if copy_to is not None
                else None
            )
            return backup.BackupPlanRule(
                rule_name=name, schedule_expression=schedule, delete_after=keep, copy_actions=copies
            )

        plan = backup.BackupPlan(
            self,
            "BackupPlan",
            backup_vault=vault,
            backup_plan_rules=[
                rule("Daily", events.Schedule.cron(hour="5", minute="0"), DAILY_RETENTION),
                rule("Monthly", events.Schedule.cron(day="1", hour="5", minute="0"), MONTHLY_RETENTION),
            ],
        )
        selection = plan.add_selection(
            "Tables",
            resources=[backup.BackupResource.from_dynamo_db_table(table) for table in self.tables.values()],
        )
        nag.acknowledge(
            selection,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSBackupServiceRolePolicyForBackup]",
            "The AWS Backup service role uses AWSBackupServiceRolePolicyForBackup, the AWS-maintained "
            "policy AWS Backup documents for backup jobs; it is assumable only by backup.amazonaws.com "
            "and AWS keeps it in step with the services Backup supports.",
        )
        return vault


def _add_index(table: dynamodb.Table, index: Index) -> None:
    table.add_global_secondary_index(
        index_name=index.name,
        partition_key=_attribute(index.partition_key),
        sort_key=_attribute(index.sort_key) if index.sort_key else None,
        projection_type=dynamodb.ProjectionType.INCLUDE if index.projected else dynamodb.ProjectionType.ALL,
        non_key_attributes=list(index.projected) if index.projected else None,
    )
