"""The day of the intervention: change the date before it, confirm presence, announce a delay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.data import store
from chalicelib.data.models import Event, Ticket
from chalicelib.domain import clock
from chalicelib.domain.errors import TooLateToReschedule
from chalicelib.domain.forms import Acceptance
from chalicelib.domain.lifecycle import Action
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes, occupants


def _alert(alert: str, now: datetime, details: list[str] | None = None) -> Any:
    return lambda ticket: [outgoing.to_manager(ticket, "manager_alert", now, {"alert": alert, "details": details or []})]


def reschedule(view: store.TicketView, acceptance: Acceptance, submission_id: str, now: datetime) -> Event:
    """A new date and time: the manager is told, the presence check moves with it (same schedule name)."""
    if view.ticket.presence_requested_at:
        raise TooLateToReschedule()

    occupant = occupants.date_told(view, now)

    def plan(ticket: Ticket) -> None:
        ticket.planned_date, ticket.planned_time = acceptance.planned_date, acceptance.planned_time
        ticket.planned_until = acceptance.planned_until or None
        occupant.mark(ticket)

    def notify(ticket: Ticket) -> list[Any]:
        calendar = [n for n in changes.to_contractor(view, "accepted", now, outgoing.calendar(ticket)) if n.channel == "email"]
        return _alert("reschedule", now, [acceptance.comment])(ticket) + calendar + occupant.notify(ticket)

    data = {"planned_date": acceptance.planned_date, "planned_time": acceptance.planned_time,
            "planned_until": acceptance.planned_until, "comment": acceptance.comment}
    return changes.transition(
        view, changes.contractor_of(view), Action.RESCHEDULE, now=now, data=data, notify=notify, submission_id=submission_id,
        change=plan, extra=occupant.extra)


def confirm_presence(view: store.TicketView, submission_id: str, now: datetime) -> Event:
    def arrive(ticket: Ticket) -> None:
        ticket.on_site_at = clock.iso(now)

    return changes.transition(
        view, changes.contractor_of(view), Action.CONFIRM_PRESENCE, now=now, notify=_alert("confirm_presence", now),
        submission_id=submission_id, change=arrive)


def report_late(view: store.TicketView, late_until: str, submission_id: str, now: datetime) -> Event:
    def delay(ticket: Ticket) -> None:
        ticket.late_until = late_until

    return changes.transition(
        view, changes.contractor_of(view), Action.REPORT_LATE, now=now, data={"late_until": late_until},
        notify=_alert("report_late", now, [late_until]), submission_id=submission_id, change=delay)
