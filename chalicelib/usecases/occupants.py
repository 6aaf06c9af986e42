"""The occupant is told: the date when the contractor sets or changes it, a reminder the day before at
18:00 (a timer, chalicelib/usecases/planning.py), the cancellation of a date they were given. Each
message carries the occupant's own read-only link (chalicelib/data/occupant_links.py), whose one
button, "Je serai absent", posts a message to the manager: recorded as an event from the occupant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.data import keys, occupant_links, store
from chalicelib.data.models import Event, Notification, RelaisItem, Ticket
from chalicelib.domain import clock
from chalicelib.domain.errors import AbsenceLimited
from chalicelib.domain.lifecycle import Action, Actor
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes, planning

PLANNED, RESCHEDULED, REMINDER, CANCELLED = "occupant_planned", "occupant_rescheduled", "occupant_reminder", "occupant_cancelled"
ABSENCE_INTERVAL = timedelta(minutes=10)  # between two "Je serai absent" of one ticket
ABSENCES_MAX = 5  # per ticket: the manager is alerted each time, so a loop cannot flood them


def _company(ticket: Ticket) -> str:
    return str(ticket.contractor_company or ticket.contractor_name)


def reachable(ticket: Ticket) -> bool:
    return bool(ticket.occupant_phone or ticket.occupant_email)


@dataclass
class Telling:
    """What telling the occupant adds to a change: the link, made with the first message, and one
    notification per contact. Empty when the ticket names no occupant to tell."""

    template: str
    now: datetime
    link_number: int | None = None
    extra: list[RelaisItem] = field(default_factory=list)
    cancelled: dict[str, Any] = field(default_factory=dict)  # the date told, for a cancellation

    def mark(self, ticket: Ticket) -> None:
        """The date the occupant now knows of (none after a cancellation): the reminder follows it."""
        if self.link_number is None:
            return
        told = self.template != CANCELLED and ticket.planned_date
        ticket.occupant_told = ({"date": ticket.planned_date, "time": ticket.planned_time, "until": ticket.planned_until,
                                 "at": clock.iso(self.now)} if told else None)

    def notify(self, ticket: Ticket) -> list[Notification]:
        if self.link_number is None:
            return []
        date = ticket.planned_date if self.template != CANCELLED else self.cancelled.get("date")
        time = ticket.planned_time if self.template != CANCELLED else self.cancelled.get("time")
        until = ticket.planned_until if self.template != CANCELLED else self.cancelled.get("until")
        company = self.cancelled.get("company") if self.template == CANCELLED else _company(ticket)
        params = {"planned_date": date, "planned_time": time, "planned_until": until, "company": company,
                  "site_address": ticket.site_address, "occupant_name": ticket.occupant_name or "",
                  "occupant_link_number": self.link_number}
        recipients = {"sms": ticket.occupant_phone, "email": ticket.occupant_email}
        return [outgoing.new_notification(keys.ticket_pk(ticket.ticket_id), ticket_id=ticket.ticket_id, channel=channel,
                                          audience="occupant", recipient=recipient, template=self.template,
                                          language=ticket.occupant_language or "fr", params=params, now=self.now)
                for channel, recipient in recipients.items() if recipient]


def tell(view: store.TicketView, template: str, now: datetime) -> Telling:
    """Prepare telling the occupant (`template`: PLANNED, RESCHEDULED, REMINDER or CANCELLED). A
    cancellation is told only to an occupant who was given a date."""
    ticket = view.ticket
    if not reachable(ticket) or (template == CANCELLED and not ticket.occupant_told):
        return Telling(template, now)
    # A cancellation names the date and company the occupant was given (a reassignment changes the company).
    cancelled = ({**(ticket.occupant_told or {}), "company": _company(ticket)} if template == CANCELLED else {})
    link = occupant_links.current(view)
    if link is not None:
        return Telling(template, now, int(link.number), cancelled=cancelled)
    number = max((int(existing.number) for existing in view.occupant_links), default=0) + 1
    return Telling(template, now, number, [occupant_links.new_link(ticket.ticket_id, number, now)], cancelled)


def date_told(view: store.TicketView, now: datetime) -> Telling:
    """The contractor set the date (PLANNED) or moved the one the occupant had (RESCHEDULED)."""
    return tell(view, RESCHEDULED if view.ticket.occupant_told else PLANNED, now)


def remind(view: store.TicketView, timer: planning.Timer, submission: str, now: datetime) -> Event:
    """The day before, at 18:00 (the timer's step; it fires only while the date is the one told)."""
    telling = tell(view, REMINDER, now)

    def mark(ticket: Ticket) -> None:
        ticket.occupant_reminded = planning.occupant_date_key(ticket)

    return changes.transition(view, changes.SYSTEM, Action.REMIND_OCCUPANT, now=now, notify=telling.notify,
                              submission_id=submission, change=mark, extra=telling.extra, event_type="occupant_reminder")


def say_absent(view: store.TicketView, note: str, submission_id: str, now: datetime) -> Event:
    """"Je serai absent": a message to the manager, who is alerted. Limited per ticket."""
    ticket = view.ticket
    said = [e for e in view.events if e.event_type == Action.OCCUPANT_ABSENT.value]
    if len(said) >= ABSENCES_MAX:
        raise AbsenceLimited(None)
    if ticket.occupant_absent_at and now < clock.parse_iso(ticket.occupant_absent_at) + ABSENCE_INTERVAL:
        raise AbsenceLimited(clock.parse_iso(ticket.occupant_absent_at) + ABSENCE_INTERVAL)
    who = changes.Who(Actor.OCCUPANT, "occupant", ticket.occupant_name or "")

    def mark(t: Ticket) -> None:
        t.occupant_absent_at = clock.iso(now)

    def alert(t: Ticket) -> list[Any]:
        details = [f"{t.occupant_name or ''}", note]
        return [outgoing.to_manager(t, "manager_alert", now, {"alert": "occupant_absent", "details": details})]

    data = {"body": note, "planned_date": ticket.planned_date, "planned_time": ticket.planned_time}
    return changes.transition(view, who, Action.OCCUPANT_ABSENT, now=now, data=data, notify=alert,
                              submission_id=submission_id, change=mark)
