"""What happens when a schedule fires: reminders, presence checks, end-of-work offers,
invoice requests, and the manager's alerts when nothing came.

A fire re-reads the ticket and acts only if the ticket still wants exactly that timer
(chalicelib.usecases.planning). Each fire is recorded once, keyed by its schedule and time, so a
schedule fired three times at once sends one SMS.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import logs
from chalicelib.config import settings
from chalicelib.data import store
from chalicelib.data.models import Ticket
from chalicelib.domain import clock
from chalicelib.domain.errors import AlreadySubmitted, Conflict, NotAllowed, NotFound
from chalicelib.domain.lifecycle import Action
from chalicelib.outbox import outgoing
from chalicelib.outbox.alert_routing import DIGEST_STEP
from chalicelib.usecases import changes, occupants, planning
from chalicelib.usecases.changes import SYSTEM

logger = Logger(service="relais", child=True)
ATTEMPTS = 3

Step = Callable[[store.TicketView, planning.Timer, str, datetime], Any]


def _remind(view: store.TicketView, timer: planning.Timer, submission: str, now: datetime) -> Any:
    def mark(ticket: Ticket) -> None:
        ticket.reminders_sent = int(ticket.reminders_sent or 0) + 1

    created = next((e for e in view.events if e.event_type == "created"), None)
    files = (created.data or {}).get("files", []) if created else []
    template = outgoing.request_template(view.ticket)
    return changes.transition(
        view, SYSTEM, Action.REMIND, now=now,
        notify=lambda _: changes.to_contractor(view, template, now, {"reminder": True, "files": files}),
        submission_id=submission, change=mark, event_type="reminder")


def _alert(flag: str, template: str, event_type: str) -> Step:
    """The manager is told that something did not happen in time (once)."""

    def step(view: store.TicketView, timer: planning.Timer, submission: str, now: datetime) -> Any:
        def mark(ticket: Ticket) -> None:
            setattr(ticket, flag, True)

        return changes.transition(
            view, SYSTEM, Action.ALERT_MANAGER, now=now,
            notify=lambda ticket: [outgoing.to_manager(ticket, template, now, {"alert": event_type})], submission_id=submission,
            change=mark, event_type=event_type)

    return step


def _check_presence(view: store.TicketView, timer: planning.Timer, submission: str, now: datetime) -> Any:
    def mark(ticket: Ticket) -> None:
        ticket.presence_requested_at = clock.iso(now)

    return changes.transition(
        view, SYSTEM, Action.CHECK_PRESENCE, now=now, notify=lambda _: changes.to_contractor(view, "presence_check", now),
        submission_id=submission, change=mark, event_type="presence_check")


def _offer_completion(view: store.TicketView, timer: planning.Timer, submission: str, now: datetime) -> Any:
    return changes.transition(
        view, SYSTEM, Action.REQUEST_COMPLETION, now=now, notify=lambda _: changes.to_contractor(view, "completion_request", now),
        submission_id=submission, event_type="completion_request")


def _request_invoice(view: store.TicketView, timer: planning.Timer, submission: str, now: datetime) -> Any:
    def count(ticket: Ticket) -> None:
        ticket.invoice_requests = int(ticket.invoice_requests or 0) + 1

    return changes.transition(
        view, SYSTEM, Action.REQUEST_INVOICE, now=now, data={"round": timer.round},
        notify=lambda _: changes.to_contractor(view, "invoice_request", now, {"round": timer.round}), submission_id=submission,
        change=count, event_type="invoice_request")


STEPS: dict[str, Step] = {
    planning.REMINDER: _remind,
    planning.ANSWER_OVERDUE: _alert("answer_alerted", "manager_alert", "answer_overdue"),
    planning.PRESENCE_CHECK: _check_presence,
    planning.PRESENCE_OVERDUE: _alert("presence_alerted", "manager_alert", "presence_overdue"),
    planning.COMPLETION_OFFER: _offer_completion,
    planning.INVOICE_REQUEST: _request_invoice,
    planning.INVOICE_OVERDUE: _alert("invoice_alerted", "manager_alert", "invoice_overdue"),
    planning.OCCUPANT_REMINDER: occupants.remind,
}


def fire(payload: dict[str, Any], now: datetime | None = None) -> str:
    """Handle one schedule fire. Returns what happened: done, stale, duplicate or gone (and empty for a
    digest with nothing to report)."""
    now = now or clock.now()
    if payload.get("step") == DIGEST_STEP:  # a manager's morning digest (a recurring schedule)
        from chalicelib.usecases import digest

        return digest.send_digest(str(payload.get("manager_id", "")), payload.get("at"), now)
    ticket_id = str(payload.get("ticket_id", ""))
    step = STEPS.get(str(payload.get("step")))
    if step is None or len(ticket_id) != 26:
        return "gone"
    with logs.about_ticket(ticket_id):
        return _fire(ticket_id, step, payload, now)


def _fire(ticket_id: str, step: Step, payload: dict[str, Any], now: datetime) -> str:
    submission = f"timer:{planning.schedule_name(ticket_id, str(payload['step']))}:{payload.get('at')}:{payload.get('round')}"
    for _ in range(ATTEMPTS):
        if store.find_submission(submission) is not None:
            return "duplicate"
        try:
            view = store.load_ticket(ticket_id)
        except NotFound:
            return "gone"
        timer = planning.still_wanted(view.ticket, settings().timers, payload)
        if timer is None:
            logger.info("timer stale", extra={"ticket_id": ticket_id, "step": payload.get("step")})
            return "stale"
        try:
            step(view, timer, submission, now)
        except AlreadySubmitted:
            return "duplicate"
        except (Conflict, NotAllowed):
            continue  # someone acted at the same moment: look again
        logger.info("timer fired", extra={"ticket_id": ticket_id, "step": payload.get("step")})
        return "done"
    return "stale"
