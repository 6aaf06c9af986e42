"""SES bounces and complaints: the contractor's address is marked undeliverable, the ticket
says so, and the contractor gets the same message by SMS instead.

SES publishes the configuration set's Bounce and Complaint events to an SNS topic; the
`handle_bounce` Lambda gets them here. Only permanent bounces count (a full mailbox or a
greylisting server is transient, and SES already retried it). A complaint counts too: the
person asked not to get our email.

Idempotent: the bounced notification moves from `sent` to `bounced` under a condition in the
same transaction as the ticket event and the SMS, so SNS delivering twice changes nothing.
Logs name the ticket, the notification and the contractor, never an address or a phone.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import logs
from chalicelib.data import keys, store
from chalicelib.data.directory import find_contractor_by_email
from chalicelib.data.keys import ticket_pk
from chalicelib.data.models import Contractor, Event, Notification, NotificationStatus, RelaisItem, looked_up, settled
from chalicelib.domain import clock
from chalicelib.i18n import rendering
from chalicelib.outbox import outgoing

logger = Logger(service="relais", child=True)

EVENT_TYPE = "email_bounced"


def find_notification(message_id: str) -> Notification | None:
    """The email SES reports about, by its message id (the dispatcher recorded it when sending)."""
    return looked_up(keys.provider_lookup(message_id), Notification)


def parse(message: dict[str, Any]) -> tuple[str, list[str], str | None] | None:
    """(kind, addresses, SES message id) of a bounce or complaint that counts, else None.

    Accepts configuration-set events (`eventType`) and identity notifications (`notificationType`)."""
    kind = message.get("eventType") or message.get("notificationType")
    if kind == "Bounce":
        bounce = message.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return None
        recipients = bounce.get("bouncedRecipients") or []
    elif kind == "Complaint":
        recipients = (message.get("complaint") or {}).get("complainedRecipients") or []
    else:
        return None
    addresses = [parseaddr(str(r.get("emailAddress", "")))[1].lower() for r in recipients]
    return kind.lower(), [a for a in addresses if a], (message.get("mail") or {}).get("messageId")


def _has_sms_sibling(notification: Notification) -> bool:
    """Did the same change already send this message by SMS (the ticket uses both channels)?"""
    for item in RelaisItem.query(ticket_pk(notification.ticket_id), RelaisItem.sk.startswith(keys.NOTIFICATION_PREFIX)):
        if (isinstance(item, Notification) and item.channel == "sms" and item.template == notification.template
                and item.created_at == notification.created_at):
            return True
    return False


def sms_fallback(notification: Notification, contractor: Contractor, now: datetime) -> Notification | None:
    """The same message by SMS, when the contractor has a phone, the template has an SMS
    version, and the contractor did not get it by SMS already."""
    if not contractor.phone or notification.audience != "contractor":
        return None
    if not (rendering.TEMPLATES_DIR / "messages" / f"{notification.template}.sms.txt").is_file():
        return None
    if _has_sms_sibling(notification):
        return None
    return outgoing.new_notification(
        notification.pk, ticket_id=notification.ticket_id, channel="sms", audience="contractor",
        recipient=contractor.phone, template=notification.template, language=notification.language,
        params=dict(notification.params or {}), now=now)


def mark_undeliverable(address: str) -> Contractor | None:
    contractor = find_contractor_by_email(address)
    if contractor is None:
        return None
    if not contractor.email_undeliverable:
        contractor.update(actions=[Contractor.email_undeliverable.set(True)])
    return contractor


def _record(notification: Notification, contractor: Contractor, kind: str, now: datetime) -> str:
    """On the ticket: the notification bounced, an event says so, and the SMS goes out. Once."""
    sms = sms_fallback(notification, contractor, now)
    event = Event(ticket_pk(notification.ticket_id), store.new_event_sk(), ticket_id=notification.ticket_id,
                  event_type=EVENT_TYPE, actor="system", at=clock.iso(now),
                  data={"notification_id": notification.notification_id, "channel": "email", "kind": kind,
                        "template": notification.template, "sms_fallback": sms is not None})
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.update(notification, actions=[Notification.status.set(NotificationStatus.BOUNCED),
                                                      Notification.last_error.set(f"SES {kind}")],
                               condition=Notification.status == NotificationStatus.SENT)
            transaction.save(event, condition=Event.sk.does_not_exist())
            if sms is not None:
                transaction.save(sms)
    except TransactWriteError as exc:
        store.failed_conditions(exc)  # a busy table raises: the invocation fails and Lambda tries it again
        return "duplicate"  # already recorded (SNS delivers at least once)
    return "rerouted" if sms is not None else "recorded"


def handle_ses_event(message: dict[str, Any], now: datetime | None = None) -> str:
    """One SES event: what happened (ignored, unknown, marked, recorded, rerouted, duplicate)."""
    now = now or clock.now()
    parsed = parse(message)
    if parsed is None:
        return "ignored"
    kind, addresses, message_id = parsed
    contractors = {c.contractor_id: c for a in addresses if (c := mark_undeliverable(a)) is not None}
    notification = find_notification(message_id) if message_id else None
    log = {"kind": kind, "contractors": sorted(contractors), "ticket_id": notification.ticket_id if notification else None,
           "notification_id": notification.notification_id if notification else None}
    contractor = next((c for c in contractors.values()
                       if notification is not None and (c.email or "").lower() == notification.recipient.lower()), None)
    with logs.about_ticket(notification.ticket_id if notification else None):
        if notification is None or contractor is None or notification.channel != "email":
            logger.info("ses event", extra={**log, "result": "marked" if contractors else "unknown"})
            return "marked" if contractors else "unknown"
        result = _record(notification, contractor, kind, now)
        logger.info("ses event", extra={**log, "result": result})
        return result


def handle_sns_records(records: list[dict[str, Any]]) -> dict[str, int]:
    """Lambda handler body for the bounce topic's subscription."""
    outcome: dict[str, int] = {}
    for record in records:
        try:
            message = json.loads(record["Sns"]["Message"])
        except (KeyError, TypeError, ValueError):
            result = "ignored"
        else:
            result = handle_ses_event(message) if isinstance(message, dict) else "ignored"
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def reroute_if_undeliverable(notification: Notification, now: datetime) -> str | None:
    """Before an email to a contractor goes out: if their address is known to bounce, skip it and
    send the SMS instead (when there is one). None when the email should go out as usual."""
    contractor = find_contractor_by_email(notification.recipient)
    if contractor is None or not contractor.email_undeliverable:
        return None
    sms = sms_fallback(notification, contractor, now)
    with TransactWrite(connection=store.connection()) as transaction:
        transaction.update(notification, actions=settled(NotificationStatus.SKIPPED, "email undeliverable"))
        if sms is not None:
            transaction.save(sms)
    logger.info("email skipped: address undeliverable",
                extra={"ticket_id": notification.ticket_id, "notification_id": notification.notification_id,
                       "contractor_id": contractor.contractor_id, "sms_fallback": sms is not None})
    return "rerouted" if sms is not None else "skipped"
