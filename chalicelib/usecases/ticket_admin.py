"""The manager's bookkeeping on a ticket: mark it read, send a failed notification again,
hand the request to another contractor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.data import directory, keys, links, listing, store
from chalicelib.data.models import (
    UNDELIVERED,
    Contractor,
    Event,
    Manager,
    Notification,
    NotificationStatus,
    RelaisItem,
    Ticket,
    settled,
)
from chalicelib.domain import clock, lifecycle
from chalicelib.domain.errors import ContractorUnavailable, NotResendable, OwnerUnavailable
from chalicelib.domain.lifecycle import Action, RequestKind
from chalicelib.outbox import outgoing
from chalicelib.usecases import changes, occupants
from chalicelib.usecases.tickets import contact_for


def mark_read(view: store.TicketView, manager: Manager, submission_id: str, now: datetime) -> Event:
    def read(ticket: Ticket) -> None:
        ticket.unread_since, ticket.unread_kind = None, None

    return changes.transition(
        view, changes.manager_who(manager), Action.MARK_READ, now=now, submission_id=submission_id, change=read,
        event_type="read")


def resend(view: store.TicketView, manager: Manager, notification_id: str, now: datetime) -> None:
    """Back to the outbox with fresh attempts; the À traiter entry goes when no failure remains."""
    failed = [n for n in view.notifications if n.status == NotificationStatus.FAILED]
    target = next((n for n in failed if n.notification_id == notification_id), None)
    if target is None:
        raise NotResendable(notification_id)
    event = changes.new_event(view.ticket, changes.manager_who(manager), "notification_resent", now,
                              {"notification_id": notification_id, "channel": target.channel})
    try:
        _resend_in_db(view, target, event, len(failed) == 1, now)
    except TransactWriteError as exc:
        store.failed_conditions(exc)  # a busy table raises Busy, not "changed meanwhile"
        raise store.Conflict(view.ticket.ticket_id) from exc  # sent again, or the ticket changed, meanwhile


def _resend_in_db(view: store.TicketView, target: Notification, event: Event, last_failure: bool, now: datetime) -> None:
    with TransactWrite(connection=store.connection()) as transaction:
        transaction.update(target, actions=[
            Notification.status.set(NotificationStatus.PENDING), Notification.attempts.set(0),
            Notification.outbox_shard.set(keys.OUTBOX_SHARD),
            Notification.outbox_due.set(clock.iso(now)), Notification.last_error.remove(),
        ], condition=Notification.status == NotificationStatus.FAILED)
        transaction.save(event)
        # Saved as read (its version goes up): a change computed meanwhile from the failed state
        # fails instead of writing the delivery-failed entry back.
        transaction.save(view.ticket)
        if last_failure:
            transaction.delete(listing.delivery_failed_key(view.ticket))


def _asks_for_a_quote(view: store.TicketView) -> bool:
    """Whether the new contractor is asked for a quote: the request is one now, or the refused one was."""
    if view.ticket.state == lifecycle.State.REFUSED.value:
        refusal = next((e for e in reversed(view.events) if e.event_type == Action.REFUSE.value), None)
        refused = (refusal.data or {}).get("refused") if refusal else None
        return (refused or view.ticket.request_kind) == RequestKind.QUOTE.value  # refusals before "refused" was kept
    return view.ticket.state == lifecycle.State.QUOTE_REQUESTED.value


def reassign(view: store.TicketView, manager: Manager, contractor: Contractor, submission_id: str, now: datetime) -> Event:
    """The old link is revoked, the new contractor gets the request with a new link, and must answer it."""
    ticket = view.ticket
    reachable = [str(c) for c in contractor.channels if contact_for(contractor, str(c))]  # the new one's preference
    if not contractor.active or not reachable:
        raise ContractorUnavailable(contractor.contractor_id)
    action = Action.REASSIGN_QUOTE if _asks_for_a_quote(view) else Action.REASSIGN
    number = max((int(link.number) for link in view.links), default=0) + 1
    new_link, _secret = links.new_link(ticket.ticket_id, contractor.contractor_id, number, now, contractor.language)
    revoked = [old for old in view.links if not old.revoked]  # written only if they change: a transaction holds 100 items
    for old in revoked:
        old.revoked = True
    # What is on its way to the previous contractor, or failed to reach them, carries a dead link:
    # set aside, unless the outbox moved it meanwhile (then the transaction fails as a conflict).
    set_aside = [n for n in view.notifications if n.audience == "contractor" and n.status in UNDELIVERED]
    never_sent = settled(NotificationStatus.SUPERSEDED)
    updates: list[tuple[RelaisItem, list[Any], Any]] = [(n, never_sent, Notification.status == n.status) for n in set_aside]
    for notification in set_aside:  # as written, so that the delivery-failed entry is computed without them
        notification.status = NotificationStatus.SUPERSEDED
    previous = ticket.contractor_name
    occupant = occupants.tell(view, occupants.CANCELLED, now)  # a date they were given is off with this contractor

    def hand_over(t: Ticket) -> None:
        t.contractor_id, t.contractor_name, t.contractor_company = contractor.contractor_id, contractor.name, contractor.company
        t.contractor_phone, t.contractor_email, t.contractor_language = contractor.phone, contractor.email, contractor.language
        t.channels = reachable  # type: ignore[assignment]  # pynamodb types list items as attributes
        t.planned_date = t.planned_time = t.planned_until = t.presence_requested_at = t.late_until = t.on_site_at = None
        t.quote = t.invoice = None  # the previous contractor's quote is not the new one's
        t.presence_alerted = False
        t.request_sent_at, t.reminders_sent, t.answer_alerted = clock.iso(now), 0, False
        t.unread_since = t.unread_kind = None  # the manager has dealt with what the previous one wrote
        occupant.mark(t)

    def notify(t: Ticket) -> list[Notification]:
        created = next((e for e in view.events if e.event_type == "created"), None)
        files = (created.data or {}).get("files", []) if created else []
        return [*outgoing.to_contractor(t, outgoing.request_template(t), now, number, {"files": files}), *occupant.notify(t)]

    event = changes.transition(
        view, changes.manager_who(manager), action, now=now, data={"from": previous, "to": contractor.name}, notify=notify,
        submission_id=submission_id, change=hand_over, event_type="reassign",
        extra=[new_link, *revoked, directory.history_item_for(ticket, contractor, now), *occupant.extra],
        failures_cleared=bool(set_aside),
        updates=updates)
    return event


def change_owner(view: store.TicketView, manager: Manager, new_owner: Manager, submission_id: str, now: datetime) -> Event:
    """Another manager takes the ticket: its alerts and its À traiter entries go to them."""
    if not new_owner.active or new_owner.manager_id == view.ticket.manager_id:
        raise OwnerUnavailable(new_owner.manager_id)
    previous = view.ticket.manager_name

    def hand_over(t: Ticket) -> None:
        t.manager_id, t.manager_name, t.manager_email = new_owner.manager_id, new_owner.name, new_owner.email
        t.manager_language, t.gsi1pk = new_owner.language, keys.owner_group(new_owner.manager_id)
        t.manager_phone = new_owner.phone

    return changes.transition(
        view, changes.manager_who(manager), Action.CHANGE_OWNER, now=now, data={"from": previous, "to": new_owner.name},
        submission_id=submission_id, change=hand_over, event_type="change_owner")
