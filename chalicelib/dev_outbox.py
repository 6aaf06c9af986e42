"""Local stage only: every SMS and email "sent", read back from the AWS stand-in.

moto records what SNS and SES were asked to send; the dispatcher recorded when (the
notification's `sent_at`, matched by provider message id). Messages from before a restart
of `make run` come from the archive the local runner keeps under .local/.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from html import unescape
from pathlib import Path
from typing import Any

from chalicelib.models import Notification

LINK = re.compile(r"https?://[^\s\"'<>]+")


def _moto_state() -> dict[str, Any]:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        return {}
    # The stand-in dumps all its state, the table included: megabytes after a few dozen tickets,
    # seconds on a busy machine. Loopback only, so waiting is safe.
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=60) as response:  # noqa: S310 - loopback only
        return dict(json.load(response))


def _sent_times() -> dict[str, str]:
    # Local stage only, on a small demo table: a Scan is acceptable here and nowhere else.
    return {n.provider_id: n.sent_at for n in Notification.scan(Notification.provider_id.exists()) if n.sent_at}


def _archived() -> list[dict[str, Any]]:
    path = os.environ.get("RELAIS_DEV_OUTBOX_ARCHIVE")
    if not path or not Path(path).exists():
        return []
    return list(json.loads(Path(path).read_text(encoding="utf-8")))


def live_messages() -> list[dict[str, Any]]:
    """What the AWS stand-in holds now, oldest first, with sent_at where known."""
    state = _moto_state()
    times = _sent_times()
    messages: list[dict[str, Any]] = []
    for sms in state.get("sns", {}).get("SMS", []):
        body = sms.get("message", "")
        messages.append({"id": sms.get("message_id"), "channel": "sms", "to": sms.get("phone_number"),
                         "subject": "", "body": body, "links": LINK.findall(body),
                         "sent_at": times.get(sms.get("message_id"), "")})
    for raw in state.get("ses", {}).get("RawMessage", []):
        messages.append(_from_raw(raw, times))
    for mail in state.get("ses", {}).get("Message", []):
        body = mail.get("body", "")
        to = (mail.get("destinations") or {}).get("ToAddresses") or []
        messages.append({"id": mail.get("id"), "channel": "email", "to": ", ".join(to),
                         "subject": mail.get("subject", ""), "body": body,
                         "links": list(dict.fromkeys(unescape(u) for u in LINK.findall(body))),
                         "sent_at": times.get(mail.get("id"), "")})
    return messages


def _from_raw(raw: dict[str, Any], times: dict[str, str]) -> dict[str, Any]:
    """An email sent with attachments (MIME): its subject, HTML part and file names."""
    from email import policy
    from email.parser import BytesParser

    data = raw.get("raw_data", "")
    parsed = BytesParser(policy=policy.default).parsebytes(data.encode() if isinstance(data, str) else data)
    html_part = parsed.get_body(preferencelist=("html", "plain"))
    body = html_part.get_content() if html_part is not None else ""
    files = [part.get_filename() for part in parsed.iter_attachments()]
    return {"id": raw.get("id"), "channel": "email", "to": str(parsed.get("To", "")), "subject": str(parsed.get("Subject", "")),
            "body": body, "links": list(dict.fromkeys(unescape(u) for u in LINK.findall(body))),
            "attachments": [name for name in files if name], "sent_at": times.get(str(raw.get("id")), "")}


def all_messages() -> list[dict[str, Any]]:
    """Archived and live messages, newest first."""
    seen: set[str] = set()
    merged: list[dict[str, Any]] = []
    for message in _archived() + live_messages():
        if message.get("id") in seen:
            continue
        seen.add(str(message.get("id")))
        merged.append(message)
    # Just sent, not yet stamped by the dispatcher: newest of all ("~" sorts after digits).
    return sorted(merged, key=lambda m: m.get("sent_at") or "~", reverse=True)
