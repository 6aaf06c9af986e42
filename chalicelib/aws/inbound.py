"""Received emails as SES stores them: raw MIME under `inbound/` in the files bucket (the receipt
rule's S3 action names each object by SES's message id). Read with the size checked first."""

from __future__ import annotations

from chalicelib.aws import clients
from chalicelib.config import settings
from chalicelib.domain.errors import Unreadable
from chalicelib.domain.received_mail import MAX_MESSAGE_BYTES

INBOUND_PREFIX = "inbound/"  # infra/template.yml: the receipt rule's ObjectKeyPrefix and a lifecycle rule


def key_of(ses_message_id: str) -> str:
    return f"{INBOUND_PREFIX}{ses_message_id}"


def read_raw(ses_message_id: str) -> bytes:
    """The message's bytes; Unreadable("too_large") from its size alone, before downloading it."""
    s3, bucket, key = clients.client("s3"), settings().bucket_name, key_of(ses_message_id)
    if int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"]) > MAX_MESSAGE_BYTES:
        raise Unreadable("too_large")
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def store_raw(ses_message_id: str, raw: bytes) -> None:
    """What SES's S3 action does: the local SMTP stand-in (local/smtp.py) stores mail this way."""
    clients.client("s3").put_object(Bucket=settings().bucket_name, Key=key_of(ses_message_id), Body=raw)
