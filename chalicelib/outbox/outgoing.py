"""Outbox items: which notifications an event produces, to whom, on which channel.

They are written in the same transaction as the event; the dispatcher sends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.data import keys
from chalicelib.data.keys import OUTBOX_SHARD, ticket_pk
from chalicelib.data.models import Notification, NotificationStatus, Ticket
from chalicelib.domain import clock, ids


def new_notification(
    pk: str,
    *,
    ticket_id: str,
    channel: str,
    audience: str,
    recipient: str,
    template: str,
    language: str,
    params: dict[str, Any],
    now: datetime,
) -> Notification:
    notification_id = ids.new_id()
    return Notification(
        pk,
        keys.notification_sk(notification_id),
        ticket_id=ticket_id,
        notification_id=notification_id,
        channel=channel,
        audience=audience,
        recipient=recipient,
        template=template,
        language=language,
        params=params,
        status=NotificationStatus.PENDING,
        attempts=0,
        created_at=clock.iso(now),
        outbox_shard=OUTBOX_SHARD,
        outbox_due=clock.iso(now),
    )


def request_template(ticket: Ticket) -> str:
    """What the request asks now: a quote, or an intervention to accept (also after a quote was accepted)."""
    return "quote_request" if ticket.state == "quote_requested" else "intervention_request"


def ticket_params(ticket: Ticket) -> dict[str, Any]:
    """What every message about a ticket may show, frozen at the time it is written."""
    return {
        "reference": ticket.reference,
        "title": ticket.title,
        "description": ticket.description,
        "site_address": ticket.site_address,
        "access_notes": ticket.access_notes,
        "urgency": ticket.urgency,
        "request_kind": ticket.request_kind,
        "contractor_name": ticket.contractor_name,
        "manager_name": ticket.manager_name,
        "planned_date": ticket.planned_date,
        "planned_time": ticket.planned_time,
        "planned_until": ticket.planned_until,
    }


def calendar(ticket: Ticket, method: str = "request") -> dict[str, Any]:
    """What an email's .ics adds (chalicelib/outbox/ics.py): request or cancel, and the ticket's version
    as SEQUENCE: it grows with every change, so a later file always supersedes an earlier one."""
    return {"ics": method, "sequence": int(ticket.version or 0)}


def to_contractor(
    ticket: Ticket, template: str, now: datetime, link_number: int, extra: dict[str, Any] | None = None
) -> list[Notification]:
    """One notification per channel the ticket uses, each carrying the ticket's link."""
    params = {**ticket_params(ticket), "link_number": link_number, **(extra or {})}
    recipients: dict[str, str | None] = {"sms": ticket.contractor_phone, "email": ticket.contractor_email}
    channels = [str(channel) for channel in ticket.channels]
    return [
        new_notification(
            ticket_pk(ticket.ticket_id),
            ticket_id=ticket.ticket_id,
            channel=channel,
            audience="contractor",
            recipient=recipient,
            template=template,
            language=ticket.contractor_language,
            params=params,
            now=now,
        )
        for channel in channels
        if (recipient := recipients.get(channel))
    ]


def to_manager(ticket: Ticket, template: str, now: datetime, extra: dict[str, Any] | None = None) -> Notification:
    """The owner's email alert; it links to the ticket in the admin."""
    return new_notification(
        ticket_pk(ticket.ticket_id),
        ticket_id=ticket.ticket_id,
        channel="email",
        audience="manager",
        recipient=ticket.manager_email,
        template=template,
        language=ticket.manager_language,
        # manager_id: their alert's Reply-To brings an emailed answer back to the ticket (data/reply_addresses.py)
        params={**ticket_params(ticket), "ticket_id": ticket.ticket_id, "manager_id": ticket.manager_id, **(extra or {})},
        now=now,
    )


def timer_change(ticket_id: str, action: str, name: str, at: str | None, payload: dict[str, Any] | None,
                 now: datetime) -> Notification:
    """A schedule to place or remove, sent to EventBridge Scheduler by the dispatcher."""
    return new_notification(
        ticket_pk(ticket_id), ticket_id=ticket_id, channel="schedule", audience="system", recipient=name,
        template=str((payload or {}).get("step", "delete")), language="fr",
        params={"action": action, "at": at, "payload": payload}, now=now,
    )
