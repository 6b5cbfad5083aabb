"""cdk-nag (HIPAA Security + AWS Solutions) on the real app, the way `app.py` synthesizes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from infra import app_factory, nag
from infra.config import DEFAULTS
from tests.infra.conftest import COMMITTED_OPENAPI

pytestmark = pytest.mark.xdist_group("infra-nag")

# Every rule the stack acknowledges. A new acknowledgement must be added here on purpose.
EXPECTED_ACKNOWLEDGED = {
    "AwsSolutions-APIG4",
    "AwsSolutions-CFR1",
    "AwsSolutions-CFR2",
    "AwsSolutions-CFR4",
    "AwsSolutions-COG2",
    "AwsSolutions-COG4",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:chime:<AWS::Region>:<AWS::AccountId>:meeting/*]",
    "AwsSolutions-L1",
    "AwsSolutions-SQS3",
    "HIPAA.Security-APIGWCacheEnabledAndEncrypted",
    "HIPAA.Security-APIGWSSLEnabled",
    "HIPAA.Security-LambdaDLQ",
    "HIPAA.Security-LambdaInsideVPC",
    # The web app (infra/web.py): its buckets, its distribution, CDK's deployment handler and role
    "AwsSolutions-IAM5[Action::s3:Abort*]",
    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "AwsSolutions-IAM5[Resource::<WebAppBucketFD18DA1F.Arn>/*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
    "HIPAA.Security-IAMNoInlinePolicy",
    "HIPAA.Security-LambdaConcurrency",
    "HIPAA.Security-S3BucketReplicationEnabled",
    "HIPAA.Security-S3DefaultEncryptionKMS",
}
WEB_DEPLOYMENT_ONLY = {
    "AwsSolutions-IAM5[Action::s3:Abort*]",
    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "HIPAA.Security-IAMNoInlinePolicy",
    "HIPAA.Security-LambdaConcurrency",
}
"""Acknowledged only on CDK's web deployment handler and its role, never on Tandem's own functions."""
STREAM_LIST_PREFIX = "AwsSolutions-IAM5[Resource::<"


@pytest.fixture(scope="module")
def synthesized(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.App, Path]:
    outdir = tmp_path_factory.mktemp("cdk-nag")
    app, _ = app_factory.build_app(openapi=document, outdir=str(outdir))
    app_factory.synth(app)  # raises NagFindingsError on any unacknowledged finding
    return app, outdir


def test_no_unacknowledged_findings(synthesized: tuple[cdk.App, Path]) -> None:
    _, outdir = synthesized
    assert nag.unacknowledged_findings(outdir) == []
    assert (outdir / "Tandem.template.json").exists()


def test_every_acknowledgement_has_a_specific_reason(synthesized: tuple[cdk.App, Path]) -> None:
    app, _ = synthesized
    acknowledgements = nag.acknowledgements(app)
    assert acknowledgements
    for ack in acknowledgements:
        assert len(ack.reason.strip()) >= nag.MIN_REASON_LENGTH, ack
        assert ack.path not in ("Tandem", ""), f"stack-wide acknowledgement {ack}"


def test_acknowledged_rules_are_the_reviewed_set(synthesized: tuple[cdk.App, Path]) -> None:
    app, _ = synthesized
    ids = {ack.rule_id for ack in nag.acknowledgements(app)}
    stream_lists = {
        rule for rule in ids if rule.startswith(STREAM_LIST_PREFIX) and rule.endswith("/stream/*]")
    }
    assert ids - stream_lists == EXPECTED_ACKNOWLEDGED


def test_only_cdks_web_deployment_gets_wildcard_s3_actions_inline_policies_and_no_concurrency_limit(
    synthesized: tuple[cdk.App, Path],
) -> None:
    app, _ = synthesized
    for ack in nag.acknowledgements(app):
        if ack.rule_id in WEB_DEPLOYMENT_ONLY:
            assert ack.path.startswith(("Tandem/Web/DeploymentRole", "Tandem/Custom::CDKBucketDeployment")), (
                ack
            )


def test_only_the_participant_pool_may_go_without_mfa(synthesized: tuple[cdk.App, Path]) -> None:
    # The staff pool requires TOTP, so AwsSolutions-COG2 passes there without an acknowledgement
    app, _ = synthesized
    mfa = [ack for ack in nag.acknowledgements(app) if ack.rule_id == "AwsSolutions-COG2"]
    assert [ack.path for ack in mfa] == ["Tandem/Api/UserPool"]
    assert "participant pool" in mfa[0].reason
    assert "staff pool, whose MFA is required" in mfa[0].reason


def test_unacknowledged_findings_fail_synthesis(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Careless")
    sqs.Queue(stack, "PlainQueue")  # no KMS, no TLS-only policy, no DLQ
    nag.register_packs(app)
    with pytest.raises(nag.NagFindingsError) as failure:
        app_factory.synth(app)
    assert "AwsSolutions-SQS3" in str(failure.value)
    assert "HIPAA.Security-SQSQueueSSLRequestsOnly" in str(failure.value) or "AwsSolutions-SQS4" in str(
        failure.value
    )


def test_acknowledge_refuses_an_empty_reason(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    with pytest.raises(ValueError, match="specific reason"):
        nag.acknowledge(cdk.Stack(app, "S"), "AwsSolutions-SQS3", "  ")


def test_cdk_json_repeats_the_code_defaults() -> None:
    context = app_factory.cdk_json_context()
    for key, value in DEFAULTS.items():
        assert context.get(key) == value, key
    assert json.loads(app_factory.CDK_JSON.read_text())["app"] == ".venv/bin/python app.py"


@pytest.mark.skipif(not COMMITTED_OPENAPI.exists(), reason="openapi/tandem.json not committed yet")
def test_app_py_synthesizes_the_committed_document(tmp_path: Path) -> None:
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path), "PYTHONPATH": str(app_factory.REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "app.py"],
        cwd=app_factory.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "Tandem.template.json").exists()


def test_synthesized_template_passes_cfn_lint(synthesized: tuple[cdk.App, Path]) -> None:
    # Given the template the nag-checked synth wrote
    _, outdir = synthesized
    templates = sorted(outdir.glob("*.template.json"))
    assert templates
    # When cfn-lint checks it (errors are exit bit 2; warnings 4; informational 8)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), *map(str, templates)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Then it reports nothing at all
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
