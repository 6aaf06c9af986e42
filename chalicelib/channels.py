"""The two ways out: SMS through SNS and email through SES v2. Thin, and they take their client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import aws
from chalicelib.config import settings


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


class SmsSender:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client or aws.client("sns")

    def send(self, phone: str, text: str) -> str:
        response = self._client.publish(
            PhoneNumber=phone,
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": settings().sms_sender_id},
            },
        )
        return str(response["MessageId"])


class EmailSender:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client or aws.client("sesv2")

    def send(self, email: Email) -> str:
        response = self._client.send_email(
            FromEmailAddress=settings().sender_email,
            Destination={"ToAddresses": [email.to]},
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
