"""Data access for tickets: one Query to read a ticket, one transaction to change it.

Callers hand it items and conditions and get the exceptions of chalicelib/domain/errors.py back
(`Conflict`, `AlreadySubmitted`, `NotFound`); keys come from chalicelib/data/keys.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.data import keys
from chalicelib.data.models import Counter, Event, Link, Notification, RelaisItem, Submission, Ticket
from chalicelib.domain import clock, ids
from chalicelib.domain.errors import AlreadySubmitted, Conflict, NotFound

SUBMISSION_TTL = timedelta(days=30)
MANAGER_ONLY_EVENTS = frozenset({"notification_failed", "email_bounced", "notification_resent", "reassign",
                                 "change_owner"})
BOOKKEEPING_EVENTS = frozenset({"read"})  # audit only: shown to nobody


@dataclass
class TicketView:
    """Everything in a ticket's partition, from one Query."""

    ticket: Ticket
    events: list[Event] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def recorded_file_ids(self) -> frozenset[str]:
        return frozenset(str(f.get("file_id")) for e in self.events for f in (e.data or {}).get("files", []))

    def thread(self, for_contractor: bool) -> list[Event]:
        """The events people read, oldest first. Delivery failures are for the manager only, and
        a contractor sees the request and what happened since it was handed to them, never what
        the previous contractor wrote or sent."""
        events = [e for e in self.events if e.event_type not in BOOKKEEPING_EVENTS]
        if not for_contractor:
            return events
        handed_over = max((i for i, e in enumerate(events) if e.event_type == "reassign"), default=-1)
        return [e for i, e in enumerate(events)
                if (i > handed_over or e.event_type == "created") and e.event_type not in MANAGER_ONLY_EVENTS]


@dataclass
class Change:
    """One state change: written all together or not at all."""

    ticket: Ticket  # already modified in memory; saved with its version condition
    event: Event
    notifications: list[Notification] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    submission_id: str | None = None
    extra: list[RelaisItem] = field(default_factory=list)  # written as is (summaries, the contractor's history line)
    deletes: list[RelaisItem] = field(default_factory=list)  # summaries that no longer apply
    # Items changed only if they are still as read: (item, update actions, condition).
    updates: list[tuple[RelaisItem, list[Any], Any]] = field(default_factory=list)


@lru_cache(maxsize=1)
def connection() -> Connection:
    return Connection()


def new_event_sk() -> str:
    return keys.event_sk(ids.new_id())



def load_ticket(ticket_id: str) -> TicketView:
    """The ticket, its thread, links and outbox: one Query on the partition."""
    view: TicketView | None = None
    events: list[Event] = []
    links: list[Link] = []
    notifications: list[Notification] = []
    for item in RelaisItem.query(keys.ticket_pk(ticket_id)):
        if isinstance(item, Ticket):
            view = TicketView(item)
        elif isinstance(item, Event):
            events.append(item)
        elif isinstance(item, Link):
            links.append(item)
        elif isinstance(item, Notification):
            notifications.append(item)
    if view is None:
        raise NotFound(ticket_id)
    view.events, view.links, view.notifications = events, links, notifications
    return view


def apply_change(change: Change) -> None:
    """Event + ticket (version-checked) + outbox + links + submission marker, atomically."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            if change.submission_id:
                marker = Submission(
                    keys.submission_pk(change.submission_id),
                    keys.SUBMISSION_SK,
                    ticket_id=change.ticket.ticket_id,
                    event_sk=change.event.sk,
                    expires=clock.now() + SUBMISSION_TTL,
                )
                transaction.save(marker, condition=Submission.pk.does_not_exist())
            transaction.save(change.event, condition=Event.sk.does_not_exist())
            transaction.save(change.ticket)
            for notification in change.notifications:
                transaction.save(notification)
            for link in change.links:
                transaction.save(link)
            for item in change.extra:
                transaction.save(item)
            for item in change.deletes:
                transaction.delete(item)
            for item, actions, condition in change.updates:
                transaction.update(item, actions=actions, condition=condition)
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise  # not a condition that failed (too many items, a bad request): a bug, not a race
        recorded = find_submission(change.submission_id) if change.submission_id else None
        if recorded is not None:
            raise AlreadySubmitted(recorded) from exc
        raise Conflict(change.ticket.ticket_id) from exc


def cancelled_by(exc: TransactWriteError, code: str, positions: range | None = None) -> bool:
    """Whether DynamoDB cancelled the transaction for `code` (ConditionalCheckFailed,
    TransactionConflict…) at one of `positions` (any item when None)."""
    reasons = exc.cancellation_reasons
    return any(reason is not None and reason.code == code and (positions is None or index in positions)
               for index, reason in enumerate(reasons))


def find_submission(submission_id: str) -> Submission | None:
    """The marker of a form already recorded, if any."""
    try:
        return Submission.get(keys.submission_pk(submission_id), keys.SUBMISSION_SK, consistent_read=True)
    except Submission.DoesNotExist:
        return None




def next_reference() -> str:
    """A human reference, `YYYY-NNNNN`, from an atomic per-year counter."""
    year = clock.paris(clock.now()).year
    counter = Counter(keys.reference_counter_pk(year), keys.COUNTER_SK)
    try:
        counter.update(actions=[Counter.value.add(1)])
    except UpdateError as exc:  # pragma: no cover - the table is down; let the caller fail
        raise RuntimeError("could not allocate a ticket reference") from exc
    return f"{year}-{int(counter.value):05d}"
