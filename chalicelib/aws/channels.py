"""The two ways out: SMS through SNS and email through SES v2. Thin, and they take their client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.aws import clients
from chalicelib.config import settings


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    sender_name: str = ""  # the agency's: mail readers show it instead of the bare address
    reply_to: str = ""  # where an answer by email goes: back into the ticket (chalicelib/data/reply_addresses.py)


def from_address(email: Email) -> str:
    """'Agence <relais@…>': the name quoted per RFC 5322 and, when not ASCII, encoded per RFC 2047
    (what SES takes in FromEmailAddress). Line breaks in a name are dropped: no header injection."""
    from email.utils import formataddr

    name = " ".join(email.sender_name.split())
    return formataddr((name, settings().sender_email), charset="utf-8") if name else settings().sender_email


def _mime(email: Email) -> bytes:
    """A multipart message for SES's raw content: text, HTML, then the files."""
    from email import policy  # only emails with files need it
    from email.headerregistry import Address
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = Address(" ".join(email.sender_name.split()), addr_spec=settings().sender_email)  # the policy encodes it
    message["To"] = email.to
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        # "text/calendar; method=REQUEST": mail readers offer the calendar entry by its method.
        kind, *extra = (part.strip() for part in attachment.content_type.split(";"))
        maintype, _, subtype = kind.partition("/")
        params = dict(item.partition("=")[::2] for item in extra if "=" in item)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=attachment.name, params=params)
    # Folding a long accented subject into several encoded words drops the space at the fold
    # (mail readers show "3décembre"): written out with RFC 5322's 998-character limit, headers
    # stay on one line, while the bodies keep the short lines they were encoded with.
    return message.as_bytes(policy=policy.default.clone(max_line_length=998))


class SmsSender:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client or clients.client("sns")

    def send(self, phone: str, text: str, sender_id: str) -> str:
        """`sender_id`: the agency's, shown as the sender where the network carries alphanumeric senders."""
        response = self._client.publish(
            PhoneNumber=phone,
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": sender_id},
            },
        )
        return str(response["MessageId"])


class EmailSender:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client or clients.client("sesv2")

    def send(self, email: Email) -> str:
        # The configuration set routes SES's bounce and complaint events to chalicelib/usecases/bounces.py.
        configuration: dict[str, Any] = {"ConfigurationSetName": name} if (name := settings().ses_configuration_set) else {}
        if email.reply_to:
            configuration["ReplyToAddresses"] = [email.reply_to]
        if email.attachments:
            raw = self._client.send_email(FromEmailAddress=from_address(email), Destination={"ToAddresses": [email.to]},
                                          Content={"Raw": {"Data": _mime(email)}}, **configuration)
            return str(raw["MessageId"])
        response = self._client.send_email(
            FromEmailAddress=from_address(email),
            Destination={"ToAddresses": [email.to]},
            **configuration,
            Content={
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
        )
        return str(response["MessageId"])
