"""Use cases of the request itself: create, accept, refuse, message, cancel, ask for a quote.

Each goes through chalicelib.usecases.changes.transition: lifecycle check, event, ticket, outbox and
timers in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.data import agency, buildings, directory, keys, links, listing, store
from chalicelib.data.models import Building, Contractor, Event, Manager, Ticket
from chalicelib.domain import clock, ids, lifecycle
from chalicelib.domain.errors import ContractorUnavailable, NotAllowed
from chalicelib.domain.forms import Acceptance, NewRequest
from chalicelib.domain.lifecycle import Action, Actor, RequestKind, State
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes, occupants
from chalicelib.usecases.changes import Who, contractor_of, manager_who

__all__ = ["Who", "contractor_of", "manager_who"]


def contact_for(contractor: Contractor, channel: str) -> str | None:
    """Where a message on this channel goes: the phone for SMS, the address for email."""
    return {"sms": contractor.phone, "email": contractor.email}.get(channel)


def create_request(
    manager: Manager, contractor: Contractor, request: NewRequest, now: datetime, submission_id: str | None = None,
    ticket_id: str | None = None, files: list[dict[str, Any]] | None = None, building: Building | None = None,
    lot_number: str | None = None,
) -> Ticket:
    """A new request, sent to the contractor. `ticket_id` comes from the form's draft when files were
    uploaded before the ticket existed (their keys live under it). At a `building` (and a lot of it),
    the ticket keeps a copy of its name and joins its history."""
    if not contractor.active:
        raise ContractorUnavailable("inactive")
    if not all(contact_for(contractor, channel) for channel in request.channels):
        raise ContractorUnavailable("channel")
    ticket_id = ticket_id or ids.new_id()
    kind = RequestKind(request.request_kind)
    state = lifecycle.initial_state(kind)
    sender = agency.current()
    ticket = Ticket(
        keys.ticket_pk(ticket_id),
        keys.TICKET_SK,
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
        manager_phone=manager.phone,
        agency_name=sender.name,
        agency_phone=sender.phone,
        building_id=building.building_id if building else None,
        building_name=building.name if building else None,
        lot_number=lot_number if building else None,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
        gsi1pk=keys.owner_group(manager.manager_id),
    )
    if request.occupant is not None:
        ticket.occupant_name, ticket.occupant_phone = request.occupant.name or None, request.occupant.phone
        ticket.occupant_email, ticket.occupant_language = request.occupant.email, request.occupant.language
    ticket.lookup_key = keys.reference_lookup(ticket.reference)
    ticket.request_sent_at = clock.iso(now)
    changes.touch(ticket, state, now)
    link, _secret = links.new_link(ticket_id, contractor.contractor_id, 1, now, contractor.language)
    data = {"state": state.value, "channels": list(request.channels), "files": files or []}
    event = changes.new_event(ticket, manager_who(manager), "created", now, data)
    notifications = outgoing.to_contractor(ticket, f"{kind.value}_request", now, int(link.number), {"files": files or []})
    notifications += changes.timer_notifications(ticket, {}, now)
    history = directory.history_item(ticket)  # the line in the contractor's ticket history
    extra = [history, *listing.summaries(ticket), *([buildings.visit_item(ticket)] if building else [])]
    store.apply_change(store.Change(ticket, event, notifications, links=[link], submission_id=submission_id, extra=extra))
    return ticket


def accept_request(view: store.TicketView, acceptance: Acceptance, submission_id: str, now: datetime) -> Event:
    occupant = occupants.date_told(view, now)

    def plan(ticket: Ticket) -> None:
        ticket.planned_date, ticket.planned_time = acceptance.planned_date, acceptance.planned_time
        ticket.planned_until = acceptance.planned_until or None
        # A new plan starts the day of the visit afresh (after a reassign or a quote on a planned job).
        ticket.presence_requested_at = ticket.late_until = ticket.on_site_at = None
        ticket.presence_alerted = False
        occupant.mark(ticket)

    def notify(ticket: Ticket) -> list[Any]:
        confirmation = changes.to_contractor(view, "accepted", now, outgoing.calendar(ticket))
        return [outgoing.to_manager(ticket, "manager_accepted", now, {"comment": acceptance.comment}),
                *[n for n in confirmation if n.channel == "email"], *occupant.notify(ticket)]

    data = {"planned_date": acceptance.planned_date, "planned_time": acceptance.planned_time,
            "planned_until": acceptance.planned_until, "comment": acceptance.comment}
    return changes.transition(
        view, contractor_of(view), Action.ACCEPT, now=now, data=data, notify=notify, submission_id=submission_id, change=plan,
        extra=occupant.extra)


def _refused_request(ticket: Ticket) -> str:
    """What a refusal turns down: a quote to write, or an intervention (also after a quote)."""
    return RequestKind.QUOTE.value if ticket.state == State.QUOTE_REQUESTED.value else RequestKind.INTERVENTION.value


def refuse_request(view: store.TicketView, reason: str, submission_id: str, now: datetime) -> Event:
    return changes.transition(
        view, contractor_of(view), Action.REFUSE, now=now, data={"reason": reason, "refused": _refused_request(view.ticket)},
        notify=lambda ticket: [outgoing.to_manager(ticket, "manager_refused", now, {"reason": reason})],
        submission_id=submission_id)


def post_message(view: store.TicketView, who: Who, body: str, files: list[dict[str, Any]], submission_id: str,
                 now: datetime) -> Event:
    """A message in the thread, from either side; the other side is told."""
    extra = {"excerpt": body[:300], "author": who.name, "file_count": len(files)}

    def notify(ticket: Ticket) -> list[Any]:
        if who.actor is Actor.CONTRACTOR:
            return [outgoing.to_manager(ticket, "manager_message", now, extra)]
        return changes.to_contractor(view, "message", now, extra)

    return changes.transition(
        view, who, Action.MESSAGE, now=now, data={"body": body, "files": files}, notify=notify, submission_id=submission_id)


def cancel_ticket(view: store.TicketView, manager: Manager, reason: str, submission_id: str, now: datetime) -> Event:
    """Cancelled: the contractor is told (with a calendar CANCEL once a date was set), and every timer
    of the ticket is deleted. An occupant who was given a date is told it is off."""
    occupant = occupants.tell(view, occupants.CANCELLED, now)

    def notify(ticket: Ticket) -> list[Any]:
        calendar = outgoing.calendar(ticket, "cancel") if ticket.planned_date else {}
        return [*changes.to_contractor(view, "cancelled", now, {"reason": reason, **calendar}), *occupant.notify(ticket)]

    return changes.transition(view, manager_who(manager), Action.CANCEL, now=now, data={"reason": reason}, notify=notify,
                              submission_id=submission_id, change=occupant.mark, extra=occupant.extra)


def quote_accepted(ticket: Ticket) -> bool:
    """Only accepting it leads from a submitted quote back to the request's states (reassigning drops the quote)."""
    return bool(ticket.quote) and State(ticket.state) not in (State.QUOTE_SUBMITTED, State.QUOTE_REJECTED)


def manager_actions(ticket: Ticket) -> list[Action]:
    """What the manager may do on this ticket now: the ticket page's buttons."""
    return lifecycle.allowed_actions(State(ticket.state), Actor.MANAGER, quote_accepted=quote_accepted(ticket))


def request_quote(view: store.TicketView, manager: Manager, note: str, submission_id: str, now: datetime) -> Event:
    """Ask for a quote on an open request: the contractor's form now asks for the quote."""
    if Action.REQUEST_QUOTE not in manager_actions(view.ticket):  # its quote was accepted: the page no longer offers it
        raise NotAllowed(State(view.ticket.state), Action.REQUEST_QUOTE, Actor.MANAGER)

    def restart(ticket: Ticket) -> None:
        ticket.request_sent_at, ticket.reminders_sent, ticket.answer_alerted = clock.iso(now), 0, False

    return changes.transition(
        view, manager_who(manager), Action.REQUEST_QUOTE, now=now, data={"comment": note},
        notify=lambda _: changes.to_contractor(view, "quote_request", now, {"comment": note}), submission_id=submission_id,
        change=restart)
