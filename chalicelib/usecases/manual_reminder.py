""""Relancer l'intervenant": the manager sends the current step's reminder at once.

By the contractor's channels, through the outbox, recorded as an event with the manager's optional
personal line. At most one per ticket per QUIET_INTERVAL: the last one's time is on the ticket, and
the ticket is written with its version as condition, so two clicks (or two managers) at once send one.
At night an SMS waits for 08:00 Europe/Paris (the email goes at once), unless the request is an emergency.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.config import settings
from chalicelib.data import store
from chalicelib.data.models import Event, Manager, Notification, Ticket
from chalicelib.domain import clock
from chalicelib.domain.errors import AlreadySubmitted, NotAllowed, TooSoon
from chalicelib.domain.lifecycle import Action, Actor, State
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes, planning

QUIET_INTERVAL = timedelta(minutes=15)
NOTE_MAX = 300


def reminder_template(ticket: Ticket) -> str | None:
    """What the contractor is reminded of now, or None when they owe no answer."""
    state = State(ticket.state)
    if state in (State.SENT, State.QUOTE_REQUESTED):
        return outgoing.request_template(ticket)
    if state is State.SCHEDULED:
        return "presence_check" if ticket.presence_requested_at else None
    if state in (State.ON_SITE, State.COMPLETION_REQUESTED):
        return "completion_request"
    if state in (State.COMPLETED, State.INVOICE_REQUESTED):
        return "invoice_request"
    return None


def next_possible(ticket: Ticket) -> datetime | None:
    """When the next manual reminder may go, if that is still ahead."""
    if not ticket.manual_reminder_at:
        return None
    return clock.parse_iso(ticket.manual_reminder_at) + QUIET_INTERVAL


def can_remind(ticket: Ticket, now: datetime) -> bool:
    allowed = reminder_template(ticket) is not None
    upcoming = next_possible(ticket)
    return allowed and (upcoming is None or upcoming <= now)


def remind_now(view: store.TicketView, manager: Manager, note: str, submission_id: str, now: datetime) -> Event:
    """Raises NotAllowed (nothing to remind of), TooSoon (within the quiet interval), Conflict (the
    ticket changed meanwhile, e.g. another reminder just went) or AlreadySubmitted (this very form)."""
    ticket = view.ticket
    template = reminder_template(ticket)
    if template is None:
        raise NotAllowed(State(ticket.state), Action.REMIND_NOW, Actor.MANAGER)
    upcoming = next_possible(ticket)
    if upcoming is not None and upcoming > now:
        if store.find_submission(submission_id) is not None:
            raise AlreadySubmitted(submission_id)  # this very click went through: a double click, not a second reminder
        raise TooSoon(clock.iso(upcoming))
    note = " ".join(note.split())[:NOTE_MAX]
    asks_an_answer = template == outgoing.request_template(ticket) and ticket.state in (State.SENT, State.QUOTE_REQUESTED)

    def mark(t: Ticket) -> None:
        t.manual_reminder_at = clock.iso(now)
        if asks_an_answer:  # it stands for the automatic reminder; the manager's alert stays planned
            t.reminders_sent = int(t.reminders_sent or 0) + 1

    def notify(t: Ticket) -> list[Notification]:
        created = next((e for e in view.events if e.event_type == "created"), None)
        files = (created.data or {}).get("files", []) if created and asks_an_answer else []
        sent = changes.to_contractor(view, template, now, {"reminder": True, "note": note, "files": files})
        return [_out_of_the_night(n, t, now) for n in sent]

    return changes.transition(
        view, changes.manager_who(manager), Action.REMIND_NOW, now=now, data={"body": note, "step": template},
        notify=notify, submission_id=submission_id, change=mark)


def _out_of_the_night(notification: Notification, ticket: Ticket, now: datetime) -> Notification:
    """An SMS written at night is due at 08:00 (the outbox sends it then); emails go at once."""
    timers = settings().timers
    if notification.channel == "sms" and planning.quiet_nights(ticket, timers):
        notification.outbox_due = clock.iso(planning.out_of_the_night(now, timers))
    return notification
