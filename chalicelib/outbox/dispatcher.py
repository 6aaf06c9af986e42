"""Sends outbox items: fed by the table's stream, and re-driven by a sweep for retries.

Claiming an item is a conditional update, so a duplicate stream delivery or a concurrent
sweep sends nothing twice. A failed send is retried with exponential backoff; after the
last try the item is marked failed and an event tells the ticket's manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import logs
from chalicelib.aws import signing_keys, uploads
from chalicelib.aws.channels import Attachment, Email, EmailSender, SmsSender
from chalicelib.config import settings
from chalicelib.data import agency, keys, links, listing, reply_addresses, store
from chalicelib.data.keys import OUTBOX_SHARD, ticket_id_of, ticket_pk
from chalicelib.data.models import Event, Link, Notification, NotificationStatus, Ticket, settled
from chalicelib.domain import clock, tokens
from chalicelib.outbox import metrics, notification_text, outgoing

logger = Logger(service="relais", child=True)

LEASE = timedelta(seconds=90)
ATTACHMENTS_MAX_BYTES = 10 * 1024 * 1024


class Senders(Protocol):
    def sms(self, phone: str, text: str) -> str: ...

    def email(self, email: Email) -> str: ...

    def schedule(self, action: str, name: str, at: str | None, payload: dict[str, Any] | None) -> str: ...


@dataclass
class AwsSenders:
    sms_sender: SmsSender | None = None
    email_sender: EmailSender | None = None

    def sms(self, phone: str, text: str) -> str:
        self.sms_sender = self.sms_sender or SmsSender()
        return self.sms_sender.send(phone, text, agency.current().sms_sender_id)

    def email(self, email: Email) -> str:
        self.email_sender = self.email_sender or EmailSender()
        return self.email_sender.send(email)

    def schedule(self, action: str, name: str, at: str | None, payload: dict[str, Any] | None) -> str:
        from chalicelib.aws.schedules import Scheduler

        if action == "delete" or at is None or payload is None:
            return Scheduler().remove(name)
        return Scheduler().place(name, clock.parse_iso(at), payload)


def url_for_notification(notification: Notification) -> str:
    params = notification.params or {}
    base = settings().base_url
    if "link_number" in params:
        link = Link.get(ticket_pk(notification.ticket_id), keys.link_sk(int(params["link_number"])))
        return links.url_for(notification.ticket_id, links.secret_of(link))
    if "occupant_link_number" in params:  # the occupant's read-only page, never the contractor's form
        from chalicelib.data import occupant_links
        from chalicelib.data.models import OccupantLink

        occupant = OccupantLink.get(ticket_pk(notification.ticket_id), keys.occupant_link_sk(int(params["occupant_link_number"])))
        return occupant_links.url_for(notification.ticket_id, occupant_links.secret_of(occupant))
    if "digest" in params:
        return f"{base}/admin"
    if "login_nonce" in params:
        key = signing_keys.at_version(params.get("key_version"))  # the key the link was made with, even if rotated since
        return f"{base}/admin/login/{tokens.derive_login_secret(key, params['login_nonce'])}"
    return f"{base}/admin/tickets/{notification.ticket_id}"


def _claim(pk: str, sk: str, now: datetime) -> Notification | None:
    """Take the item for sending, or None when it is sent, failed, or being sent elsewhere."""
    notification = Notification(pk, sk)
    lease_until = clock.iso(now + LEASE)
    try:
        notification.update(
            actions=[
                Notification.status.set(NotificationStatus.SENDING),
                Notification.attempts.add(1),
                Notification.lease_until.set(lease_until),
                Notification.outbox_due.set(lease_until),
            ],
            condition=(Notification.status.is_in(NotificationStatus.PENDING, NotificationStatus.SENDING)
                       & (Notification.outbox_due <= clock.iso(now))),
        )
    except UpdateError as exc:
        store.failed_conditions(exc)  # a busy table raises: the batch is retried
        return None
    return notification


def _send(notification: Notification, senders: Senders) -> str:
    params = notification.params or {}
    if notification.channel == "schedule":
        return _apply_timer(notification, senders)
    url = url_for_notification(notification)
    if notification.channel == "sms":
        text = notification_text.render_sms(notification.template, notification.language, params, url)
        return senders.sms(notification.recipient, text)
    rendered = notification_text.render_email(notification.template, notification.language, params, url)
    attachments = _attachments(params.get("files") or [])
    if params.get("ics"):
        from chalicelib.outbox import ics

        attachments += (ics.calendar_file(notification.ticket_id, params, url, notification.recipient),)
    return senders.email(Email(notification.recipient, rendered.subject, rendered.text, rendered.html, attachments,
                               sender_name=agency.current().name, reply_to=_reply_to(notification)))


def _reply_to(notification: Notification) -> str:
    """An answer by email lands in the ticket: the contractor's goes with their link, the owner's
    with the ticket. Other emails (sign-in links, automatic answers) have no Reply-To."""
    params = notification.params or {}
    if notification.audience == "contractor" and "link_number" in params:
        return reply_addresses.for_contractor(notification.ticket_id, int(params["link_number"]))
    if notification.audience == "manager" and params.get("manager_id") and ticket_id_of(notification.pk):
        return reply_addresses.for_manager(notification.ticket_id, str(params["manager_id"]))
    return ""


def _apply_timer(notification: Notification, senders: Senders) -> str:
    """Make the schedule match what the ticket wants now, not what it wanted when this item was
    written: a retried older item can then never put back a time the ticket has moved away from."""
    from chalicelib.usecases import planning

    name = notification.recipient
    step = name.removeprefix(f"{notification.ticket_id}-")
    try:
        ticket: Ticket | None = Ticket.get(ticket_pk(notification.ticket_id), keys.TICKET_SK, consistent_read=True)
    except Ticket.DoesNotExist:
        ticket = None
    timer = planning.wanted(ticket, settings().timers).get(step) if ticket is not None else None
    if timer is None:
        return senders.schedule("delete", name, None, None)
    return senders.schedule("upsert", name, clock.iso(timer.at), timer.payload(notification.ticket_id))


def _attachments(files: list[dict[str, Any]]) -> tuple[Attachment, ...]:
    """The files themselves when they total 10 MB or less; otherwise the email lists links only."""
    if not files or sum(int(f.get("size", 0)) for f in files) > ATTACHMENTS_MAX_BYTES:
        return ()
    return tuple(Attachment(str(f["name"]), str(f["content_type"]), uploads.read(str(f["key"]))) for f in files)


def deliver(pk: str, sk: str, senders: Senders | None = None, now: datetime | None = None) -> str:
    """Send one outbox item if it is due and nobody else has it. Returns what happened."""
    now = now or clock.now()
    notification = _claim(pk, sk, now)
    if notification is None:
        return "skipped"
    log = {"ticket_id": notification.ticket_id, "notification_id": notification.notification_id,
           "channel": notification.channel, "template": notification.template, "attempt": int(notification.attempts)}
    if notification.channel == "email" and notification.audience == "manager":
        from chalicelib.outbox import alert_routing  # at once, or in the morning digest, as the manager chose

        if alert_routing.kept_for_digest(notification, now):
            logger.info("alert kept for the digest", extra=log)
            metrics.delivery("digested", notification.channel)
            return "digested"
    if notification.channel == "email" and notification.audience == "contractor":
        from chalicelib.usecases import bounces  # an address SES reported as bouncing gets the SMS instead

        rerouted = bounces.reroute_if_undeliverable(notification, now)
        if rerouted is not None:
            metrics.delivery("skipped_undeliverable", notification.channel)
            return rerouted
    try:
        provider_id = _send(notification, senders or AwsSenders())
    except Exception as exc:  # any failure of the provider or the rendering: retry, then give up
        result = _record_failure(notification, exc, now, log)
        metrics.delivery(result, notification.channel)
        return result
    # An email's SES message id finds it again when SES reports a bounce (chalicelib/usecases/bounces.py).
    lookup = [Notification.lookup_key.set(keys.provider_lookup(provider_id))] if notification.channel == "email" else []
    notification.update(actions=[*settled(NotificationStatus.SENT), Notification.sent_at.set(clock.iso(clock.now())),
                                 Notification.provider_id.set(provider_id), *lookup])
    logger.info("notification sent", extra=log)
    metrics.delivery("sent", notification.channel)
    return "sent"


def _record_failure(notification: Notification, exc: Exception, now: datetime, log: dict[str, Any]) -> str:
    error = f"{type(exc).__name__}: {str(exc)[:300]}"
    attempts = int(notification.attempts)
    if attempts < settings().notification_max_attempts:
        delay = timedelta(seconds=settings().notification_backoff_seconds * 2 ** (attempts - 1))
        notification.update(
            actions=[
                Notification.status.set(NotificationStatus.PENDING),
                Notification.last_error.set(error),
                Notification.outbox_due.set(clock.iso(now + delay)),
                Notification.lease_until.remove(),
            ]
        )
        logger.warning("notification failed, will retry", extra={**log, "error_type": type(exc).__name__})
        return "retry"
    _mark_failed(notification, error, now)
    logger.error("notification failed for good", extra={**log, "error_type": type(exc).__name__})
    return "failed"


def _mark_failed(notification: Notification, error: str, now: datetime) -> None:
    """Failed for good: the item says so, the ticket's thread shows it to the manager, and the
    ticket appears in the owner's À traiter list until the notification is sent again."""
    ticket = None
    about_a_ticket = ticket_id_of(notification.pk) is not None  # not a login link's
    if about_a_ticket:
        try:
            ticket = Ticket.get(notification.pk, keys.TICKET_SK)
        except Ticket.DoesNotExist:
            ticket = None
    with TransactWrite(connection=store.connection()) as transaction:
        transaction.update(notification, actions=settled(NotificationStatus.FAILED, error))
        if about_a_ticket:
            event = Event(
                ticket_pk(notification.ticket_id),
                store.new_event_sk(),
                ticket_id=notification.ticket_id,
                event_type="notification_failed",
                actor="system",
                at=clock.iso(now),
                data={"notification_id": notification.notification_id, "channel": notification.channel,
                      "audience": notification.audience, "template": notification.template},
            )
            transaction.save(event)
        if ticket is not None and not listing.is_done(ticket):
            transaction.save(listing.attention_item(ticket, "delivery_failed", clock.iso(now)))
            if notification.audience == "contractor":  # the manager is told by email too (or in the digest)
                transaction.save(outgoing.to_manager(ticket, "manager_alert", now, {"alert": "delivery_failed"}))


