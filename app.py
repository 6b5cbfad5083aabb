#!/usr/bin/env python3
"""CDK app entry point: `python app.py` (or `cdk synth`) writes cdk.out.

Loads the committed OpenAPI document, builds `TandemStack` and runs the cdk-nag HIPAA
Security and AWS Solutions packs; exits non-zero when any finding is unacknowledged.
"""

from __future__ import annotations

import os
import sys

from infra import app_factory  # first: infra/__init__ points jsii at a recent Node.js
from infra.nag import NagFindingsError


def main() -> int:
    """Synthesize the app; 1 when cdk-nag reports an unacknowledged finding."""
    # The CDK CLI names the output directory in CDK_OUTDIR; run directly, write ./cdk.out.
    outdir = None if os.environ.get("CDK_OUTDIR") else str(app_factory.REPO_ROOT / "cdk.out")
    app, _ = app_factory.build_app(outdir=outdir)
    try:
        app_factory.synth(app)
    except NagFindingsError as exc:
        print(f"cdk-nag: synthesis refused.\n{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
