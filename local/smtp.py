"""`make run`'s stand-in for SES email receiving: an SMTP server on 127.0.0.1:$SMTP_PORT (2525).

Each mail is stored raw under `inbound/<id>` in the stand-in's bucket, as the receipt rule's S3 action
does, then given to the same `receive_email` function, with the event SES's Lambda action sends
(verdicts all PASS: nothing here checks SPF, DKIM or viruses). Any mail client pointed at the port works,
and so does /dev/outbox's "Répondre" form. aiosmtpd is a development requirement only: never in the package.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from chalicelib.domain import ids

SMTP_PORT = int(os.environ.get("SMTP_PORT", "2525"))
MAX_BYTES = 40 * 1024 * 1024  # what SES accepts; the handler applies its own, lower limit


def ses_event(ses_message_id: str, recipients: list[str], envelope_sender: str, verdict: str = "PASS") -> dict[str, Any]:
    """The Lambda action's event for one received mail (the fields Relais reads)."""
    status = {"status": verdict}
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {
        "mail": {"messageId": ses_message_id, "source": envelope_sender, "destination": recipients},
        "receipt": {"recipients": recipients, "spamVerdict": status, "virusVerdict": status, "spfVerdict": status,
                    "dkimVerdict": status, "dmarcVerdict": status,
                    "action": {"type": "Lambda", "invocationType": "Event"}}}}]}


def new_message_id() -> str:
    return ids.new_id().lower()  # SES's are 20-40 lower-case letters and digits


class _Handler:
    def __init__(self, receive: Callable[[dict[str, Any], Any], Any]) -> None:
        self.receive = receive

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        from chalicelib.aws import inbound

        message_id = new_message_id()
        raw = bytes(envelope.original_content or envelope.content or b"")
        event = ses_event(message_id, list(envelope.rcpt_tos), str(envelope.mail_from or ""))

        def deliver() -> None:
            inbound.store_raw(message_id, raw)
            self.receive(event, None)

        await asyncio.get_running_loop().run_in_executor(None, deliver)
        return "250 Message accepted for delivery"


def start(receive: Callable[[dict[str, Any], Any], Any], port: int = SMTP_PORT) -> Any:
    """Listening on loopback until `.stop()`; `receive` is the app's receive_email function."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Handler(receive), hostname="127.0.0.1", port=port, data_size_limit=MAX_BYTES)
    controller.start()
    return controller
