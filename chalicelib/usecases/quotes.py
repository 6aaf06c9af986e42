"""Quotes: the contractor sends one (amounts, validity, PDF); the manager accepts or rejects it.

An accepted quote becomes the intervention: the form asks the date and time, as for a request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.data import store
from chalicelib.data.models import Event, Manager, Ticket
from chalicelib.domain import clock
from chalicelib.domain.forms import QuoteForm
from chalicelib.domain.lifecycle import Action
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes


def submit_quote(view: store.TicketView, quote: QuoteForm, files: list[dict[str, Any]], submission_id: str,
                 now: datetime) -> Event:
    """The quote: its amounts and its paperwork (one PDF, or a photo per page; `file` is the first)."""
    details = {**quote.amounts.as_record(), "valid_until": quote.valid_until, "comment": quote.comment}

    def keep(ticket: Ticket) -> None:
        ticket.quote = {**details, "file": files[0], "files": files}

    def notify(ticket: Ticket) -> list[Any]:
        return [outgoing.to_manager(ticket, "manager_alert", now, {"alert": "submit_quote", "details": [quote.comment], "quote": {
            **quote.amounts.as_record(), "valid_until": quote.valid_until}})]

    return changes.transition(
        view, changes.contractor_of(view), Action.SUBMIT_QUOTE, now=now, data={**details, "files": files}, notify=notify,
        submission_id=submission_id, change=keep)


def accept_quote(view: store.TicketView, manager: Manager, submission_id: str, now: datetime) -> Event:
    def restart(ticket: Ticket) -> None:  # the request starts again, now as an intervention to plan
        ticket.request_sent_at, ticket.reminders_sent, ticket.answer_alerted = clock.iso(now), 0, False

    return changes.transition(
        view, changes.manager_who(manager), Action.ACCEPT_QUOTE, now=now,
        notify=lambda _: changes.to_contractor(view, "quote_accepted", now), submission_id=submission_id, change=restart)


def reject_quote(view: store.TicketView, manager: Manager, reason: str, submission_id: str, now: datetime) -> Event:
    return changes.transition(
        view, changes.manager_who(manager), Action.REJECT_QUOTE, now=now, data={"reason": reason},
        notify=lambda _: changes.to_contractor(view, "quote_rejected", now, {"reason": reason}), submission_id=submission_id)
