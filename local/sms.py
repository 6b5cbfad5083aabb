"""Text the program's number from a phone, on the running local runtime (two-way SMS).

.venv/bin/python -m local.sms +15125550101 STOP   # Alex Rivera opts out of texts
.venv/bin/python -m local.sms +15125550101 START  # ... and back in
.venv/bin/python -m local.sms +15125550101 C      # ... or confirms their next session

It publishes to the local inbound-SMS topic what AWS End User Messaging two-way SMS publishes
for each text a person sends; the runtime hands it to NotifyInbound as Lambda would. The answer
appears among the texts moto has sent (`sent_sms_url` in `.tandem/local.json`).
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

from local.settings import PROGRAM_SMS_NUMBER, LocalSettings


def inbound_text(
    origination: str, body: str, *, destination: str = PROGRAM_SMS_NUMBER, message_id: str | None = None
) -> dict[str, str]:
    """The SNS message End User Messaging publishes for one text `origination` sent to `destination`."""
    return {
        "originationNumber": origination,
        "destinationNumber": destination,
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": message_id or str(uuid.uuid4()),
        "previousPublishedMessageId": "",
    }


def publish(state: dict[str, Any], origination: str, body: str, *, message_id: str | None = None) -> str:
    """Publish one inbound text to the runtime's topic; its inbound message id."""
    import boto3

    sns = boto3.client(
        "sns",
        endpoint_url=state["aws_endpoint_url"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts anything
    )
    text = inbound_text(
        origination,
        body,
        destination=state.get("program_sms_number", PROGRAM_SMS_NUMBER),
        message_id=message_id,
    )
    sns.publish(TopicArn=state["inbound_sms_topic_arn"], Message=json.dumps(text))
    return text["inboundMessageId"]


def main(argv: list[str]) -> int:
    state_file = LocalSettings.from_env().state_dir / "local.json"
    if not Path(state_file).exists():
        print(f"no {state_file}: start the runtime with `make serve` first", file=sys.stderr)
        return 1
    if len(argv) < 2 or not argv[0].startswith("+"):
        print("usage: python -m local.sms +E164NUMBER TEXT...", file=sys.stderr)
        return 2
    state = json.loads(Path(state_file).read_text())
    message_id = publish(state, argv[0], " ".join(argv[1:]))
    print(
        f"texted {state.get('program_sms_number', PROGRAM_SMS_NUMBER)} (inbound message {message_id}); "
        f"answers: {state.get('sent_sms_url', '')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
