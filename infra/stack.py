"""`TandemStack`: data, messaging, functions, API, web app and monitoring composed into one stack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack, Tags
from constructs import Construct

from functions.catalog import ENTRYPOINTS
from infra.api import STAGE_NAME, Api
from infra.config import Settings
from infra.data import Data
from infra.functions import Functions
from infra.messaging import Messaging
from infra.monitoring import Monitoring
from infra.web import Web


class TandemStack(Stack):
    """The whole Tandem backend; `openapi` is the parsed OpenAPI document driving the API."""

    def __init__(
        self, scope: Construct, construct_id: str, *, openapi: Mapping[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = Settings.from_scope(self)
        Tags.of(self).add("tandem:app", "tandem")
        Tags.of(self).add("tandem:stage", settings.stage)

        self.data = Data(
            self, "Data", stage=settings.stage, backup_copy_vault_arn=settings.backup_copy_vault_arn
        )
        sender = next(entry for entry in ENTRYPOINTS if entry.trigger == "queue")
        self.messaging = Messaging(
            self,
            "Messaging",
            data=self.data,
            sender_timeout=Duration.seconds(sender.timeout),
            stage=settings.stage,
        )
        self.functions = Functions(
            self, "Functions", settings=settings, data=self.data, messaging=self.messaging
        )
        self.api = Api(
            self, "Api", document=openapi, settings=settings, data=self.data, functions=self.functions
        )
        # The app's CSP names the API by its id; the API (preflights, functions) allows the app's
        # origin: the distribution exists between the two (see infra/web.py).
        self.web = Web(self, "Web", settings=settings, api=self.api, data=self.data)
        origins = tuple(dict.fromkeys((*settings.web_origins, *self.web.origins)))
        self.functions.allow_web_origins(origins)
        self.api.allow_web_origins(origins)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            data=self.data,
            functions=self.functions,
            messaging=self.messaging,
            api=self.api,
            settings=settings,
        )

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description=f"Base URL of stage {STAGE_NAME}")
        CfnOutput(
            self, "UserPoolId", value=self.api.user_pool.user_pool_id, description="Participants sign in here"
        )
        CfnOutput(self, "UserPoolClientId", value=self.api.user_pool_client.user_pool_client_id)
        CfnOutput(
            self,
            "StaffUserPoolId",
            value=self.api.staff_pool.user_pool_id,
            description="Clinicians and coordinators sign in here (TOTP required)",
        )
        CfnOutput(self, "StaffUserPoolClientId", value=self.api.staff_pool_client.user_pool_client_id)
        CfnOutput(
            self,
            "InboundSmsTopicArn",
            value=self.messaging.inbound_sms_topic.topic_arn,
            description="Two-way SMS: set this topic as the program phone number's two-way channel "
            "(AWS End User Messaging SMS) so inbound texts reach NotifyInbound",
        )
        CfnOutput(
            self,
            "WebAppUrl",
            value=self.web.url,
            description="The web app (config.json beside index.html names the API and both pools)",
        )
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        CfnOutput(self, "EventBusName", value=self.messaging.event_bus.event_bus_name)
