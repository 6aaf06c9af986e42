"""End of work and invoice: completion with proofs, the invoice (now or when asked), closing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.data import store
from chalicelib.data.models import Event, Manager, Ticket
from chalicelib.domain import clock
from chalicelib.domain.forms import CompletionForm, InvoiceForm
from chalicelib.domain.lifecycle import Action
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes


def _invoice_record(invoice: InvoiceForm, files: list[dict[str, Any]]) -> dict[str, Any]:
    """One PDF, or a photo per page: `file` is the first (what the pages link to), `files` all of them."""
    return {**invoice.amounts.as_record(), "amount": invoice.amount, "number": invoice.number, "file": files[0],
            "files": files}


def complete(view: store.TicketView, form: CompletionForm, proofs: list[dict[str, Any]],
             invoice_files: list[dict[str, Any]], submission_id: str, now: datetime) -> Event:
    """Done, with proofs; with the invoice too the ticket is invoiced at once, otherwise the chase starts."""
    invoice = _invoice_record(form.invoice, invoice_files) if form.invoice and invoice_files else None
    action = Action.COMPLETE_WITH_INVOICE if invoice else Action.COMPLETE

    def finish(ticket: Ticket) -> None:
        ticket.completed_at = clock.iso(now)
        if invoice:
            ticket.invoice = invoice

    alert = {"alert": action.value, "details": [form.comment],
             "invoice": {"number": invoice["number"], "amount": invoice["amount"]} if invoice else None}
    data = {"done_on": form.done_on, "comment": form.comment, "files": proofs + invoice_files,
            "invoice": invoice}
    return changes.transition(
        view, changes.contractor_of(view), action, now=now, data=data,
        notify=lambda ticket: [outgoing.to_manager(ticket, "manager_alert", now, alert)], submission_id=submission_id,
        change=finish)


def submit_invoice(view: store.TicketView, invoice: InvoiceForm, files: list[dict[str, Any]], submission_id: str,
                   now: datetime) -> Event:
    record = _invoice_record(invoice, files)

    def keep(ticket: Ticket) -> None:
        ticket.invoice = record

    return changes.transition(
        view, changes.contractor_of(view), Action.SUBMIT_INVOICE, now=now, data={"invoice": record, "files": files},
        notify=lambda ticket: [outgoing.to_manager(ticket, "manager_alert", now, {
            "alert": "submit_invoice", "invoice": {"number": invoice.number, "amount": invoice.amount}})],
        submission_id=submission_id, change=keep)


def request_completion(view: store.TicketView, manager: Manager, submission_id: str, now: datetime) -> Event:
    return changes.transition(
        view, changes.manager_who(manager), Action.REQUEST_COMPLETION, now=now,
        notify=lambda _: changes.to_contractor(view, "completion_request", now), submission_id=submission_id)


def request_invoice(view: store.TicketView, manager: Manager, submission_id: str, now: datetime) -> Event:
    return changes.transition(
        view, changes.manager_who(manager), Action.REQUEST_INVOICE, now=now,
        notify=lambda _: changes.to_contractor(view, "invoice_request", now), submission_id=submission_id)


def waive_invoice(view: store.TicketView, manager: Manager, submission_id: str, now: datetime) -> Event:
    """No invoice needed: the chase stops (the ticket no longer wants its invoice timers)."""
    return changes.transition(view, changes.manager_who(manager), Action.WAIVE_INVOICE, now=now, submission_id=submission_id)


def close(view: store.TicketView, manager: Manager, submission_id: str, now: datetime) -> Event:
    return changes.transition(view, changes.manager_who(manager), Action.CLOSE, now=now, submission_id=submission_id)
