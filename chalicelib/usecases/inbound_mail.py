"""Emails received at a ticket's reply addresses (SES receiving; `make run`'s SMTP stand-in).

Each one, once (keyed by its Message-ID), becomes one of:
- a message in the thread, exactly as if typed on the form or the ticket page (conversation.send_message),
  its files checked like uploads; from the contractor of a live link, or from the ticket's owner;
- held for the manager ("reçu d'une adresse inconnue"): a sender that is not the address's owner,
  or whose domain does not vouch for it (DMARC alignment), spam, or a mail too large or too complex to read;
- answered automatically with the agency's phone: a reply after the link was revoked (reassignment)
  or the ticket closed;
- dropped: a virus, an automatic answer (out-of-office, bounce), an address that is not ours.
Nothing is half-written: each outcome is one transaction, and a second delivery finds the first's marker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib import logs
from chalicelib.aws import inbound, uploads
from chalicelib.data import agency, directory, listing, reply_addresses, store
from chalicelib.data.reply_addresses import Replier
from chalicelib.domain import clock, contacts, received_mail, reply_address, tokens
from chalicelib.domain.errors import AlreadySubmitted, Conflict, MessageRejected, NotFound, Unreadable
from chalicelib.domain.forms import MESSAGE_MAX, MESSAGE_MAX_FILES, TOO_MANY_FILES
from chalicelib.domain.lifecycle import State
from chalicelib.domain.received_mail import ReceivedMail
from chalicelib.logs import logger
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes, conversation

ATTEMPTS = 3
# Manager-only events (store.MANAGER_ONLY_EVENTS).
HELD = "email_held"
REFUSED = "email_refused"


@dataclass(frozen=True)
class Delivery:
    """What SES says of one received email (its Lambda action's event record)."""

    ses_message_id: str
    recipients: tuple[str, ...]
    envelope_sender: str  # MAIL FROM: empty for a bounce
    verdicts: dict[str, str] = field(default_factory=dict)  # spam, virus, spf, dkim, dmarc → PASS, FAIL, GRAY…

    def vouches_for(self, mail: ReceivedMail) -> bool:
        """Whether the From address's domain vouched for this mail (DMARC's idea of alignment): DMARC
        passed, or SPF passed for an envelope sender of the From's domain, or DKIM passed and a
        signature is the From domain's. SPF or DKIM passing for another domain proves nothing of From."""
        if self.verdicts.get("dmarc") == "FAIL" or "@" not in mail.sender:
            return False
        domain = mail.sender.rpartition("@")[2]
        spf_aligned = self.verdicts.get("spf") == "PASS" and self.envelope_sender.lower().rpartition("@")[2] == domain
        dkim_aligned = self.verdicts.get("dkim") == "PASS" and domain in mail.dkim_domains
        return self.verdicts.get("dmarc") == "PASS" or spf_aligned or dkim_aligned


def deliveries(event: dict[str, Any]) -> list[Delivery]:
    found = []
    for record in event.get("Records") or []:
        ses = record.get("ses") or {}
        mail, receipt = ses.get("mail") or {}, ses.get("receipt") or {}
        verdicts = {name: str((receipt.get(f"{name}Verdict") or {}).get("status", ""))
                    for name in ("spam", "virus", "spf", "dkim", "dmarc")}
        found.append(Delivery(str(mail.get("messageId", "")), tuple(map(str, receipt.get("recipients") or [])),
                              str(mail.get("source", "")), verdicts))
    return found


def handle_ses_event(event: dict[str, Any]) -> dict[str, int]:
    """The receive_email function's body: every record handled; outcomes counted."""
    outcome: dict[str, int] = {}
    for delivery in deliveries(event):
        result = receive(delivery, clock.now())
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def receive(delivery: Delivery, now: datetime) -> str:
    """Handle one received email; returns what became of it."""
    log = {"ses_message_id": delivery.ses_message_id[:100], "verdicts": delivery.verdicts}
    if delivery.verdicts.get("virus") == "FAIL":
        logger.warning("received email dropped: virus", extra=log)
        return "dropped_virus"
    found = _addressed_ticket(delivery)
    if found is None:
        logger.info("received email dropped: not a live reply address of ours", extra=log)
        return "not_ours"
    view, replier = found
    with logs.about_ticket(view.ticket.ticket_id):
        result = _receive_for(view, replier, delivery, now)
        logger.info("received email", extra={**log, "result": result, "replier": replier.who})
        return result


def _addressed_ticket(delivery: Delivery) -> tuple[store.TicketView, Replier] | None:
    where = reply_addresses.domain()
    for recipient in delivery.recipients:
        address = reply_address.parse(recipient, where)
        if address is None:
            continue
        try:
            view = store.load_ticket(address.ticket_id)
        except NotFound:
            continue
        replier = reply_addresses.identify(view, address)
        if replier is not None:
            return view, replier
    return None


def _receive_for(view: store.TicketView, replier: Replier, delivery: Delivery, now: datetime) -> str:
    ticket = view.ticket
    try:
        mail = received_mail.read(inbound.read_raw(delivery.ses_message_id))
    except Unreadable as unreadable:
        return _hold(view, delivery, None, unreadable.reason, now)
    if mail.auto_reply or not delivery.envelope_sender:
        return "ignored_automatic"
    submission_id = _submission_id(ticket.ticket_id, mail.message_id or delivery.ses_message_id)
    if store.find_submission(submission_id) is not None:
        return "duplicate"
    vouched = delivery.vouches_for(mail)
    if replier.revoked or (replier.who == reply_address.CONTRACTOR and ticket.closed_at):
        if not vouched:
            return "dropped_unauthenticated"  # never answer a forged sender (backscatter)
        return _refuse(view, mail, submission_id, now, _language_of(view, replier))
    owner = ticket.contractor_email if replier.who == reply_address.CONTRACTOR else ticket.manager_email
    if not mail.sender or mail.sender != (owner or "").lower():
        return _hold(view, delivery, mail, "unknown_sender", now, submission_id)
    if not vouched:
        return _hold(view, delivery, mail, "unauthenticated", now, submission_id)
    if delivery.verdicts.get("spam") == "FAIL":
        return _hold(view, delivery, mail, "spam", now, submission_id)
    return _record(view, replier, mail, submission_id, now)


def _submission_id(ticket_id: str, message_id: str) -> str:
    return f"mail-{tokens.sha256_hex(f'{ticket_id}:{message_id.strip()}')[:40]}"


# -- a message in the thread -------------------------------------------------------------------

def _record(view: store.TicketView, replier: Replier, mail: ReceivedMail, submission_id: str, now: datetime) -> str:
    ticket = view.ticket
    if replier.who == reply_address.CONTRACTOR:
        who = changes.contractor_of(view)
    else:
        manager = directory.get_manager(ticket.manager_id)
        if manager is None or not manager.active:
            return "dropped_inactive_manager"
        who = changes.manager_who(manager)
    files = list(mail.files[:MESSAGE_MAX_FILES])
    notes = [_refused_file_note(f.name, TOO_MANY_FILES) for f in mail.files[MESSAGE_MAX_FILES:]]
    pairs = [(uploads.put_incoming(ticket.ticket_id, f.name, f.content_type, f.data), f.name) for f in files]
    for _ in range(MESSAGE_MAX_FILES + 1):  # each round takes out the files the upload checks refused
        body = _body(mail.text, notes)
        if not body and not pairs:
            return "ignored_empty"
        try:
            conversation.send_message(view, who, body, [k for k, _ in pairs], [n for _, n in pairs], submission_id, now,
                                      reopen=_reopen_for(replier))
            return "recorded"
        except MessageRejected as rejected:
            refused = {problem.key for problem in rejected.files}
            if not refused:
                raise
            notes += [_refused_file_note(problem.name, problem.reason) for problem in rejected.files]
            pairs = [(key, name) for key, name in pairs if key not in refused]
        except _NoLongerTheirs:
            return _refuse(store.load_ticket(ticket.ticket_id), mail, submission_id, now, _language_of(view, replier))
    return "ignored_empty"  # pragma: no cover - every round takes out at least one file


class _NoLongerTheirs(Exception):
    """The link was revoked between the first read and a retry."""


def _reopen_for(replier: Replier) -> Callable[[str], store.TicketView]:
    def reopen(ticket_id: str) -> store.TicketView:
        view = store.load_ticket(ticket_id)
        if replier.link is not None and any(
                link.revoked for link in view.links if int(link.number) == int(replier.link.number)):
            raise _NoLongerTheirs(ticket_id)
        return view

    return reopen


def _refused_file_note(name: str, reason: str) -> str:
    """Said in the message itself (French, the office's language): the sender's file was not taken."""
    return f"[Pièce jointe non acceptée : {name} ({reason})]"


def _body(text: str, notes: list[str]) -> str:
    body = "\n\n".join(part for part in (text, "\n".join(notes)) if part)
    return body if len(body) <= MESSAGE_MAX else body[: MESSAGE_MAX - 1] + "…"


# -- held for the manager, refused with an automatic answer ------------------------------------

def _hold(view: store.TicketView, delivery: Delivery, mail: ReceivedMail | None, reason: str, now: datetime,
          submission_id: str | None = None) -> str:
    """Shown to the manager only, with what it says as text; they are alerted. The files are not taken."""
    data: dict[str, Any] = {"held_reason": reason, "sender": mail.sender if mail else "", "subject": mail.subject if mail else "",
                            "body": _body(mail.text, []) if mail else "",
                            "attachments": [f.name for f in mail.files][:MESSAGE_MAX_FILES] if mail else []}
    submission_id = submission_id or _submission_id(view.ticket.ticket_id, delivery.ses_message_id)

    def alert(ticket: Any) -> list[Any]:
        return [outgoing.to_manager(ticket, "manager_held_email", now,
                                    {"sender": contacts.mask_email(data["sender"]), "held_reason": reason})]

    return _write_event(view, HELD, data, alert, submission_id, now, unread=True, result="held")


def _language_of(view: store.TicketView, replier: Replier) -> str:
    """The language of whoever holds the address: a former contractor's own, not the ticket's new one's."""
    if replier.link is None or replier.link.contractor_id == view.ticket.contractor_id:
        return view.ticket.contractor_language
    contractor = directory.get_contractor(replier.link.contractor_id)
    return contractor.language if contractor is not None else "fr"


def _refuse(view: store.TicketView, mail: ReceivedMail, submission_id: str, now: datetime, language: str) -> str:
    """A short automatic answer (no Reply-To, no link) that gives the agency's phone; the manager sees it."""
    phone = view.ticket.agency_phone or agency.current().phone

    def answer(ticket: Any) -> list[Any]:
        return [outgoing.new_notification(
            ticket.pk, ticket_id=ticket.ticket_id, channel="email", audience="sender", recipient=mail.sender,
            template="reply_refused", language=language,
            params={"reference": ticket.reference, "title": ticket.title, "agency_phone": phone,
                    "agency_name": ticket.agency_name or agency.current().name}, now=now)]

    data = {"sender": mail.sender, "subject": mail.subject}
    return _write_event(view, REFUSED, data, answer if mail.sender else (lambda _: []), submission_id, now,
                        unread=False, result="refused")


def _write_event(view: store.TicketView, event_type: str, data: dict[str, Any], notify: Callable[[Any], list[Any]],
                 submission_id: str, now: datetime, unread: bool, result: str) -> str:
    """A system event, its notifications and the lists, in one transaction; once per submission."""
    for attempt in range(ATTEMPTS):
        if attempt:
            view = store.load_ticket(view.ticket.ticket_id)
        ticket = view.ticket
        listed_before = listing.summary_keys(ticket)
        if unread:
            ticket.unread_since, ticket.unread_kind = clock.iso(now), "message"
        changes.touch(ticket, State(ticket.state), now)
        event = changes.new_event(ticket, changes.SYSTEM, event_type, now, data)
        puts, deletes = listing.summary_writes(ticket, listed_before)
        try:
            store.apply_change(store.Change(ticket, event, notify(ticket), submission_id=submission_id, extra=puts,
                                            deletes=deletes))
            return result
        except AlreadySubmitted:
            return "duplicate"
        except Conflict:
            continue
    raise Conflict(view.ticket.ticket_id)

