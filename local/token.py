"""Print a Cognito ID token for a demo user of the running local runtime.

.venv/bin/python -m local.token coordinator        # by role
.venv/bin/python -m local.token alex@tandem.example  # by username
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from local.settings import LocalSettings


def id_token(state: dict[str, Any], username: str, password: str) -> str:
    import boto3

    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=state["aws_endpoint_url"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts anything
    )
    result = cognito.initiate_auth(
        ClientId=state["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def main(argv: list[str]) -> int:
    state_file = LocalSettings.from_env().state_dir / "local.json"
    if not Path(state_file).exists():
        print(f"no {state_file}: start the runtime with `make serve` first", file=sys.stderr)
        return 1
    state = json.loads(Path(state_file).read_text())
    wanted = argv[0] if argv else "coordinator"
    user = next((u for u in state["users"] if wanted in {u["role"], u["username"]}), None)
    if user is None:
        print(f"no demo user {wanted!r}", file=sys.stderr)
        return 1
    print(id_token(state, user["username"], user["password"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
