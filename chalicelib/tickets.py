"""Use cases that change a ticket: create, accept, refuse, cancel.

Each one asks the lifecycle whether the action is allowed, then writes the event, the
ticket, and the outbox in one transaction through the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import clock, ids, lifecycle, links, outbox, store
from chalicelib.lifecycle import Action, Actor, RequestKind, State
from chalicelib.models import Contractor, Event, Link, Manager, Notification, Ticket, ticket_pk
from chalicelib.validation import Acceptance, NewRequest, Refusal


class ContractorUnavailable(Exception):
    """The chosen contractor is deactivated or cannot be reached on the chosen channels."""


@dataclass(frozen=True)
class Who:
    actor: Actor
    actor_id: str
    name: str


def contractor_of(view: store.TicketView) -> Who:
    return Who(Actor.CONTRACTOR, view.ticket.contractor_id, view.ticket.contractor_name)


def manager_who(manager: Manager) -> Who:
    return Who(Actor.MANAGER, manager.manager_id, manager.name)


def _event(ticket: Ticket, who: Who, event_type: str, now: datetime, data: dict[str, Any]) -> Event:
    return Event(
        ticket_pk(ticket.ticket_id),
        store.new_event_sk(),
        ticket_id=ticket.ticket_id,
        event_type=event_type,
        actor=who.actor.value,
        actor_name=who.name,
        at=clock.iso(now),
        data={"actor_id": who.actor_id, **data},
    )


def _touch(ticket: Ticket, state: State, now: datetime) -> None:
    ticket.state = state.value
    ticket.updated_at = clock.iso(now)
    ticket.gsi1sk = f"{ticket.updated_at}#{ticket.ticket_id}"
    if state in lifecycle.TERMINAL_STATES:
        ticket.closed_at = ticket.updated_at


def create_request(
    manager: Manager, contractor: Contractor, request: NewRequest, now: datetime, submission_id: str | None = None,
    ticket_id: str | None = None, files: list[dict[str, Any]] | None = None,
) -> Ticket:
    """A new request, sent to the contractor. `ticket_id` comes from the form's draft when files were
    uploaded before the ticket existed (their keys live under it)."""
    if not contractor.active:
        raise ContractorUnavailable("inactive")
    reachable = {"sms": contractor.phone, "email": contractor.email}
    if not all(reachable.get(channel) for channel in request.channels):
        raise ContractorUnavailable("channel")
    ticket_id = ticket_id or ids.new_id()
    kind = RequestKind(request.request_kind)
    state = lifecycle.initial_state(kind)
    ticket = Ticket(
        ticket_pk(ticket_id),
        "META",
        ticket_id=ticket_id,
        reference=store.next_reference(),
        request_kind=kind.value,
        state=state.value,
        title=request.title,
        description=request.description,
        site_address=request.site_address,
        access_notes=request.access_notes,
        urgency=request.urgency,
        channels=list(request.channels),
        contractor_id=contractor.contractor_id,
        contractor_name=contractor.name,
        contractor_company=contractor.company,
        contractor_phone=contractor.phone,
        contractor_email=contractor.email,
        contractor_language=contractor.language,
        manager_id=manager.manager_id,
        manager_name=manager.name,
        manager_email=manager.email,
        manager_language=manager.language,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
        gsi1pk=f"OWNER#{manager.manager_id}",
    )
    ticket.lookup_key = f"REF#{ticket.reference}"
    _touch(ticket, state, now)
    link, _secret = links.new_link(ticket_id, contractor.contractor_id, 1, now)
    data = {"state": state.value, "channels": list(request.channels), "files": files or []}
    event = _event(ticket, manager_who(manager), "created", now, data)
    notifications = outbox.to_contractor(ticket, f"{kind.value}_request", now, int(link.number), {"files": files or []})
    store.create_ticket(store.Change(ticket, event, notifications, links=[link], submission_id=submission_id))
    return ticket


def _transition(
    view: store.TicketView,
    who: Who,
    action: Action,
    now: datetime,
    data: dict[str, Any],
    notify: list[Notification] | None = None,
    submission_id: str | None = None,
) -> Event:
    ticket = view.ticket
    target = lifecycle.next_state(State(ticket.state), action, who.actor)
    _touch(ticket, target, now)
    event = _event(ticket, who, action.value, now, data)
    store.apply_change(store.Change(ticket, event, notify or [], submission_id=submission_id))
    return event


def accept_request(view: store.TicketView, acceptance: Acceptance, submission_id: str, now: datetime) -> Event:
    ticket = view.ticket
    lifecycle.next_state(State(ticket.state), Action.ACCEPT, Actor.CONTRACTOR)  # fail before touching
    ticket.planned_date, ticket.planned_time = acceptance.planned_date, acceptance.planned_time
    data = {"planned_date": acceptance.planned_date, "planned_time": acceptance.planned_time, "comment": acceptance.comment}
    alert = outbox.to_manager(ticket, "manager_accepted", now, {"comment": acceptance.comment})
    return _transition(view, contractor_of(view), Action.ACCEPT, now, data, [alert], submission_id)


def refuse_request(view: store.TicketView, refusal: Refusal, submission_id: str, now: datetime) -> Event:
    alert = outbox.to_manager(view.ticket, "manager_refused", now, {"reason": refusal.reason})
    return _transition(view, contractor_of(view), Action.REFUSE, now, {"reason": refusal.reason}, [alert], submission_id)


def post_message(view: store.TicketView, who: Who, body: str, files: list[dict[str, Any]], submission_id: str,
                 now: datetime) -> Event:
    """A message in the thread, from either side; the other side is told."""
    ticket = view.ticket
    extra = {"excerpt": body[:300], "author": who.name, "file_count": len(files)}
    if who.actor is Actor.CONTRACTOR:
        notify = [outbox.to_manager(ticket, "manager_message", now, extra)]
    else:
        link = links.current_link(view)
        notify = outbox.to_contractor(ticket, "message", now, int(link.number), extra) if link else []
    return _transition(view, who, Action.MESSAGE, now, {"body": body, "files": files}, notify, submission_id)


def cancel_ticket(view: store.TicketView, manager: Manager, reason: str, submission_id: str, now: datetime) -> Event:
    lifecycle.next_state(State(view.ticket.state), Action.CANCEL, Actor.MANAGER)
    link: Link | None = links.current_link(view)
    notify = outbox.to_contractor(view.ticket, "cancelled", now, int(link.number), {"reason": reason}) if link else []
    return _transition(view, manager_who(manager), Action.CANCEL, now, {"reason": reason}, notify, submission_id)
