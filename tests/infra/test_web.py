"""The web app's hosting (issue 11, part 4): a private bucket read by CloudFront through origin access
control, HTTPS only, strict security headers, a generated `config.json`, and the API allowing the
app's origin without a dependency cycle between the two.

Two synths: the bare one (shared, `tests/infra/conftest.py`) and a production stage with a custom
domain and no other web origin.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest

from functions.catalog import ENTRYPOINTS
from functions.common.cors import ORIGINS_ENV
from functions.schedule.deps import STATED_RULES, stated_rules
from infra import nag
from infra.config import Settings
from infra.web import CONFIG_FILE, CONFIG_KEYS, WEB_DIR
from local.webapp import security_headers as local_security_headers
from tests.infra.conftest import Synth, synthesize
from tests.infra.test_stack import WEB_DEPLOYMENT_HANDLER, Resources, function_id, of_type, props, rendered

pytestmark = pytest.mark.xdist_group("infra-template")

WEB_DOMAIN = "care.example.org"
CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CUSTOM_DOMAIN = {
    "stage": "prod",
    "alarm_email": "oncall@example.org",
    "web_origins": "",
    "web_domain": WEB_DOMAIN,
    "web_certificate_arn": CERTIFICATE,
}
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
"""CloudFront's managed cache policies (ids AWS publishes)."""
UNSAFE_SOURCES = (
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'unsafe-hashes'",
    "'wasm-unsafe-eval'",
    "*",
    "http:",
    "data:",
)


@pytest.fixture(scope="module")
def resources(bare: Synth) -> Resources:
    return bare.resources


