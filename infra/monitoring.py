"""Monitoring: CloudWatch alarms on functions, dead-letter queues and the API, to an encrypted topic."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.api import Api
from infra.data import Data
from infra.functions import Functions
from infra.messaging import Messaging

PERIOD = Duration.minutes(5)
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
ITERATOR_AGE_LIMIT = Duration.minutes(5)
SEND_QUEUE_AGE_LIMIT = Duration.minutes(15)


class Monitoring(Construct):
    """An SNS alarm topic (KMS-encrypted) and every alarm, each acting on it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        functions: Functions,
        messaging: Messaging,
        api: Api,
        alarm_email: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        data.allow_service(
            "CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com", ["kms:GenerateDataKey", "kms:Decrypt"]
        )
        self.topic = sns.Topic(self, "AlarmTopic", master_key=data.key, enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        for entry_id, function in functions.functions.items():
            self._alarm(
                f"{entry_id}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                f"{entry_id} raised errors",
            )
            self._alarm(
                f"{entry_id}Throttles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                f"{entry_id} was throttled (reserved concurrency exhausted)",
            )
            if functions.entrypoints[entry_id].trigger == "stream":
                self._alarm(
                    f"{entry_id}IteratorAge",
                    function.metric("IteratorAge", period=Duration.minutes(1), statistic="Maximum"),
                    f"{entry_id} lags the schedule stream by over {ITERATOR_AGE_LIMIT.to_minutes()} minutes",
                    threshold=ITERATOR_AGE_LIMIT.to_milliseconds(),
                    comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                )

        for queue_id, queue in messaging.dead_letter_queues.items():
            self._alarm(
                f"{queue_id}NotEmpty",
                queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic="Maximum"
                ),
                f"{queue_id} holds dead letters",
                threshold=0,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )
        self._alarm(
            "NotifySendQueueAge",
            messaging.notify_queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            "notifications wait on the send queue too long",
            threshold=SEND_QUEUE_AGE_LIMIT.to_seconds(),
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "Api5xx",
            api.rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
            "the API answered with 5XX errors",
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float = 1,
        comparison: cloudwatch.ComparisonOperator = AT_LEAST,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            alarm_description=f"Tandem: {description}.",
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm
