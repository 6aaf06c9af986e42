"""One change to a ticket, the same way for every use case.

The lifecycle says whether the actor may act; the ticket is changed in memory; the timers
it now needs are compared with those it needed before; then the event, the ticket (with
its version as condition), the notifications and the timer changes are written in one
transaction. Either all of it happens or none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.config import settings
from chalicelib.data import keys, links, listing, store, week_plan
from chalicelib.data.keys import ticket_pk
from chalicelib.data.models import Event, Link, Manager, Notification, RelaisItem, Ticket
from chalicelib.domain import clock, lifecycle
from chalicelib.domain.lifecycle import Action, Actor, State
from chalicelib.outbox import outgoing
from chalicelib.usecases import planning


@dataclass(frozen=True)
class Who:
    actor: Actor
    actor_id: str
    name: str


SYSTEM = Who(Actor.SYSTEM, "relais", "")


def contractor_of(view: store.TicketView) -> Who:
    return Who(Actor.CONTRACTOR, view.ticket.contractor_id, view.ticket.contractor_name)


def manager_who(manager: Manager) -> Who:
    return Who(Actor.MANAGER, manager.manager_id, manager.name)


def new_event(ticket: Ticket, who: Who, event_type: str, now: datetime, data: dict[str, Any]) -> Event:
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


def touch(ticket: Ticket, state: State, now: datetime) -> None:
    ticket.state = state.value
    ticket.updated_at = clock.iso(now)
    ticket.gsi1sk = keys.activity_order(ticket.updated_at, ticket.ticket_id)
    # Closed once: a message or a new owner afterwards does not extend the links' life. A refused
    # request handed to another contractor is open again: its links live on.
    ticket.closed_at = (ticket.closed_at or ticket.updated_at) if state in lifecycle.TERMINAL_STATES else None


def timer_notifications(ticket: Ticket, before: dict[str, planning.Timer], now: datetime) -> list[Notification]:
    after = planning.wanted(ticket, settings().timers)
    return [
        outgoing.timer_change(ticket.ticket_id, change.action, change.name,
                            clock.iso(change.timer.at) if change.timer else None,
                            change.timer.payload(ticket.ticket_id) if change.timer else None, now)
        for change in planning.changes(ticket.ticket_id, before, after)
    ]


def to_contractor(
    view: store.TicketView, template: str, now: datetime, extra: dict[str, Any] | None = None
) -> list[Notification]:
    """The contractor's notifications, carrying the ticket's live link (none if it was revoked)."""
    link: Link | None = links.current_link(view)
    return outgoing.to_contractor(view.ticket, template, now, int(link.number), extra) if link else []


# A manager who replies, decides on the quote, closes or cancels has read what the contractor wrote.
_READS_THE_THREAD = frozenset({Action.MESSAGE, Action.ACCEPT_QUOTE, Action.REJECT_QUOTE, Action.CLOSE, Action.CANCEL})


def transition(
    view: store.TicketView,
    who: Who,
    action: Action,
    *,
    now: datetime,
    data: dict[str, Any] | None = None,
    notify: Callable[[Ticket], list[Notification]] | None = None,
    submission_id: str | None = None,
    change: Callable[[Ticket], None] | None = None,
    event_type: str | None = None,
    extra: list[RelaisItem] | None = None,
    failures_cleared: bool = False,
    updates: list[tuple[RelaisItem, list[Any], Any]] | None = None,
) -> Event:
    """Apply `action` by `who`; raises lifecycle.NotAllowed, store.Conflict or store.AlreadySubmitted.

    The rest is named at every call. `data`: the event's details. `change` edits the ticket
    (after the lifecycle check); `notify` builds the notifications from the changed ticket, so
    messages show the new planned date, amounts, and so on. `submission_id`: the form's or the
    timer's idempotency key (a second write with it is AlreadySubmitted). `event_type`: when it is
    not the action's name. `extra`: more items written in the same transaction.
    `failures_cleared`: the caller set the failed notifications aside (in `updates`, which
    apply only to items still as read), so the ticket leaves À traiter's "delivery failed"
    group unless another failure remains.
    """
    ticket = view.ticket
    target = lifecycle.next_state(State(ticket.state), action, who.actor)
    before = planning.wanted(ticket, settings().timers)
    listed_before = listing.summary_keys(ticket)
    planned_before = week_plan.entries(ticket)
    if change is not None:
        change(ticket)
    if who.actor is Actor.CONTRACTOR:  # the manager is alerted and it shows as unread until marked read
        # A message still unread stays so (and stays the oldest) when an answer follows it.
        message_unread = ticket.unread_since is not None and ticket.unread_kind == "message"
        ticket.unread_since = ticket.unread_since if message_unread else clock.iso(now)
        ticket.unread_kind = "message" if action is Action.MESSAGE or message_unread else "answer"
    elif who.actor is Actor.MANAGER and action in _READS_THE_THREAD:
        ticket.unread_since = ticket.unread_kind = None
    touch(ticket, target, now)
    event = new_event(ticket, who, event_type or action.value, now, data or {})
    notifications = (notify(ticket) if notify else []) + timer_notifications(ticket, before, now)
    puts, deletes = listing.summary_writes(ticket, listed_before)
    plan_puts, plan_deletes = week_plan.writes(ticket, planned_before)  # the week's plan, in the same transaction
    puts, deletes = puts + plan_puts, deletes + plan_deletes
    delivery_failed = listing.delivery_failed_item(ticket, view.notifications, view.events)
    if delivery_failed:
        puts.append(delivery_failed)
    elif failures_cleared or listing.is_done(ticket):  # closed: off À traiter, failures and all
        deletes.append(listing.delivery_failed_key(ticket))
    store.apply_change(store.Change(ticket, event, notifications, submission_id=submission_id,
                                    extra=puts + (extra or []), deletes=deletes, updates=updates or []))
    return event
