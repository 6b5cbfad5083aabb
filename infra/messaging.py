"""Messaging: the notify send queue and its DLQ, dead-letter queues, inbound-SMS topic, the program's
event bus, schedule rules and rules on the bus."""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.catalog import Entrypoint
from infra import nag
from infra.data import Data

DLQ_RETENTION = Duration.days(14)
MAX_RECEIVE_COUNT = 5
VISIBILITY_PER_TIMEOUT = 6
"""AWS's guidance for SQS event sources: visibility timeout at least six times the function timeout."""
TARGET_RETRY_ATTEMPTS = 2
TARGET_MAX_EVENT_AGE = Duration.minutes(5)


def email_configuration_set_name(stage: str) -> str:
    """The SES configuration set of a stage, e.g. `tandem-prod-email`."""
    return f"tandem-{stage}-email"


def schedule_events_topic_name(stage: str) -> str:
    """The schedule-events topic of a stage (FIFO), e.g. `tandem-prod-schedule-events.fifo`."""
    return f"tandem-{stage}-schedule-events.fifo"


def event_bus_name(stage: str) -> str:
    """The program's custom EventBridge bus of a stage, e.g. `tandem-prod-events`."""
    return f"tandem-{stage}-events"


class Messaging(Construct):
    """Queues and topics; `dead_letter_queues` lists every DLQ (monitoring alarms on each)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, sender_timeout: Duration, stage: str
    ) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        self._stage = stage
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self._eventbridge_uses_key = False
        self._sns_uses_key = False

        self.notify_dlq = self._encrypted_queue("NotifySendDlq", retention_period=DLQ_RETENTION)
        self.dead_letter_queues["NotifySendDlq"] = self.notify_dlq
        self.notify_queue = self._encrypted_queue(
            "NotifySendQueue",
            visibility_timeout=Duration.seconds(sender_timeout.to_seconds() * VISIBILITY_PER_TIMEOUT),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=self.notify_dlq),
        )

        # Two-way SMS: AWS End User Messaging SMS publishes inbound replies (STOP, START,
        # HELP, confirmations) to this topic.
        stack = Stack.of(self)
        data.allow_service(
            "SmsVoicePublishInbound",
            "sms-voice.amazonaws.com",
            _PRODUCER_KMS_ACTIONS,
            # The program's phone numbers (or a pool of them) of this account and region.
            source_arns=[
                stack.format_arn(service="sms-voice", resource=kind, resource_name="*")
                for kind in ("phone-number", "pool")
            ],
        )
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

        # Schedule's published domain events (functions/contracts/schedule.py): FIFO, so each
        # subject's events reach every subscriber in the order schedule wrote them; encrypted
        # with the CMK (a person's contact details travel in person.changed).
        self.schedule_events_topic = sns.Topic(
            self,
            "ScheduleEventsTopic",
            topic_name=schedule_events_topic_name(stage),
            fifo=True,
            content_based_deduplication=False,
            master_key=data.key,
            enforce_ssl=True,
        )
        self._subscriptions: dict[str, sqs.Queue] = {}

        # Every email goes through this configuration set: SES delivers it only over TLS (a receiving
        # server that cannot do TLS gets nothing, rather than PHI in clear text).
        self.email_configuration_set = ses.ConfigurationSet(
            self,
            "EmailConfigurationSet",
            configuration_set_name=email_configuration_set_name(stage),
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
            reputation_metrics=True,
            sending_enabled=True,
        )

        # The program's event bus: coverage puts coordinator alerts on it, notify consumes them.
        # Custom events on it (and its rules' patterns and targets) are encrypted with the CMK;
        # CDK adds the key-policy statement letting EventBridge use the key for this bus only.
        # Events the bus cannot encrypt or decrypt (a disabled key) go to its own DLQ.
        self._allow_eventbridge_dead_letters()
        self.event_bus_dlq = self.dead_letter_queue("EventBusDlq")
        self.event_bus = events.EventBus(
            self,
            "EventBus",
            event_bus_name=event_bus_name(stage),
            description="Tandem program events (coverage alerts to coordinators): ids, counts and dates only",
            kms_key=data.key,
            dead_letter_queue=self.event_bus_dlq,
        )
        # CDK writes the bus's DeadLetterConfig but no queue policy: EventBridge may send this
        # bus's undeliverable events to it, nothing else may.
        self.event_bus_dlq.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBusDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.event_bus_dlq.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.event_bus.event_bus_arn}},
            )
        )
        nag.acknowledge(
            self.event_bus_dlq,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the event bus's DeadLetterConfig, which receives "
            "the program's events EventBridge cannot encrypt or decrypt with the CMK (a disabled or "
            "inaccessible key). The rule only recognises redrive-policy and Lambda DeadLetterConfig DLQs. "
            "It is alarmed on its first message and drained by operators.",
        )

    def dead_letter_queue(self, construct_id: str) -> sqs.Queue:
        """An encrypted queue keeping dead letters for 14 days (monitoring alarms on each)."""
        queue = self._encrypted_queue(construct_id, retention_period=DLQ_RETENTION)
        self.dead_letter_queues[construct_id] = queue
        return queue

    def subscription_queue(self, entry: Entrypoint) -> sqs.Queue:
        """`entry`'s own FIFO queue on the schedule-events topic, receiving the event types it
        subscribes to (raw delivery: each message's body is the event) in order per subject;
        what fails `MAX_RECEIVE_COUNT` times goes to its FIFO dead-letter queue (alarmed)."""
        if entry.id in self._subscriptions:
            return self._subscriptions[entry.id]
        self._allow_sns_key()
        dead_letters = self._encrypted_queue(f"{entry.id}Dlq", retention_period=DLQ_RETENTION, fifo=True)
        self.dead_letter_queues[f"{entry.id}Dlq"] = dead_letters
        queue = self._encrypted_queue(
            f"{entry.id}Queue",
            fifo=True,
            visibility_timeout=Duration.seconds(entry.timeout * VISIBILITY_PER_TIMEOUT),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=dead_letters),
        )
        # The subscription and the queue policy by hand: CDK's SqsSubscription would add a
        # statement naming this topic to the CMK's policy, and the topic is encrypted with that
        # key (a cycle). The key lets SNS encrypt into the account's queues (`_allow_sns_key`);
        # the queue policy lets this topic alone send to this queue.
        sns.Subscription(
            self,
            f"{entry.id}Subscription",
            topic=self.schedule_events_topic,
            endpoint=queue.queue_arn,
            protocol=sns.SubscriptionProtocol.SQS,
            raw_message_delivery=True,
            filter_policy={"type": sns.SubscriptionFilter.string_filter(allowlist=list(entry.subscribes))},
        )
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ScheduleEventsTopicDelivers",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.schedule_events_topic.topic_arn}},
            )
        )
        self._subscriptions[entry.id] = queue
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
        rule = events.Rule(
            self,
            construct_id,
            description=description[:512],
            schedule=events.Schedule.expression(expression),
        )
        self._invoke(rule, function, dead_letter_queue)
        return rule

    def on_bus(
        self,
        construct_id: str,
        function: lambda_.IFunction,
        *,
        pattern: dict[str, Any],
        description: str,
        dead_letter_queue: sqs.IQueue,
    ) -> events.Rule:
        """A rule on the program's bus invoking `function` with each event matching `pattern`
        (an EventBridge event pattern, e.g. `{"source": ["tandem.coverage"]}`), with retries and a DLQ."""
        rule = events.Rule(
            self,
            construct_id,
            description=description[:512],
            event_bus=self.event_bus,
            event_pattern=_event_pattern(pattern),
        )
        self._invoke(rule, function, dead_letter_queue)
        return rule

    def on_inbound_sms(
        self, function: lambda_.IFunction, *, dead_letter_queue: sqs.IQueue
    ) -> sns.Subscription:
        """Subscribe `function` to the inbound-SMS topic: SNS invokes it asynchronously with each
        text, retrying a failed delivery to Lambda, and moves what it cannot deliver to
        `dead_letter_queue` (the subscription's redrive policy; CDK adds the queue policy letting
        this topic alone send to it)."""
        self._allow_sns_key()
        return self.inbound_sms_topic.add_subscription(
            subscriptions.LambdaSubscription(function, dead_letter_queue=dead_letter_queue)
        )

    def _allow_sns_key(self) -> None:
        """SNS encrypts what it delivers (or dead-letters) into the CMK-encrypted queues."""
        if not self._sns_uses_key:
            self._data.allow_service(
                "SnsDeadLetters",
                "sns.amazonaws.com",
                _PRODUCER_KMS_ACTIONS,
                # Any topic of this account and region: naming the topic itself would make the key
                # policy and the (CMK-encrypted) topic depend on each other.
                source_arns=[Stack.of(self).format_arn(service="sns", resource="*")],
            )
            self._sns_uses_key = True

    def _invoke(self, rule: events.Rule, function: lambda_.IFunction, dead_letter_queue: sqs.IQueue) -> None:
        self._allow_eventbridge_dead_letters()
        rule.add_target(
            targets.LambdaFunction(
                function,
                dead_letter_queue=dead_letter_queue,
                retry_attempts=TARGET_RETRY_ATTEMPTS,
                max_event_age=TARGET_MAX_EVENT_AGE,
            )
        )

    def _allow_eventbridge_dead_letters(self) -> None:
        """EventBridge may put undelivered events into the (CMK-encrypted) dead-letter queues."""
        if not self._eventbridge_uses_key:
            stack = Stack.of(self)
            self._data.allow_service(
                "EventBridgeDeadLetters",
                "events.amazonaws.com",
                _PRODUCER_KMS_ACTIONS,
                # A rule's target DLQ (rules of the default bus and of the program's bus), and the
                # program bus's own DLQ.
                source_arns=[
                    stack.format_arn(service="events", resource="rule", resource_name="*"),
                    stack.format_arn(
                        service="events",
                        resource="event-bus",
                        resource_name=event_bus_name(self._stage),
                        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                    ),
                ],
            )
            self._eventbridge_uses_key = True

    def _encrypted_queue(
        self,
        construct_id: str,
        *,
        retention_period: Duration | None = None,
        visibility_timeout: Duration | None = None,
        dead_letter_queue: sqs.DeadLetterQueue | None = None,
        fifo: bool = False,
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            fifo=fifo or None,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._data.key,
            data_key_reuse=Duration.minutes(5),
            enforce_ssl=True,
            retention_period=retention_period,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=dead_letter_queue,
        )


def _event_pattern(pattern: dict[str, Any]) -> events.EventPattern:
    """The CDK form of a catalog event pattern: its top-level fields, `detail` as a mapping."""
    fields = {"detail-type": "detail_type"}
    known = {"source", "detail-type", "detail", "account", "region", "resources", "id", "time", "version"}
    unknown = set(pattern) - known
    if unknown:
        raise ValueError(f"unsupported event pattern fields: {sorted(unknown)}")
    return events.EventPattern(**{fields.get(name, name): value for name, value in pattern.items()})


_PRODUCER_KMS_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]
"""What a service needs on the CMK to put messages into an encrypted queue or topic."""
