"""API: Cognito user pool, the REST API built from the OpenAPI document, its WAF web ACL."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from functions.catalog import API_DOMAINS, ENTRYPOINTS, STAFF_USER_POOL_ENV, USER_POOL_ENV
from functions.common import cors
from functions.schedule.accounts import SIGN_IN_ACTIONS
from infra import nag
from infra.config import Settings
from infra.data import Data
from infra.functions import LOG_RETENTION, Functions

STAGE_NAME: Final = "v1"
FUNCTION_KEY: Final = "x-tandem-function"
HTTP_METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options")
PARTICIPANT_GROUPS: Final = {
    "participant": "People in the program (partners of a couple are each a participant).",
}
STAFF_GROUPS: Final = {
    "clinician": "Therapists, counselors and prescribers; they see their caseload.",
    "coordinator": "Program coordinators; they run the program.",
}
GROUPS: Final = {**PARTICIPANT_GROUPS, **STAFF_GROUPS}
"""Every role group. Staff groups exist only in the staff pool (MFA required), the participant group
only in the participant pool: a role with staff powers can never be held by a login without TOTP."""
PERSON_ID_ATTRIBUTE: Final = "person_id"
PROBLEM_JSON: Final = "application/problem+json"
PUBLIC_ROUTES: Final[dict[tuple[str, str], str]] = {
    ("GET", "/health"): (
        "GET /health is declared public in the OpenAPI document (security: []): it is the "
        "unauthenticated liveness probe, returns no data beyond service status, and is rate "
        "limited by the stage throttle and the WAF."
    ),
    ("GET", "/calendar/{token}"): (
        "GET /calendar/{token} is the iCalendar feed calendar apps subscribe to; they cannot "
        "present Cognito tokens, so the path's 256-bit random token (stored only as a SHA-256 "
        "hash, revocable and rotatable by its owner) is the credential. Events carry no PHI "
        "(every one reads 'Appointment'); the stage throttle and the WAF apply."
    ),
}
"""The only operations that may skip the Cognito authorizer, each with its reviewed reason."""
PATH_CREDENTIAL_ROUTES: Final = (("GET", "/calendar/{token}"),)
"""Operations whose path holds a credential: the stage writes no execution log for them (INFO-level
execution logs name the request path) and the WAF logs redact every URI path."""
_PATH_PARAM = re.compile(r"{([^}+]+)\+?}")
_PARAM_LOCATIONS: Final = {"path": "path", "query": "querystring", "header": "header"}


@dataclass(frozen=True)
class Route:
    """One operation of the OpenAPI document, as API Gateway needs it."""

    path: str
    method: str
    domain: str
    secured: bool
    operation_id: str | None
    request_parameters: Mapping[str, bool]


def routes(document: Mapping[str, Any]) -> list[Route]:
    """Every operation of `document`; security defaults to the document's, and to secured."""
    default_security = document.get("security")
    found: list[Route] = []
    for path, item in document.get("paths", {}).items():
        shared = [_resolve(document, p) for p in item.get("parameters", [])]
        for method, operation in item.items():
            if method in ("parameters", "summary", "description", "servers") or method.startswith("x-"):
                continue
            if method not in HTTP_METHODS:
                raise ValueError(f"{method.upper()} {path}: API Gateway REST APIs cannot serve it")
            domain = operation.get(FUNCTION_KEY)
            if domain not in API_DOMAINS:
                raise ValueError(f"{method.upper()} {path}: {FUNCTION_KEY} must be one of {API_DOMAINS}")
            security = operation.get("security", default_security)
            parameters = shared + [_resolve(document, p) for p in operation.get("parameters", [])]
            found.append(
                Route(
                    path=path,
                    method=method.upper(),
                    domain=str(domain),
                    # Fail closed: only an explicit empty list makes an operation public.
                    secured=security is None or len(security) > 0,
                    operation_id=operation.get("operationId"),
                    request_parameters=_request_parameters(path, parameters),
                )
            )
    return found


