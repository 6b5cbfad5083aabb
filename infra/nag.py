"""cdk-nag 3: the rule packs Tandem runs on every synth, and reasoned acknowledgements.

Every acknowledgement goes through `acknowledge`, which refuses an empty reason, and names
one finding (cdk-nag 3 has no prefix matching, so `AwsSolutions-IAM5[Resource::*]` is
acknowledged on its own, never "all of IAM5").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks
from constructs import Construct, IConstruct

PACK_NAMES = ("AwsSolutions", "HIPAA.Security")
VALIDATION_REPORT = "validation-report.json"
MIN_REASON_LENGTH = 20


class NagFindingsError(RuntimeError):
    """Synthesis found cdk-nag findings nobody acknowledged."""


@dataclass(frozen=True)
class Acknowledgement:
    """One acknowledged finding as recorded on the construct tree."""

    path: str
    rule_id: str
    reason: str


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on `scope` (and its children) with a written reason."""
    text = " ".join(reason.split())
    if len(text) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledgement of {rule_id} at {scope.node.path} needs a specific reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=text))


def wildcard_finding(resource: str) -> str:
    """The AwsSolutions-IAM5 finding id for a wildcard resource as cdk-nag flattens it."""
    return f"AwsSolutions-IAM5[Resource::{resource}]"


def arn_of(element: IConstruct) -> str:
    """How cdk-nag renders `Fn::GetAtt <element>.Arn` inside a finding id."""
    cfn = element if isinstance(element, CfnElement) else element.node.default_child
    assert isinstance(cfn, CfnElement)
    return f"<{Stack.of(cfn).get_logical_id(cfn)}.Arn>"


def register_packs(app: App) -> None:
    """Run the HIPAA Security and AWS Solutions packs as policy-validation plugins."""
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True),
        HIPAASecurityChecks(app, verbose=True),
    )


def acknowledgements(root: Construct) -> list[Acknowledgement]:
    """Every acknowledgement recorded anywhere under `root`."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    found: list[Acknowledgement] = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != key or not isinstance(entry.data, dict):
                continue
            for rule_id, reason in entry.data.items():
                # CDK records IDs without a known namespace as annotation IDs.
                clean = re.sub(r"^annotation::", "", str(rule_id), flags=re.IGNORECASE)
                found.append(Acknowledgement(construct.node.path, clean, str(reason)))
    return found


def unacknowledged_findings(outdir: str | Path) -> list[str]:
    """Findings of the nag packs left in the synthesized validation report, one line each."""
    report_file = Path(outdir) / VALIDATION_REPORT
    if not report_file.exists():
        return []
    report: dict[str, Any] = json.loads(report_file.read_text())
    lines: list[str] = []
    for plugin in report.get("pluginReports", []):
        name = str(plugin.get("pluginName", ""))
        if not any(pack in name for pack in PACK_NAMES):
            continue
        for violation in plugin.get("violations", []):
            rule = violation.get("ruleName", "?")
            where = violation.get("violatingConstructs") or violation.get("violatingResources") or [{}]
            for resource in where:
                path = resource.get("constructPath") or resource.get("resourceLogicalId") or "?"
                lines.append(f"{rule} ({violation.get('severity', '?')}) at {path}")
    return lines