def _new_image(record: dict[str, Any]) -> dict[str, Any]:
    return record.get("dynamodb", {}).get("NewImage") or {}


def handle_stream_batch(event: dict[str, Any], context: Any = None, senders: Senders | None = None) -> dict[str, Any]:
    """Lambda handler body for the table's stream: sends every new pending notification.

    Answers `{"batchItemFailures": [...]}` (the mapping declares ReportBatchItemFailures): a record
    whose handling raised (a DynamoDB error on its claim or its result; a failed send is retried
    by `deliver` itself) is named, and Lambda re-delivers from the first one named, not the whole
    batch. Powertools' batch utilities are imported here, not on top: the API never loads them."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    now = clock.now()

    def handle(record: DynamoDBRecord) -> str | None:
        try:
            return _handle_record(record.raw_event, senders, now)
        except Exception as exc:  # the type only: a provider's message may hold an address
            logger.error("stream record failed: Lambda delivers it again",
                         extra={"sequence_number": record.dynamodb.sequence_number if record.dynamodb else None,
                                "error_type": type(exc).__name__})
            raise

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return dict(process_partial_response(event=event, record_handler=handle, processor=processor, context=context))


def _handle_record(record: dict[str, Any], senders: Senders | None, now: datetime) -> str | None:
    """What one stream record asks: a step metric for a new ticket event, a send for a pending
    notification that is due. Returns what `deliver` did, or None when there was nothing to send."""
    image = _new_image(record)
    with logs.about_ticket(ticket_id_of(image.get("pk", {}).get("S", ""))):
        metrics.step_in(record)  # every committed ticket event passes here once: one metric per step
        pending = image.get("status", {}).get("S") == NotificationStatus.PENDING
        if image.get("item_type", {}).get("S") != "notification" or not pending:
            return None
        due = image.get("outbox_due", {}).get("S")
        if due is None or due > clock.iso(now):
            return None  # a retry waiting for its backoff: the sweep sends it when due
        return deliver(image["pk"]["S"], image["sk"]["S"], senders)  # each claim leased from its own start


def sweep(senders: Senders | None = None, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is due and was not sent: retries after backoff, items whose sender died."""
    now = now or clock.now()
    outcome: dict[str, int] = {}
    due = Notification.outbox_index.query(OUTBOX_SHARD, Notification.outbox_due <= clock.iso(now), limit=limit)
    for item in due:
        with logs.about_ticket(ticket_id_of(item.pk)):
            result = deliver(item.pk, item.sk, senders, max(now, clock.now()))  # a long sweep leases each from its start
        outcome[result] = outcome.get(result, 0) + 1
    metrics.outbox_age(_oldest_due_age(clock.now()))
    return outcome


def _oldest_due_age(now: datetime) -> float:
    """Seconds since the oldest outbox item still waiting became due (0 when none is late)."""
    for item in Notification.outbox_index.query(OUTBOX_SHARD, limit=1):
        return (now - clock.parse_iso(str(item.outbox_due))).total_seconds()
    return 0.0
