"""The delivery channels: SES (email) and SNS (SMS). The only module that talks to them."""

from __future__ import annotations

from typing import Any

from functions.notify.models import MessageRecord
from functions.notify.vocabulary import Channel


class Channels:
    def __init__(self, ses: Any, sns: Any, sender_email: str) -> None:
        self._ses = ses
        self._sns = sns
        self._sender = sender_email

    def send(self, message: MessageRecord) -> str:
        """Deliver `message` on its channel; returns the provider's message id."""
        if message.channel is Channel.EMAIL:
            response = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [message.to]},
                Message={
                    "Subject": {
                        "Data": message.subject or "A message from your care team",
                        "Charset": "UTF-8",
                    },
                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                },
            )
        else:
            response = self._sns.publish(
                PhoneNumber=message.to,
                Message=message.text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )
        return str(response["MessageId"])
