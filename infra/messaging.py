"""Messaging: the notify send queue and its DLQ, dead-letter queues, inbound-SMS topic, schedule rules."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.data import Data

DLQ_RETENTION = Duration.days(14)
MAX_RECEIVE_COUNT = 5
VISIBILITY_PER_TIMEOUT = 6
"""AWS's guidance for SQS event sources: visibility timeout at least six times the function timeout."""


class Messaging(Construct):
    """Queues and topics; `dead_letter_queues` lists every DLQ (monitoring alarms on each)."""

    def __init__(self, scope: Construct, construct_id: str, *, data: Data, sender_timeout: Duration) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self._eventbridge_uses_key = False

        self.notify_dlq = self._encrypted_queue("NotifySendDlq", retention_period=DLQ_RETENTION)
        self.dead_letter_queues["NotifySendDlq"] = self.notify_dlq
        self.notify_queue = self._encrypted_queue(
            "NotifySendQueue",
            visibility_timeout=Duration.seconds(sender_timeout.to_seconds() * VISIBILITY_PER_TIMEOUT),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=self.notify_dlq),
        )

        # Two-way SMS: AWS End User Messaging SMS publishes inbound replies (STOP, START,
        # HELP, confirmations) to this topic.
        data.allow_service("SmsVoicePublishInbound", "sms-voice.amazonaws.com", _PRODUCER_KMS_ACTIONS)
        self.inbound_sms_topic = sns.Topic(
            self,
            "InboundSmsTopic",
            master_key=data.key,
            enforce_ssl=True,
        )
        self.inbound_sms_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EndUserMessagingSmsPublish",
                principals=[iam.ServicePrincipal("sms-voice.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.inbound_sms_topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )

    def dead_letter_queue(self, construct_id: str) -> sqs.Queue:
        """An encrypted queue keeping dead letters for 14 days (monitoring alarms on each)."""
        queue = self._encrypted_queue(construct_id, retention_period=DLQ_RETENTION)
        self.dead_letter_queues[construct_id] = queue
        return queue

    def schedule(
        self,
        construct_id: str,
        function: lambda_.IFunction,
        *,
        expression: str,
        description: str,
        dead_letter_queue: sqs.IQueue,
    ) -> events.Rule:
        """An EventBridge rule invoking `function` on `expression` (e.g. `rate(1 minute)`,
        `cron(0 8 * * ? *)`), with retries and a DLQ."""
        if not self._eventbridge_uses_key:
            self._data.allow_service("EventBridgeDeadLetters", "events.amazonaws.com", _PRODUCER_KMS_ACTIONS)
            self._eventbridge_uses_key = True
        rule = events.Rule(
            self,
            construct_id,
            description=description[:512],
            schedule=events.Schedule.expression(expression),
        )
        rule.add_target(
            targets.LambdaFunction(
                function,
                dead_letter_queue=dead_letter_queue,
                retry_attempts=2,
                max_event_age=Duration.minutes(5),
            )
        )
        return rule

    def _encrypted_queue(
        self,
        construct_id: str,
        *,
        retention_period: Duration | None = None,
        visibility_timeout: Duration | None = None,
        dead_letter_queue: sqs.DeadLetterQueue | None = None,
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._data.key,
            data_key_reuse=Duration.minutes(5),
            enforce_ssl=True,
            retention_period=retention_period,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=dead_letter_queue,
        )


_PRODUCER_KMS_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]
"""What a service needs on the CMK to put messages into an encrypted queue or topic."""
