"""Web: the browser app of `web/` on S3 behind CloudFront, and its generated `config.json`.

- The bucket is private (all public access blocked, TLS-only policy, SSE-S3, versioned, server
  access logs); only the distribution reads it, through origin access control (SigV4 signed by
  CloudFront, scoped by the bucket policy to this distribution's ARN; no legacy OAI).
- The distribution answers over HTTPS only (HTTP is redirected), HTTP/2 and 3, and adds the
  security headers of its response headers policies to every answer: a strict
  Content-Security-Policy (no inline script or style, no `eval`, nothing from another origin
  but the `fetch` calls to the API and to Cognito), HSTS with preload, `nosniff`,
  `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` and a Permissions-Policy turning off
  every device the app does not use. The video rooms open elsewhere (a join URL in a new tab),
  so camera and microphone are off here.
- `config.json` is not in the repository: the stack writes it at deploy time
  (`Source.json_data`, see `CONFIG_KEYS`) from its own resources, so the app learns the API's
  URL, the region and both pools' ids and app clients without a build step. It is never cached
  (CloudFront's caching-disabled policy on its path, `Cache-Control: no-store` to browsers). The
  other files are cached a day at the edge and revalidated by browsers on every load
  (`no-cache`: without a build step no file name carries a content hash); each deployment (one
  sync of `web/`, less `NOT_DEPLOYED`, and `config.json`, pruning removed files) invalidates the
  distribution, so a new version reaches everyone at once.

How the app's origin and the API's meet without a dependency cycle: the CSP's `connect-src`
names the API exactly, `https://<rest api id>.execute-api.<region>.amazonaws.com`, built from
the REST API's id alone (not its stage URL, which would make the distribution wait for the
stage's deployment, which waits for every method, one of which needs the distribution's
domain). So CloudFormation creates the REST API, then the distribution, then the functions and
preflight methods that name `https://<distribution domain>` among the allowed web origins (see
`TandemStack`), then the stage. No wildcard origin (`*.execute-api...`, `*.cloudfront.net`) is
ever needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aws_cdk import DefaultStackSynthesizer, Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from functions.schedule.deps import STATED_RULES, stated_rules
from infra import nag
from infra.api import Api
from infra.config import Settings
from infra.data import Data
from infra.functions import LOG_RETENTION

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
WEB_DIR: Final = REPO_ROOT / "web"
CONFIG_FILE: Final = "config.json"
CONFIG_KEYS: Final = ("api_url", "region", "cognito_endpoint", "pools", "stage", *STATED_RULES)
"""What `config.json` holds (as `local.webapp` serves it locally): `api_url` (the stage's base URL,
ending in `/`), `region`, `cognito_endpoint` (`https://cognito-idp.<region>.amazonaws.com/`, where
the app calls InitiateAuth and the other public Cognito actions), `pools` (`participant` and
`staff`, each `{"user_pool_id", "client_id"}`), `stage`, and the program rules the app states
(`room_opens_minutes`, `cancel_cutoff_hours`: what the schedule function enforces)."""
NOT_DEPLOYED: Final = (".*", f"/{CONFIG_FILE}", "/tests/")
"""What of `web/` stays home (gitignore patterns): dotfiles, a `config.json` of its own (the stack
writes that one) and the app's unit tests."""
CACHE_CONTROL: Final = {"app": "no-cache", "config": "no-store"}
"""What browsers are told (CloudFront's cache follows its cache policies, not these)."""
HSTS_MAX_AGE: Final = Duration.days(730)
PERMISSIONS_POLICY: Final = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
)
"""Every powerful feature off: the app needs none (video rooms open at their own join URL)."""
LOG_PREFIXES: Final = {"bucket": "s3/web-app/", "distribution": "cloudfront/web-app/"}
ACCESS_LOG_EXPIRY: Final = Duration.days(2192)
"""Six years, as the stack's log groups keep theirs (`LOG_RETENTION`)."""
NONCURRENT_VERSIONS_KEPT: Final = Duration.days(90)
"""How long a replaced file of the app stays as a non-current version (to roll back by hand)."""
DEPLOYMENT_MEMORY_MB: Final = 512
DEPLOYMENT_HANDLER_PREFIX: Final = "Custom::CDKBucketDeployment"
ASSET_BUCKET: Final = f"cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>"
"""The default bootstrap's asset bucket, as cdk-nag renders it in a finding."""