@pytest.fixture(scope="module")
def custom_domain(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(document, tmp_path_factory.mktemp("cdk-web-domain"), CUSTOM_DOMAIN)


def only(resources: Resources, kind: str) -> str:
    (name,) = of_type(resources, kind)
    return name


def app_bucket(resources: Resources) -> str:
    (name,) = [name for name in of_type(resources, "AWS::S3::Bucket") if name.startswith("WebAppBucket")]
    return name


def log_bucket(resources: Resources) -> str:
    (name,) = [name for name in of_type(resources, "AWS::S3::Bucket") if name.startswith("WebAccessLogs")]
    return name


def bucket_policy(resources: Resources, bucket: str) -> list[dict[str, Any]]:
    (policy,) = [
        props(body)["PolicyDocument"]["Statement"]
        for body in of_type(resources, "AWS::S3::BucketPolicy").values()
        if props(body)["Bucket"] == {"Ref": bucket}
    ]
    statements: list[dict[str, Any]] = policy
    return statements


def distribution(resources: Resources) -> dict[str, Any]:
    config: dict[str, Any] = props(resources[only(resources, "AWS::CloudFront::Distribution")])[
        "DistributionConfig"
    ]
    return config


def behaviors(resources: Resources) -> dict[str, dict[str, Any]]:
    """Every cache behavior of the distribution by path pattern (`*` for the default)."""
    config = distribution(resources)
    found = {"*": config["DefaultCacheBehavior"]}
    found.update({b["PathPattern"]: b for b in config.get("CacheBehaviors", [])})
    return found


def headers_policy(resources: Resources, behavior: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = props(resources[behavior["ResponseHeadersPolicyId"]["Ref"]])[
        "ResponseHeadersPolicyConfig"
    ]
    return policy


def csp_directives(policy: dict[str, Any]) -> dict[str, list[str]]:
    text = rendered(policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives: dict[str, list[str]] = {}
    for directive in text.split(";"):
        name, *sources = directive.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def custom_headers(policy: dict[str, Any]) -> dict[str, str]:
    items = policy["CustomHeadersConfig"]["Items"]
    assert all(item["Override"] for item in items)
    return {item["Header"]: item["Value"] for item in items}


def deployment(resources: Resources) -> dict[str, Any]:
    (body,) = [body for body in resources.values() if body["Type"].startswith("Custom::CDKBucketDeployment")]
    found: dict[str, Any] = props(body)
    return found


def app_origin(resources: Resources) -> str:
    return "https://${" + only(resources, "AWS::CloudFront::Distribution") + ".DomainName}"


def pool_ids(resources: Resources) -> dict[str, tuple[str, str]]:
    """Per pool (`participant`, `staff`): the logical ids of the user pool and of its app client."""
    found: dict[str, tuple[str, str]] = {}
    for pool in of_type(resources, "AWS::Cognito::UserPool"):
        (client,) = [
            name
            for name, body in of_type(resources, "AWS::Cognito::UserPoolClient").items()
            if props(body)["UserPoolId"] == {"Ref": pool}
        ]
        found["staff" if "Staff" in pool else "participant"] = (pool, client)
    return found


# --- the bucket ----------------------------------------------------------------------------------


def test_the_app_bucket_is_private_tls_only_encrypted_versioned_logged_and_retained(
    resources: Resources,
) -> None:
    bucket = app_bucket(resources)
    body = resources[bucket]
    config = props(body)
    assert config["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert config["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}  # no ACLs
    (encryption,) = config["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert config["VersioningConfiguration"] == {"Status": "Enabled"}
    assert config["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket(resources)}
    assert "WebsiteConfiguration" not in config
    assert body["DeletionPolicy"] == "Retain"
    # Its policy refuses plain HTTP to everyone and allows only CloudFront, for this distribution only
    statements = bucket_policy(resources, bucket)
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = rendered(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source.endswith(":distribution/${" + only(resources, "AWS::CloudFront::Distribution") + "}")


def test_the_access_log_bucket_is_private_tls_only_and_expires_its_logs(resources: Resources) -> None:
    bucket = log_bucket(resources)
    config = props(resources[bucket])
    assert all(config["PublicAccessBlockConfiguration"].values())
    assert config["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {
        "SSEAlgorithm": "AES256"  # S3 server access logs cannot be delivered to an SSE-KMS bucket
    }
    (rule,) = config["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] >= 6 * 365
    statements = bucket_policy(resources, bucket)
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    (delivery,) = [s for s in statements if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [app_bucket(resources), "Arn"]}
    # And the distribution logs there too, without cookies
    logging = distribution(resources)["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": [bucket, "RegionalDomainName"]}
    assert logging["IncludeCookies"] is False


# --- the distribution -------------------------------------------------------------------------------


def test_the_distribution_reads_the_bucket_through_origin_access_control_only(resources: Resources) -> None:
    (origin,) = distribution(resources)["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [app_bucket(resources), "RegionalDomainName"]}
    control = only(resources, "AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [control, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    assert of_type(resources, "AWS::CloudFront::CloudFrontOriginAccessIdentity") == {}
    signing = props(resources[control])["OriginAccessControlConfig"]
    assert (
        signing["OriginAccessControlOriginType"],
        signing["SigningBehavior"],
        signing["SigningProtocol"],
    ) == (
        "s3",
        "always",
        "sigv4",
    )


def test_viewers_reach_the_app_over_https_only_for_reading(resources: Resources) -> None:
    config = distribution(resources)
    assert config["DefaultRootObject"] == "index.html"
    assert set(behaviors(resources)) == {"*", f"/{CONFIG_FILE}"}
    for pattern, behavior in behaviors(resources).items():
        assert behavior["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only"), pattern
        assert behavior["AllowedMethods"] == ["GET", "HEAD"], pattern
    # Without a custom domain: CloudFront's own name and certificate (acknowledged, AwsSolutions-CFR4)
    assert "Aliases" not in config
    assert "ViewerCertificate" not in config


def test_a_custom_domain_is_served_with_its_certificate_from_tls_1_2(custom_domain: Synth) -> None:
    config = distribution(custom_domain.resources)
    assert config["Aliases"] == [WEB_DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert custom_domain.template.to_json()["Outputs"]["WebAppUrl"]["Value"] == f"https://{WEB_DOMAIN}/"


def test_only_the_default_certificate_is_acknowledged_below_tls_1_2(
    bare: Synth, custom_domain: Synth
) -> None:
    def tls_acknowledged(synth: Synth) -> bool:
        return any(ack.rule_id == "AwsSolutions-CFR4" for ack in nag.acknowledgements(synth.stack))

    assert tls_acknowledged(bare)
    assert not tls_acknowledged(custom_domain)


# --- security headers ----------------------------------------------------------------------------


def test_every_answer_carries_a_strict_content_security_policy(resources: Resources) -> None:
    api = only(resources, "AWS::ApiGateway::RestApi")
    for pattern, behavior in behaviors(resources).items():
        policy = headers_policy(resources, behavior)
        assert policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["Override"] is True
        directives = csp_directives(policy)
        # Nothing but the app's own files: no inline code, no eval, no wildcard, no other origin
        assert directives["default-src"] == ["'none'"], pattern
        assert directives["script-src"] == ["'self'"], pattern
        assert directives["style-src"] == ["'self'"], pattern
        for name in ("base-uri", "form-action", "frame-ancestors", "object-src"):
            assert directives[name] == ["'none'"], (pattern, name)
        for name, sources in directives.items():
            unsafe = [s for s in sources if s in UNSAFE_SOURCES or "*" in s]
            assert unsafe == [] or (name == "img-src" and unsafe == ["data:"]), (pattern, name, unsafe)
        # And fetch reaches only the app itself, this stack's API (exactly) and Cognito's endpoint
        assert directives["connect-src"] == [
            "'self'",
            "https://${" + api + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
            "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}",
        ], pattern


def test_every_answer_carries_hsts_nosniff_no_framing_no_referrer_and_no_powerful_features(
    resources: Resources,
) -> None:
    for pattern, behavior in behaviors(resources).items():
        policy = headers_policy(resources, behavior)
        security = policy["SecurityHeadersConfig"]
        assert security["StrictTransportSecurity"] == {
            "AccessControlMaxAgeSec": 2 * 365 * 24 * 3600,
            "IncludeSubdomains": True,
            "Preload": True,
            "Override": True,
        }, pattern
        assert security["ContentTypeOptions"] == {"Override": True}, pattern
        assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}, pattern
        assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}, pattern
        headers = custom_headers(policy)
        features = dict(item.split("=") for item in headers["Permissions-Policy"].split(", "))
        for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
            assert features[feature] == "()", (pattern, feature)
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_local_runtime_serves_the_app_with_the_same_policy(resources: Resources) -> None:
    """A page that breaks the policy breaks under `make serve` and in the browser tests too."""
    local = dict(local_security_headers(("http://127.0.0.1:5000",)))
    policy = headers_policy(resources, behaviors(resources)["*"])
    cloud = csp_directives(policy)
    served = {
        name: sources
        for name, sources in (d.split(maxsplit=1) for d in local["Content-Security-Policy"].split("; "))
    }
    assert set(served) == set(cloud)
    for name, sources in served.items():
        if name != "connect-src":  # the API and Cognito of each place
            assert sources.split() == cloud[name], name
    security = policy["SecurityHeadersConfig"]
    assert local["X-Content-Type-Options"] == "nosniff"
    assert security["ContentTypeOptions"] == {"Override": True}
    assert local["X-Frame-Options"] == security["FrameOptions"]["FrameOption"]
    assert local["Referrer-Policy"] == security["ReferrerPolicy"]["ReferrerPolicy"]
    extra = custom_headers(policy)
    assert local["Cross-Origin-Opener-Policy"] == extra["Cross-Origin-Opener-Policy"]
    # CloudFront turns off every feature the local runtime does (and a few more the app never uses)
    assert set(local["Permissions-Policy"].split(", ")) <= set(extra["Permissions-Policy"].split(", "))


def test_config_json_is_never_cached_and_the_app_is_revalidated(resources: Resources) -> None:
    app, config = behaviors(resources)["*"], behaviors(resources)[f"/{CONFIG_FILE}"]
    # Given config.json: CloudFront does not cache it and browsers may not store it
    assert config["CachePolicyId"] == CACHING_DISABLED
    assert custom_headers(headers_policy(resources, config))["Cache-Control"] == "no-store"
    # And the app's files: cached at the edge until the next deployment, revalidated by browsers
    assert app["CachePolicyId"] == CACHING_OPTIMIZED
    assert custom_headers(headers_policy(resources, app))["Cache-Control"] == "no-cache"


# --- deployment ----------------------------------------------------------------------------------


def test_the_deployment_syncs_web_and_invalidates_the_whole_distribution(bare: Synth) -> None:
    found = deployment(bare.resources)
    assert found["DestinationBucketName"] == {"Ref": app_bucket(bare.resources)}
    assert found["Prune"] is True
    assert found["DistributionId"] == {"Ref": only(bare.resources, "AWS::CloudFront::Distribution")}
    assert found["DistributionPaths"] == ["/*"]
    # The web/ asset holds the app: web/ without dotfiles, a config.json of its own or the app's tests
    relative = [path.relative_to(WEB_DIR) for path in WEB_DIR.rglob("*") if path.is_file()]
    expected = {
        path.as_posix()
        for path in relative
        if not any(part.startswith(".") for part in path.parts)
        and path.as_posix() != CONFIG_FILE
        and path.parts[0] != "tests"
    }
    assert "index.html" in expected
    staged = [bare.outdir / f"asset.{key.removesuffix('.zip')}" for key in found["SourceObjectKeys"]]
    (web,) = [asset for asset in staged if not (asset / CONFIG_FILE).exists()]
    assert {path.relative_to(web).as_posix() for path in web.rglob("*") if path.is_file()} == expected


def test_config_json_names_the_stacks_api_region_and_both_pools(bare: Synth) -> None:
    resources = bare.resources
    found = deployment(resources)
    staged = [
        bare.outdir / f"asset.{key.removesuffix('.zip')}" / CONFIG_FILE for key in found["SourceObjectKeys"]
    ]
    (source,) = [index for index, path in enumerate(staged) if path.exists()]
    # Given the generated file with its deploy-time values (markers the deployment fills in)
    text = staged[source].read_text()
    for marker, value in found["SourceMarkers"][source].items():
        text = text.replace(marker, rendered(value))
    config = json.loads(text)
    # Then it names this stack's stage URL, region, Cognito endpoint and each pool with its client
    assert tuple(config) == CONFIG_KEYS
    api, stage = only(resources, "AWS::ApiGateway::RestApi"), only(resources, "AWS::ApiGateway::Stage")
    assert (
        config["api_url"]
        == "https://${" + api + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${" + stage + "}/"
    )
    assert config["region"] == "${AWS::Region}"
    assert config["cognito_endpoint"] == "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/"
    pools = pool_ids(resources)
    assert set(config["pools"]) == {"participant", "staff"} == set(pools)
    for name, (pool, client) in pools.items():
        assert config["pools"][name] == {"user_pool_id": "${" + pool + "}", "client_id": "${" + client + "}"}
    assert config["stage"] == "dev"
    # And the rules it states are the ones the schedule function applies: no function is told others
    assert set(STATED_RULES) == {"room_opens_minutes", "cancel_cutoff_hours"}  # what web/js reads
    assert {name: config[name] for name in STATED_RULES} == stated_rules()
    for body in of_type(resources, "AWS::Lambda::Function").values():
        variables = props(body).get("Environment", {}).get("Variables", {})
        assert not {"ROOM_OPENS_MINUTES", "CANCEL_CUTOFF_HOURS"} & set(variables)


def test_the_deployment_handler_is_the_only_function_outside_the_catalog(resources: Resources) -> None:
    catalog = {function_id(resources, entry) for entry in ENTRYPOINTS}
    (handler,) = set(of_type(resources, "AWS::Lambda::Function")) - catalog
    assert handler.startswith(WEB_DEPLOYMENT_HANDLER)
    function = props(resources[handler])
    role = function["Role"]["Fn::GetAtt"][0]
    assert role.startswith("WebDeploymentRole")
    assert "ManagedPolicyArns" not in props(resources[role])  # no AWS managed policy
    assert rendered(function["LoggingConfig"]["LogGroup"]).startswith("${WebDeploymentLogs")


# --- CORS: the API allows the app ----------------------------------------------------------------


def test_the_apis_preflights_and_functions_allow_the_apps_own_origin(resources: Resources) -> None:
    origin = app_origin(resources)
    preflights = [
        props(body)
        for body in of_type(resources, "AWS::ApiGateway::Method").values()
        if props(body)["HttpMethod"] == "OPTIONS"
    ]
    assert preflights
    for preflight in preflights:
        (response,) = preflight["Integration"]["IntegrationResponses"]
        template = rendered(response["ResponseTemplates"]["application/json"])
        assert f'$origin == "https://app.tandem.health" || $origin == "{origin}")' in template
    for entry in ENTRYPOINTS:
        env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
        if entry.trigger == "api":
            assert rendered(env[ORIGINS_ENV]) == f"https://app.tandem.health,{origin}"
        else:
            assert ORIGINS_ENV not in env


def test_a_custom_domain_is_allowed_and_a_stage_needs_no_other_origin(custom_domain: Synth) -> None:
    # Given a production stage with a custom domain and no web_origins of its own
    resources = custom_domain.resources
    allowed = f"https://{WEB_DOMAIN},{app_origin(resources)}"
    # Then the API allows exactly the custom domain and the distribution's own name
    for entry in ENTRYPOINTS:
        if entry.trigger == "api":
            env = props(resources[function_id(resources, entry)])["Environment"]["Variables"]
            assert rendered(env[ORIGINS_ENV]) == allowed
    for body in of_type(resources, "AWS::ApiGateway::Method").values():
        if props(body)["HttpMethod"] == "OPTIONS":
            (response,) = props(body)["Integration"]["IntegrationResponses"]
            template = rendered(response["ResponseTemplates"]["application/json"])
            assert " || ".join(f'$origin == "{o}"' for o in allowed.split(",")) in template
    # And API Gateway's own errors carry CORS headers (for the request's origin, no credentials)
    for response in of_type(resources, "AWS::ApiGateway::GatewayResponse").values():
        headers = props(response)["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.Origin"


def test_the_apps_headers_wait_for_the_rest_api_alone(resources: Resources) -> None:
    """The CSP names the API and the API names the app. The CSP refers to the REST API's id only:
    its stage URL would make the distribution wait for the stage, which waits for the methods that
    name the distribution, a cycle CloudFormation refuses (`Template.from_stack` too, which the
    fixtures would fail with)."""
    api = only(resources, "AWS::ApiGateway::RestApi")
    for behavior in behaviors(resources).values():
        policy = json.dumps(headers_policy(resources, behavior))
        named = set(re.findall(r'"Ref": "([^"]+)"', policy)) | set(
            re.findall(r'"Fn::GetAtt": \["([^"]+)"', policy)
        )
        assert named == {api, "AWS::Region", "AWS::URLSuffix"}


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"web_domain": WEB_DOMAIN}, "go together"),
        ({"web_certificate_arn": CERTIFICATE}, "go together"),
        ({"web_domain": f"https://{WEB_DOMAIN}", "web_certificate_arn": CERTIFICATE}, "host name"),
        ({"web_domain": f"{WEB_DOMAIN}:8443", "web_certificate_arn": CERTIFICATE}, "host name"),
        ({"web_domain": f"{WEB_DOMAIN}/app", "web_certificate_arn": CERTIFICATE}, "host name"),
        ({"web_domain": "*.example.org", "web_certificate_arn": CERTIFICATE}, "host name"),
        (
            {"web_domain": WEB_DOMAIN, "web_certificate_arn": CERTIFICATE.replace("us-east-1", "us-east-2")},
            "us-east-1",
        ),
        (
            {
                "web_domain": WEB_DOMAIN,
                "web_certificate_arn": "arn:aws:acm:us-east-1:111122223333:certificate/x",
            },
            "ACM",
        ),
    ],
)
def test_settings_refuse_a_custom_domain_cloudfront_could_not_serve(
    context: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_scope(cdk.App(context=context))


def test_settings_read_a_custom_domain_and_a_stage_needs_no_other_web_origin() -> None:
    settings = Settings.from_scope(cdk.App(context={**CUSTOM_DOMAIN, "web_domain": " Care.Example.org "}))
    assert (settings.web_domain, settings.web_certificate_arn) == (WEB_DOMAIN, CERTIFICATE)
    assert settings.web_origins == ()
    bare = Settings.from_scope(cdk.App())
    assert (bare.web_domain, bare.web_certificate_arn) == ("", "")