def _resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref}")
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return _resolve(document, target)


def _request_parameters(path: str, parameters: list[Mapping[str, Any]]) -> dict[str, bool]:
    found = {f"method.request.path.{name}": True for name in _PATH_PARAM.findall(path)}
    for parameter in parameters:
        location = _PARAM_LOCATIONS.get(str(parameter.get("in")))
        if location is None:
            continue
        required = location == "path" or bool(parameter.get("required", False))
        found[f"method.request.{location}.{parameter['name']}"] = required
    return dict(sorted(found.items()))


TOKEN_MINUTES = 15
"""ID and access token lifetime: how long a deactivated person's last token can still reach the API."""


class Api(Construct):
    """Two user pools (participants: TOTP optional; staff: TOTP required), each with its groups and app
    client, the REST API stage `v1` whose Cognito authorizer accepts either, and its WAF web ACL."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        document: Mapping[str, Any],
        settings: Settings,
        data: Data,
        functions: Functions,
    ) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        # The participant pool keeps the original construct ids, so a deployed pool (and its users)
        # stays in place; staff move to the staff pool (see the README's operators' notes).
        self.user_pool = self._user_pool("UserPool", staff=False)
        self.user_pool_client = self._app_client(self.user_pool, "AppClient")
        self.staff_pool = self._user_pool("StaffUserPool", staff=True)
        self.staff_pool_client = self._app_client(self.staff_pool, "StaffAppClient")
        self._manage_sign_ins(functions)
        for pool, groups in ((self.user_pool, PARTICIPANT_GROUPS), (self.staff_pool, STAFF_GROUPS)):
            for name, description in groups.items():
                cognito.CfnUserPoolGroup(
                    self,
                    f"{name.capitalize()}Group",
                    user_pool_id=pool.user_pool_id,
                    group_name=name,
                    description=description,
                    precedence=list(GROUPS).index(name),
                )

        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            encryption_key=data.key,
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description=str(document.get("info", {}).get("description", "Tandem API"))[:1024],
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            fail_on_warnings=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,
                throttling_rate_limit=settings.api_throttle_rate_limit,
                throttling_burst_limit=settings.api_throttle_burst_limit,
                method_options={
                    f"{path}/{method}": apigw.MethodDeploymentOptions(
                        logging_level=apigw.MethodLoggingLevel.OFF,
                        data_trace_enabled=False,
                        metrics_enabled=True,
                        throttling_rate_limit=settings.api_throttle_rate_limit,
                        throttling_burst_limit=settings.api_throttle_burst_limit,
                    )
                    for method, path in PATH_CREDENTIAL_ROUTES
                },
            ),
        )
        self._execution_logs()
        self._gateway_responses(settings.web_origins)

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[self.user_pool, self.staff_pool],
            results_cache_ttl=Duration.minutes(5),
        )
        self.validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        integrations = {
            domain: apigw.LambdaIntegration(
                functions.api_function(domain), proxy=True, scope_permission_to_method=False
            )
            for domain in API_DOMAINS
        }
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for route in routes(document):
            self.methods[(route.method, route.path)] = self._method(route, integrations[route.domain])
        if settings.web_origins:
            by_path: dict[str, list[str]] = {}
            for method, path in self.methods:
                by_path.setdefault(path, []).append(method)
            for path, methods in sorted(by_path.items()):
                self._preflight(path, methods, settings.web_origins)

        self._acknowledge_stage()
        self.web_acl = self._web_acl(settings)

    def _manage_sign_ins(self, functions: Functions) -> None:
        """The schedule API keeps each person's sign-in in step with their profile
        (`functions/schedule/accounts.py`): it names both pools and may manage their users, and
        nothing else in Cognito (no pool or client settings, no passwords)."""
        for entry in ENTRYPOINTS:
            if not entry.manages_sign_ins:
                continue
            function = functions.functions[entry.id]
            function.add_environment(USER_POOL_ENV, self.user_pool.user_pool_id)
            function.add_environment(STAFF_USER_POOL_ENV, self.staff_pool.user_pool_id)
            functions.policies[entry.id].add_statements(
                iam.PolicyStatement(
                    sid="ManageSignIns",
                    actions=[f"cognito-idp:{action}" for action in SIGN_IN_ACTIONS],
                    resources=[self.user_pool.user_pool_arn, self.staff_pool.user_pool_arn],
                )
            )

    def _user_pool(self, construct_id: str, *, staff: bool) -> cognito.UserPool:
        """A pool with email sign-in, the `person_id` attribute and TOTP as the only second factor:
        required for staff (Cognito answers MFA_SETUP until they enrol, then SOFTWARE_TOKEN_MFA),
        optional for participants."""
        pool = cognito.UserPool(
            self,
            construct_id,
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={
                PERSON_ID_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=False)
            },
            mfa=cognito.Mfa.REQUIRED if staff else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False, email=False),
            enable_sms_role=False,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
                password_history_size=12,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            # Neutral wording: an invitation must not reveal that someone is in treatment.
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your account invitation",
                email_body="Your username is {username} and your temporary password is {####}"
                + (". At your first sign-in you will set up an authenticator app." if staff else ""),
            ),
            user_verification=cognito.UserVerificationConfig(
                email_subject="Your verification code",
                email_body="Your verification code is {####}",
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if not staff:
            nag.acknowledge(
                pool,
                "AwsSolutions-COG2",
                "This is the participant pool: MFA is OPTIONAL here on purpose (TOTP only, never SMS), so "
                "that people in acute treatment are not locked out of their care by a second-device "
                "requirement; each participant may turn TOTP on, and Plus-tier threat protection in "
                "full-function (enforced) mode challenges or blocks risky sign-ins. The pool holds only "
                "the participant group: a participant token reaches only the caller's own records and "
                "joint sessions. Clinicians and coordinators sign in through the staff pool, whose MFA "
                "is required (TOTP).",
            )
        return pool

    def _app_client(self, pool: cognito.UserPool, construct_id: str) -> cognito.UserPoolClient:
        return pool.add_client(
            construct_id,
            generate_secret=False,
            # No hosted UI: clients authenticate with InitiateAuth (SRP or password), never OAuth redirects.
            disable_o_auth=True,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            # Short-lived: the API cannot revoke an ID token, so a deactivation (refresh tokens
            # revoked) ends API access within this; the web app refreshes silently.
            id_token_validity=Duration.minutes(TOKEN_MINUTES),
            access_token_validity=Duration.minutes(TOKEN_MINUTES),
            refresh_token_validity=Duration.days(1),
            auth_session_validity=Duration.minutes(3),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(
                email=True, email_verified=True, given_name=True, family_name=True, locale=True
            )
            .with_custom_attributes(PERSON_ID_ATTRIBUTE),
            # Users may edit their name and locale, never their person id (nor their email
            # without an administrator: it is the sign-in identity).
            write_attributes=cognito.ClientAttributes().with_standard_attributes(
                given_name=True, family_name=True, locale=True
            ),
        )

    def _method(self, route: Route, integration: apigw.LambdaIntegration) -> apigw.Method:
        resource = self.rest_api.root.resource_for_path(route.path)
        method = resource.add_method(
            route.method,
            integration,
            operation_name=route.operation_id,
            authorization_type=(
                apigw.AuthorizationType.COGNITO if route.secured else apigw.AuthorizationType.NONE
            ),
            authorizer=self.authorizer if route.secured else None,
            request_parameters=dict(route.request_parameters) or None,
            request_validator=self.validator,
        )
        if not route.secured:
            reason = PUBLIC_ROUTES.get((route.method, route.path))
            if reason is None:
                raise ValueError(
                    f"{route.method} {route.path} has `security: []`: a public route needs a reviewed "
                    "entry in infra.api.PUBLIC_ROUTES"
                )
            nag.acknowledge(method, "AwsSolutions-APIG4", reason)
            nag.acknowledge(method, "AwsSolutions-COG4", reason)
        return method

    def _execution_logs(self) -> None:
        """Create the stage's execution log group first, so it is KMS-encrypted and expires."""
        group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"API-Gateway-Execution-Logs_{self.rest_api.rest_api_id}/{STAGE_NAME}",
            encryption_key=self._data.key,
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rest_api.deployment_stage.node.add_dependency(group)
        role = self.rest_api.node.find_child("CloudWatchRole")
        nag.acknowledge(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "This is API Gateway's account-wide CloudWatch Logs role (one per account and "
            "region, shared by every REST API there); AmazonAPIGatewayPushToCloudWatchLogs is "
            "the policy AWS documents for it, and a narrower one would break the logging of "
            "other APIs in the account. It is assumable only by apigateway.amazonaws.com.",
        )

    def _preflight(self, path: str, methods: list[str], origins: tuple[str, ...]) -> apigw.Method:
        """`OPTIONS` on a resource: a mock integration answering CORS preflights (no function,
        no authorizer: browsers send preflights without credentials). The allowed origin is
        named only when the request's `Origin` is exactly one of `origins`; CDK's own
        `default_cors_preflight_options` compares with `matches` (a regular expression, where
        the dots of `https://app.example.org` match any character), hence this one."""
        test = " || ".join(f'$origin == "{origin}"' for origin in origins)
        template = (
            '#set($origin = $input.params().header.get("Origin"))\n'
            f"#if({test})\n"
            "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
            "#end"
        )
        static = {
            "Access-Control-Allow-Methods": ", ".join(m for m in cors.ALLOW_METHODS if m in methods),
            "Access-Control-Allow-Headers": ", ".join(cors.ALLOW_HEADERS),
            "Access-Control-Max-Age": str(cors.MAX_AGE_SECONDS),
            "Vary": "Origin",
        }
        resource = self.rest_api.root.resource_for_path(path)
        method = resource.add_method(
            "OPTIONS",
            apigw.MockIntegration(
                request_templates={"application/json": '{"statusCode": 204}'},
                passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_MATCH,
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="204",
                        response_parameters={
                            f"method.response.header.{name}": f"'{value}'" for name, value in static.items()
                        },
                        response_templates={"application/json": template},
                    )
                ],
            ),
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[
                apigw.MethodResponse(
                    status_code="204",
                    response_parameters={
                        f"method.response.header.{name}": True
                        for name in (*static, "Access-Control-Allow-Origin")
                    },
                )
            ],
        )
        reason = (
            "CORS preflight: browsers send OPTIONS without credentials, so it cannot be authorized; "
            "a mock integration answers it with headers only (no function, no data)."
        )
        nag.acknowledge(method, "AwsSolutions-APIG4", reason)
        nag.acknowledge(method, "AwsSolutions-COG4", reason)
        return method

    def _gateway_responses(self, origins: tuple[str, ...]) -> None:
        """API Gateway's own errors as RFC 9457 problem details, like the functions' errors.

        With web origins, they carry CORS headers so a web app can read why a request failed
        (a 401 to refresh its token, a 429 to back off). A gateway response cannot choose among
        origins, so it names the request's own `Origin`: these bodies are generic problems with
        no data, and credentials (cookies) are never allowed, so a foreign page learns nothing
        it would not from the failed request itself. Responses with data come from the
        functions, which name an origin only when it is allowed."""
        cors_headers = (
            {
                "Access-Control-Allow-Origin": "method.request.header.Origin",
                "Access-Control-Expose-Headers": "'" + ", ".join(cors.EXPOSE_HEADERS) + "'",
                "Vary": "'Origin'",
            }
            if origins
            else {}
        )
        responses: list[tuple[str, apigw.ResponseType, int | None, str]] = [
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX, None, "Request rejected"),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX, None, "Gateway error"),
            ("Unauthorized", apigw.ResponseType.UNAUTHORIZED, 401, "Unauthorized"),
            ("AccessDenied", apigw.ResponseType.ACCESS_DENIED, 403, "Forbidden"),
            # A REST API answers an unknown route with MISSING_AUTHENTICATION_TOKEN.
            ("UnknownRoute", apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 404, "Not Found"),
            ("BadParameters", apigw.ResponseType.BAD_REQUEST_PARAMETERS, 400, "Bad Request"),
            ("BadBody", apigw.ResponseType.BAD_REQUEST_BODY, 400, "Bad Request"),
            ("TooLarge", apigw.ResponseType.REQUEST_TOO_LARGE, 413, "Content Too Large"),
            ("Throttled", apigw.ResponseType.THROTTLED, 429, "Too Many Requests"),
            ("WafFiltered", apigw.ResponseType.WAF_FILTERED, 403, "Forbidden"),
            ("Timeout", apigw.ResponseType.INTEGRATION_TIMEOUT, 504, "Gateway Timeout"),
        ]
        for construct_id, response_type, status, title in responses:
            self.rest_api.add_gateway_response(
                construct_id,
                type=response_type,
                status_code=str(status) if status else None,
                response_headers={
                    "Content-Type": f"'{PROBLEM_JSON}'",
                    "Cache-Control": "'no-store'",
                    "X-Content-Type-Options": "'nosniff'",
                    **cors_headers,
                },
                templates={"application/json": problem_template(title, status)},
            )

    def _acknowledge_stage(self) -> None:
        stage = self.rest_api.deployment_stage
        nag.acknowledge(
            stage,
            "HIPAA.Security-APIGWCacheEnabledAndEncrypted",
            "Caching is deliberately off: every response is PHI computed for one caller's "
            "identity and authorization, so a shared stage cache could serve one person's "
            "records to another; nothing is cached, so nothing cached needs encrypting.",
        )
        nag.acknowledge(
            stage,
            "HIPAA.Security-APIGWSSLEnabled",
            "A stage client certificate only authenticates API Gateway to HTTP backends; every "
            "integration here is a Lambda proxy invoked through IAM (lambda:InvokeFunction), so "
            "there is no backend to present it to. Clients reach the stage over TLS only.",
        )

    def _web_acl(self, settings: Settings) -> wafv2.CfnWebACL:
        stack = Stack.of(self)

        def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            # No sampled requests: samples would keep request headers and URIs for three hours.
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=False
            )

        def managed(priority: int, name: str) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                visibility_config=visibility(name),
            )

        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("TandemApi"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP", limit=settings.waf_rate_limit, evaluation_window_sec=300
                        )
                    ),
                    visibility_config=visibility("RateLimitPerIp"),
                ),
                managed(1, "AWSManagedRulesAmazonIpReputationList"),
                managed(2, "AWSManagedRulesCommonRuleSet"),
                managed(3, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
        )
        # The stage ARN references the stage, so the association waits for its deployment.
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )

        log_group_name = f"aws-waf-logs-{stack.stack_name}-api"
        waf_logs = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=log_group_name,
            encryption_key=self._data.key,
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            # Tokens and cookies never reach the WAF logs; query strings may carry identifiers. The
            # URI path is redacted too: `/calendar/{token}` carries its credential in the path (and
            # other paths name person ids). A logged request keeps its method, action, matched rule,
            # client IP and request id; the route it took is in the API's access log, which records
            # the resource template (`/calendar/{token}`), never the path.
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "cookie"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(query_string={}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(uri_path={}),
            ],
        )
        logging.node.add_dependency(waf_logs)
        return acl


def problem_template(title: str, status: int | None) -> str:
    """A VTL body rendering an RFC 9457 problem from the gateway's error context."""
    body: dict[str, Any] = {"type": "about:blank", "title": title}
    if status is not None:
        body["status"] = status
    text = json.dumps(body)[:-1]
    # messageString is already a quoted, escaped JSON string.
    return text + ', "detail": $context.error.messageString, "request_id": "$context.requestId"}'
