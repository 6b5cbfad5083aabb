"""The delivery channels: SES (email) and SNS (SMS). The only module that talks to them."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from functions.notify.vocabulary import SENDER_NAME, Channel


@dataclass(frozen=True)
class Invite:
    """A calendar attachment (text/calendar; method REQUEST or CANCEL)."""

    content: bytes
    method: str
    filename: str = "invite.ics"


@dataclass(frozen=True)
class Outgoing:
    channel: Channel
    to: str
    text: str
    subject: str | None = None
    invite: Invite | None = None


DEFAULT_SUBJECT = "A message from your care team"


class Channels:
    def __init__(self, ses: Any, sns: Any, sender_email: str, configuration_set: str | None = None) -> None:
        self._ses = ses
        self._sns = sns
        self.sender = sender_email
        self.configuration_set = configuration_set
        """The SES configuration set every email goes through (in AWS it requires TLS)."""

    def send(self, message: Outgoing) -> str:
        """Deliver on the message's channel; returns the provider's message id."""
        if message.channel is Channel.EMAIL:
            return self._email(message)
        return publish_sms(self._sns, message.to, message.text)

    def _email(self, message: Outgoing) -> str:
        """SES v1 `SendRawEmail`: the only v1 call that carries an attachment."""
        mime = EmailMessage()
        mime["Subject"] = message.subject or DEFAULT_SUBJECT
        mime["From"] = formataddr((SENDER_NAME, self.sender))
        mime["To"] = message.to
        mime.set_content(message.text)
        if message.invite is not None:
            mime.add_attachment(
                message.invite.content,
                maintype="text",
                subtype="calendar",
                filename=message.invite.filename,
                params={"method": message.invite.method},
            )
        # The recipient comes from the `To` header (no `Destinations`): one address, one recipient.
        through = {"ConfigurationSetName": self.configuration_set} if self.configuration_set else {}
        response = self._ses.send_raw_email(
            Source=self.sender, RawMessage={"Data": mime.as_bytes()}, **through
        )
        return str(response["MessageId"])


def publish_sms(sns: Any, to: str, text: str, *, origination: str | None = None) -> str:
    """One transactional text through SNS; `origination` answers from the number the person
    texted. Returns the provider's message id."""
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    if origination:
        attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": origination}
    response = sns.publish(PhoneNumber=to, Message=text, MessageAttributes=attributes)
    return str(response["MessageId"])
