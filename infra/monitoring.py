"""Monitoring: CloudWatch alarms on functions, dead-letter queues, tables, the API, its WAF and Tandem's own
metrics, to an encrypted topic (and, when configured, an operator's existing topic)."""

from __future__ import annotations

from typing import Final

from aws_cdk import ArnFormat, Duration, Fn, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.api import Api
from infra.config import Settings
from infra.data import Data, construct_id
from infra.functions import Functions
from infra.messaging import Messaging

PERIOD = Duration.minutes(5)
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
ITERATOR_AGE_LIMIT = Duration.minutes(5)
SEND_QUEUE_AGE_LIMIT = Duration.minutes(15)
TANDEM_NAMESPACE: Final = "Tandem"
TANDEM_DIMENSIONS: Final = {"service": "tandem"}
"""How the functions' Powertools metrics are published (`functions.common.observability.metrics`)."""
TANDEM_METRICS: Final = {
    "ClearinghouseCircuitOpened": "the clearinghouse circuit breaker opened (eligibility checks answer 503)",
    "UnreadableItems": "a listing left out an item that failed to load (its id is in the function's log)",
    "DependencyUnavailable": "an AWS call failed after its retries: DynamoDB, SQS, SES, SNS, EventBridge, "
    "Cognito or KMS was unreachable, failing or throttling (routes answered 503; background functions retry)",
    "DependencyCircuitOpened": "a function's circuit breaker for an AWS service opened (calls fail at once)",
}
"""Tandem's own metrics that are alarmed on their first count, with what each means."""
WAF_BLOCKED_LIMIT: Final = 100
"""Requests the web ACL blocked in 5 minutes (all rules) before someone should look."""
CLIENT_ERROR_RATE_PERCENT: Final = 25
CLIENT_ERROR_MIN_REQUESTS: Final = 50
"""A 4XX surge: over 25% of at least 50 requests in 5 minutes answered 4XX, twice in a row."""
LATENCY_LIMITS_MS: Final = {"p95": 1_000, "p99": 3_000}
"""The API's latency (API Gateway `Latency`, and each API function's `Duration`) per percentile."""


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
        settings: Settings,
    ) -> None:
        super().__init__(scope, construct_id)
        data.allow_service(
            "CloudWatchAlarmsPublish",
            "cloudwatch.amazonaws.com",
            ["kms:GenerateDataKey", "kms:Decrypt"],
            source_arns=[
                Stack.of(self).format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        self.topic = sns.Topic(self, "AlarmTopic", master_key=data.key, enforce_ssl=True)
        if settings.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
        self._actions = [actions.SnsAction(self.topic)]
        if settings.alarm_topic_arn:
            external = sns.Topic.from_topic_arn(self, "OperatorsTopic", settings.alarm_topic_arn)
            self._actions.append(actions.SnsAction(external))
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
        self._api_alarms(api, functions)
        self._table_alarms(data)
        self._waf_alarm(api)
        for name, meaning in TANDEM_METRICS.items():
            self._alarm(name, _sum(TANDEM_NAMESPACE, name, TANDEM_DIMENSIONS), meaning)

    def _api_alarms(self, api: Api, functions: Functions) -> None:
        requests = api.rest_api.metric_count(period=PERIOD, statistic="Sum")
        client_errors = api.rest_api.metric_client_error(period=PERIOD, statistic="Sum")
        self._alarm(
            "Api4xxSurge",
            cloudwatch.MathExpression(
                expression=f"IF(requests >= {CLIENT_ERROR_MIN_REQUESTS}, 100 * errors / requests, 0)",
                using_metrics={"requests": requests, "errors": client_errors},
                period=PERIOD,
                label="4XX share of requests (%)",
            ),
            f"over {CLIENT_ERROR_RATE_PERCENT}% of the API's requests answered 4XX (a client broke, or "
            "someone is probing)",
            threshold=CLIENT_ERROR_RATE_PERCENT,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=2,
        )
        for percentile, limit in LATENCY_LIMITS_MS.items():
            watched = [("ApiLatency", "the API's latency", api.rest_api.metric_latency(statistic=percentile))]
            watched += [
                (
                    f"{entry_id}Duration",
                    f"{entry_id}'s duration",
                    function.metric_duration(statistic=percentile),
                )
                for entry_id, function in functions.functions.items()
                if functions.entrypoints[entry_id].trigger == "api"
            ]
            for stem, subject, metric in watched:
                self._alarm(
                    f"{stem}{percentile.upper()}",
                    metric.with_(period=PERIOD),
                    f"{subject} ({percentile}) is over {limit} ms",
                    threshold=limit,
                    comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=3,
                    datapoints_to_alarm=2,
                )

    def _table_alarms(self, data: Data) -> None:
        for key, table in data.tables.items():
            self._alarm(
                f"{construct_id(key)}TableThrottles",
                cloudwatch.MathExpression(
                    expression="FILL(reads, 0) + FILL(writes, 0)",
                    using_metrics={
                        "reads": table.metric("ReadThrottleEvents", period=PERIOD, statistic="Sum"),
                        "writes": table.metric("WriteThrottleEvents", period=PERIOD, statistic="Sum"),
                    },
                    period=PERIOD,
                    label=f"{key} table throttle events",
                ),
                f"DynamoDB throttled requests to the {key} table",
            )

    def _waf_alarm(self, api: Api) -> None:
        # A web ACL's Ref is "name|id|scope"; its metrics are dimensioned by name.
        acl_name = Fn.select(0, Fn.split("|", api.web_acl.ref))
        self._alarm(
            "WafBlockedRequests",
            _sum(
                "AWS/WAFV2",
                "BlockedRequests",
                {"WebACL": acl_name, "Region": Stack.of(self).region, "Rule": "ALL"},
            ),
            f"the WAF blocked over {WAF_BLOCKED_LIMIT} requests in 5 minutes (an attack, or a client the "
            "rules mistake for one)",
            threshold=WAF_BLOCKED_LIMIT,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float = 1,
        comparison: cloudwatch.ComparisonOperator = AT_LEAST,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            alarm_description=f"Tandem: {description}.",
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(*self._actions)
        alarm.add_ok_action(*self._actions)
        self.alarms.append(alarm)
        return alarm


def _sum(namespace: str, name: str, dimensions: dict[str, str]) -> cloudwatch.Metric:
    """A metric's sum over the alarm period."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dict(dimensions), period=PERIOD, statistic="Sum"
    )