def content_security_policy(connect_origins: list[str]) -> str:
    """The CSP of every answer: the app's own files only, `fetch` to itself and `connect_origins`."""
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *connect_origins],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class Web(Construct):
    """The app's bucket, its access-log bucket, the distribution and the deployment of `web/`.

    `origins` are the web origins the API must allow for this app: the custom domain's (when
    `web_domain` is set) and the distribution's own `https://<id>.cloudfront.net` (a token)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, api: Api, data: Data
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.api_origin = f"https://{api.rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        self.cognito_endpoint = f"https://cognito-idp.{stack.region}.{stack.url_suffix}/"

        # SSE-S3 for the logs: S3 server access logging cannot deliver to an SSE-KMS bucket. Its ACLs
        # stay enabled (bucket owner preferred): CloudFront's standard logs arrive through them.
        self.log_bucket = self._bucket(
            "AccessLogs",
            "It holds the access logs of the public web app's static files (request lines for HTML, "
            "JavaScript and CSS; no API call, no PHI in any URL), and S3 server access logging can "
            "only deliver to an SSE-S3 bucket.",
            no_replica="They record reads of public files, never of data (the API's own logs, encrypted "
            "with the CMK, record those): losing this region's copy loses no record of PHI access.",
            ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle=s3.LifecycleRule(
                id="ExpireLogs", expiration=ACCESS_LOG_EXPIRY, noncurrent_version_expiration=Duration.days(1)
            ),
        )
        self.bucket = self._bucket(
            "AppBucket",
            "It holds only the web app's static files (HTML, JavaScript, CSS, translations), which "
            "CloudFront serves to anyone: no PHI, nothing secret.",
            no_replica="Every deployment rewrites the app from the repository, so a replica in another "
            "region would add no recovery the repository does not give.",
            ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle=s3.LifecycleRule(
                id="ExpireReplacedFiles", noncurrent_version_expiration=NONCURRENT_VERSIONS_KEPT
            ),
            logs_to=self.log_bucket,
        )

        csp = content_security_policy([self.api_origin, self.cognito_endpoint.rstrip("/")])
        self.headers_policies = {
            kind: self._headers_policy(f"{kind.capitalize()}Headers", csp, cache_control)
            for kind, cache_control in CACHE_CONTROL.items()
        }
        self.distribution = self._distribution(settings)
        domain = self.distribution.distribution_domain_name
        self.origins: tuple[str, ...] = (
            *((f"https://{settings.web_domain}",) if settings.web_domain else ()),
            f"https://{domain}",
        )
        self.url = f"https://{settings.web_domain or domain}/"
        self._deploy(settings, api, data)

    def _headers_policy(
        self, construct_id: str, csp: str, cache_control: str
    ) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            construct_id,
            comment=f"Tandem web app: strict CSP, HSTS, no framing; Cache-Control: {cache_control}",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, preload=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                # No page address leaves the app: the API and Cognito need none (and URLs carry no
                # PHI anyway); strict-origin-when-cross-origin would still send the origin.
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
                    for name, value in (
                        ("Permissions-Policy", PERMISSIONS_POLICY),
                        # A window the app opens (a join URL) cannot reach back into it, and no
                        # other site may embed the app's files.
                        ("Cross-Origin-Opener-Policy", "same-origin"),
                        ("Cross-Origin-Resource-Policy", "same-origin"),
                        ("Cache-Control", cache_control),
                    )
                ]
            ),
        )

    def _bucket(
        self,
        construct_id: str,
        what: str,
        *,
        no_replica: str,
        ownership: s3.ObjectOwnership,
        lifecycle: s3.LifecycleRule,
        logs_to: s3.IBucket | None = None,
    ) -> s3.Bucket:
        """A private bucket (all public access blocked, TLS only, SSE-S3, versioned, retained), with
        what it holds (why SSE-S3 is enough) and why it needs no replica."""
        bucket = s3.Bucket(
            self,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=ownership,
            server_access_logs_bucket=logs_to,
            server_access_logs_prefix=LOG_PREFIXES["bucket"] if logs_to else None,
            lifecycle_rules=[lifecycle],
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            bucket,
            "HIPAA.Security-S3DefaultEncryptionKMS",
            f"{what} It is encrypted at rest with S3-managed keys (SSE-S3); a KMS key would protect "
            "nothing more, and the Tandem CMK guards PHI only.",
        )
        nag.acknowledge(
            bucket,
            "HIPAA.Security-S3BucketReplicationEnabled",
            f"{what} {no_replica}",
        )
        return bucket

    def _distribution(self, settings: Settings) -> cloudfront.Distribution:
        origin = origins.S3BucketOrigin.with_origin_access_control(
            self.bucket, origin_access_levels=[cloudfront.AccessLevel.READ]
        )

        def behavior(cache: cloudfront.ICachePolicy, kind: str) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=cache,
                response_headers_policy=self.headers_policies[kind],
                compress=True,
            )

        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", settings.web_certificate_arn)
            if settings.web_certificate_arn
            else None
        )
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Tandem web app ({settings.stage})",
            default_behavior=behavior(cloudfront.CachePolicy.CACHING_OPTIMIZED, "app"),
            additional_behaviors={
                f"/{CONFIG_FILE}": behavior(cloudfront.CachePolicy.CACHING_DISABLED, "config")
            },
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            domain_names=[settings.web_domain] if settings.web_domain else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None,
            ssl_support_method=cloudfront.SSLMethod.SNI if certificate else None,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix=LOG_PREFIXES["distribution"],
            log_includes_cookies=False,
        )
        nag.acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "No geo restriction: the program serves people in the United States, but participants "
            "travel and the app's files are public and hold no data; every data request goes to the "
            "API, which authenticates it.",
        )
        nag.acknowledge(
            distribution,
            "AwsSolutions-CFR2",
            "No web ACL on the distribution: it serves only the app's public static files (GET and "
            "HEAD, cached, no data, no sign-in). The stack's web ACL is regional and guards the API, "
            "where every request with data goes; a CloudFront web ACL would have to live in "
            "us-east-1, outside this stack.",
        )
        if certificate is None:
            nag.acknowledge(
                distribution,
                "AwsSolutions-CFR4",
                "Without a custom domain the distribution answers on its *.cloudfront.net name with "
                "CloudFront's default certificate, whose security policy CloudFront fixes (browsers "
                "negotiate TLS 1.2 or 1.3; HSTS keeps them on HTTPS). Set web_domain and "
                "web_certificate_arn to serve the app under TLSv1.2_2021 as the minimum.",
            )
        return distribution

    def _deploy(self, settings: Settings, api: Api, data: Data) -> None:
        """One sync of `web/` and the generated `config.json` into the bucket (pruning files no
        longer in `web/`), then an invalidation of the whole distribution."""
        stack = Stack.of(self)
        log_group = logs.LogGroup(
            self,
            "DeploymentLogs",
            encryption_key=data.key,
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Our own role, so no AWS managed policy: it may write its log group, and the deployment
        # adds what it needs (read the staged assets, write the app bucket, invalidate).
        role = iam.Role(
            self,
            "DeploymentRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Tandem web app deployment: copies web/ and config.json to the app bucket",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteDeploymentLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        config = {
            "api_url": api.rest_api.url,
            "region": stack.region,
            "cognito_endpoint": self.cognito_endpoint,
            "pools": {
                "participant": {
                    "user_pool_id": api.user_pool.user_pool_id,
                    "client_id": api.user_pool_client.user_pool_client_id,
                },
                "staff": {
                    "user_pool_id": api.staff_pool.user_pool_id,
                    "client_id": api.staff_pool_client.user_pool_client_id,
                },
            },
            "stage": settings.stage,
            **stated_rules(),
        }
        assert tuple(config) == CONFIG_KEYS
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deployment",
            sources=[
                s3deploy.Source.asset(str(WEB_DIR), exclude=list(NOT_DEPLOYED), ignore_mode=IgnoreMode.GIT),
                s3deploy.Source.json_data(CONFIG_FILE, config),
            ],
            destination_bucket=self.bucket,
            prune=True,
            distribution=self.distribution,
            distribution_paths=["/*"],
            log_group=log_group,
            role=role,
            memory_limit=DEPLOYMENT_MEMORY_MB,
        )
        self._acknowledge_deployment(role)

    def _acknowledge_deployment(self, role: iam.Role) -> None:
        """cfn-lint's and cdk-nag's findings on CDK's deployment handler (a singleton function at
        the stack's root, run by CloudFormation only while a deployment creates or updates the
        custom resource) and its role."""
        stack = Stack.of(self)
        (handler,) = [
            child for child in stack.node.children if child.node.id.startswith(DEPLOYMENT_HANDLER_PREFIX)
        ]
        # CDK adds an explicit DependsOn on the role, which the role ARN reference already implies.
        function = handler.node.default_child
        assert isinstance(function, lambda_.CfnFunction)
        function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        during_deploys = (
            "It is CDK's BucketDeployment handler, invoked by CloudFormation only while a deployment "
            "copies web/ and config.json to the app bucket"
        )
        nag.acknowledge(
            handler,
            "AwsSolutions-L1",
            f"{during_deploys}; its runtime is the one aws-cdk-lib pins for that handler's code, and "
            "moves with aws-cdk-lib upgrades.",
        )
        nag.acknowledge(
            handler,
            "HIPAA.Security-LambdaConcurrency",
            f"{during_deploys}, one invocation per deployment: nothing calls it at a rate to limit.",
        )
        nag.acknowledge(
            handler,
            "HIPAA.Security-LambdaDLQ",
            f"{during_deploys}, synchronously through the custom resource provider: a failure fails "
            "the deployment, which CloudFormation reports and rolls back; there is no asynchronous "
            "invocation to dead-letter.",
        )
        nag.acknowledge(
            handler,
            "HIPAA.Security-LambdaInsideVPC",
            f"{during_deploys}: it reaches only S3 (the CDK asset bucket and the app bucket) and "
            "CloudFront over TLS with its role; there is no private network resource to reach, and "
            "it touches no PHI.",
        )
        grants = (
            "CDK's BucketDeployment writes these grants on the handler's role: read the staged "
            "asset zips in the CDK bootstrap asset bucket, read, write and delete (prune) objects of "
            "the app bucket, and create and read CloudFront invalidations"
        )
        nag.acknowledge(
            role,
            "HIPAA.Security-IAMNoInlinePolicy",
            f"{grants}, on the role it is given as one inline policy. The role is assumed only by "
            "the deployment handler and has no other policy.",
        )
        wildcards = {
            "Action::s3:GetBucket*": "the read action groups of S3 grantRead",
            "Action::s3:GetObject*": "the read action groups of S3 grantRead",
            "Action::s3:List*": "the read action groups of S3 grantRead",
            "Action::s3:Abort*": "the multipart-upload cleanup of S3 grantReadWrite",
            "Action::s3:DeleteObject*": "pruning files removed from web/ (S3 grantReadWrite)",
            f"Resource::arn:<AWS::Partition>:s3:::{ASSET_BUCKET}/*": "the staged assets, whose keys "
            "are content hashes that change with every change of web/",
            f"Resource::{nag.arn_of(self.bucket)}/*": "every object of the app bucket, which holds "
            "only the app's files",
            "Resource::*": "cloudfront:CreateInvalidation and GetInvalidation, which CDK grants "
            "without naming the distribution",
        }
        for finding, why in wildcards.items():
            nag.acknowledge(
                role,
                f"AwsSolutions-IAM5[{finding}]",
                f"{grants}; this one is {why}. The role is assumed only by the deployment handler.",
            )
