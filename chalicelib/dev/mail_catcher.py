"""Local stage only: every SMS and email "sent", read back from the AWS stand-in.

The stand-in journals what SNS and SES were asked to send, and when (local/moto_extensions.py);
a page of it is one small loopback request, however many tickets the stand-in holds. The
runner restores the journal after a restart, so earlier messages are listed too.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import urllib.request
from html import unescape
from typing import Any

LINK = re.compile(r"https?://[^\s\"'<>]+")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def _journal(offset: int, limit: int) -> dict[str, Any]:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        return {"total": 0, "messages": []}
    query = urllib.parse.urlencode({"offset": offset, "limit": limit})
    with urllib.request.urlopen(f"{endpoint}/moto-api/relais/messages?{query}", timeout=30) as response:  # noqa: S310 - loopback only
        return dict(json.load(response))


def page(offset: int = 0, limit: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int]:
    """One page of messages, newest first, and how many there are in all."""
    offset, limit = max(offset, 0), min(max(limit, 1), MAX_PAGE_SIZE)
    journal = _journal(offset, limit)
    return [_readable(m) for m in journal.get("messages", [])], int(journal.get("total", 0))


def _readable(message: dict[str, Any]) -> dict[str, Any]:
    if message.get("raw"):
        return {**_from_raw(str(message["raw"])), "id": message.get("id"), "sent_at": message.get("sent_at", "")}
    body = str(message.get("body", ""))
    found = LINK.findall(body)
    links = found if message.get("channel") == "sms" else list(dict.fromkeys(unescape(u) for u in found))
    return {"id": message.get("id"), "channel": message.get("channel", ""), "to": message.get("to", ""),
            "subject": message.get("subject", ""), "body": body, "links": links, "attachments": [],
            "sent_at": message.get("sent_at", ""), "reply_to": message.get("reply_to", "")}


def _from_raw(data: str) -> dict[str, Any]:
    """An email sent with attachments (MIME): its subject, HTML part and file names."""
    from email import policy
    from email.parser import BytesParser

    parsed = BytesParser(policy=policy.default).parsebytes(data.encode())
    html_part = parsed.get_body(preferencelist=("html", "plain"))
    body = html_part.get_content() if html_part is not None else ""
    files = [part.get_filename() for part in parsed.iter_attachments()]
    return {"channel": "email", "to": str(parsed.get("To", "")), "subject": str(parsed.get("Subject", "")),
            "reply_to": str(parsed.get("Reply-To", "")),
            "body": body, "links": list(dict.fromkeys(unescape(u) for u in LINK.findall(body))),
            "attachments": [name for name in files if name]}


def send_reply(sender: str, to: str, subject: str, body: str, quoted: str) -> None:
    """What a mail client does on "Répondre": the new text on top of the quoted original, through
    `make run`'s SMTP stand-in (local/smtp.py), which hands it to the receive_email function."""
    import smtplib
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    from chalicelib.domain import clock

    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    message["Date"], message["Message-ID"] = format_datetime(clock.now()), make_msgid(domain="outbox.relais.localhost")
    quoted_lines = "\n".join(f"> {line}" for line in quoted.splitlines())
    message.set_content(f"{body}\n\nLe {clock.paris(clock.now()):%d/%m/%Y %H:%M}, Relais <{to}> a écrit :\n{quoted_lines}\n")
    with smtplib.SMTP("127.0.0.1", int(os.environ.get("RELAIS_SMTP_PORT", "2525")), timeout=30) as smtp:
        smtp.send_message(message)
