"""Data access for tickets: one Query to read a ticket, one transaction to change it.

Callers hand it items and conditions and get the exceptions of chalicelib/domain/errors.py back
(`Conflict`, `AlreadySubmitted`, `NotFound`, `Busy`); keys come from chalicelib/data/keys.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.data import keys
from chalicelib.data.models import Counter, Event, Link, Notification, OccupantLink, RelaisItem, Submission, Ticket
from chalicelib.domain import clock, ids
from chalicelib.domain.errors import AlreadySubmitted, Busy, Conflict, NotFound

SUBMISSION_TTL = timedelta(days=30)
MANAGER_ONLY_EVENTS = frozenset({"notification_failed", "email_bounced", "notification_resent", "reassign",
                                 "change_owner", "occupant_absent", "occupant_reminder", "email_held", "email_refused"})
BOOKKEEPING_EVENTS = frozenset({"read"})  # audit only: shown to nobody


CONDITION_FAILED = "ConditionalCheckFailed"
# Passing refusals. Those of a whole request come after botocore's own retries; a transaction's
# cancellation reasons (the first three) botocore never retries.
BUSY_CODES = frozenset({
    "ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict",
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError",
    "TransactionConflictException", "TransactionInProgressException",
})


@dataclass
class TicketView:
    """Everything in a ticket's partition, from one Query."""

    ticket: Ticket
    events: list[Event] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    occupant_links: list[OccupantLink] = field(default_factory=list)

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
    occupant_links: list[OccupantLink] = []
    # Its search words sort last in the partition: left out, the form reads what it did before them.
    for item in RelaisItem.query(keys.ticket_pk(ticket_id), RelaisItem.sk < keys.SEARCH_PREFIX):
        if isinstance(item, Ticket):
            view = TicketView(item)
        elif isinstance(item, Event):
            events.append(item)
        elif isinstance(item, Link):
            links.append(item)
        elif isinstance(item, Notification):
            notifications.append(item)
        elif isinstance(item, OccupantLink):
            occupant_links.append(item)
    if view is None:
        raise NotFound(ticket_id)
    view.events, view.links, view.notifications, view.occupant_links = events, links, notifications, occupant_links
    return view


def apply_change(change: Change) -> None:
    """Event + ticket (version-checked) + outbox + links + submission marker, atomically."""
    for attempt in range(2):
        try:
            _write(change)
            return
        except TransactWriteError as exc:
            if attempt == 0 and met_another_transaction(exc):
                continue  # nothing was written and every condition still guards it: the same write once more
            failed = failed_conditions(exc)
            if change.submission_id and 0 in failed:  # the marker, written first: this very form is recorded
                raise AlreadySubmitted(change.submission_id) from exc
            raise Conflict(change.ticket.ticket_id) from exc


def _write(change: Change) -> None:
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


def rewrite_derived(ticket: Ticket, puts: list[RelaisItem], gone: list[RelaisItem]) -> bool:
    """Items derived from a ticket (list summaries, plan entries) brought up to date in one transaction
    that holds only while the ticket is at the version read. False when it changed meanwhile: its own
    change wrote its derived items, so the caller reads again. A busy table raises Busy."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.condition_check(Ticket, ticket.pk, ticket.sk, condition=Ticket.version == ticket.version)
            for item in puts:
                transaction.save(item)
            for item in gone:
                transaction.delete(item)
        return True
    except TransactWriteError as exc:
        failed_conditions(exc)  # only the version has a condition: anything else raises
        return False


def failed_conditions(exc: PynamoDBException) -> frozenset[int]:
    """Why DynamoDB refused a write, read the same way by every caller: the positions whose condition
    failed (in the order the transaction added its items; 0 for a single-item write). That is the
    conflict a caller expects and names ("duplicate", "changed meanwhile"), so it is never empty:
    any other refusal raises, Busy when it is passing (BUSY_CODES), the error itself otherwise (too
    many items, a malformed request: a bug to see in the logs)."""
    if isinstance(exc, TransactWriteError) and exc.cause_response_code == "TransactionCanceledException":
        codes = [reason.code if reason is not None else "None" for reason in exc.cancellation_reasons]
    else:
        codes = [(exc.cause_response_code or "").removesuffix("Exception")]  # ConditionalCheckFailedException
    failed = frozenset(index for index, code in enumerate(codes) if code == CONDITION_FAILED)
    if failed:
        return failed
    if is_busy(exc):
        raise Busy(exc.cause_response_code) from exc
    raise exc


def is_busy(exc: BaseException | None) -> bool:
    """A write refused as Busy, or any call (a read too) DynamoDB still refused as busy after botocore's retries."""
    if isinstance(exc, Busy):
        return True
    if not isinstance(exc, PynamoDBException):
        return False
    reasons = exc.cancellation_reasons if isinstance(exc, TransactWriteError) else []
    return exc.cause_response_code in BUSY_CODES or any(r is not None and r.code in BUSY_CODES for r in reasons)


def met_another_transaction(exc: TransactWriteError) -> bool:
    """Cancelled only because another transaction held one of its items at that moment (real
    DynamoDB; moto runs them one after the other): a caller may send it once more itself, before
    failed_conditions() calls it Busy."""
    codes = {reason.code for reason in exc.cancellation_reasons if reason is not None}
    return "TransactionConflict" in codes and CONDITION_FAILED not in codes


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
    counter.update(actions=[Counter.value.add(1)])  # no condition: a refusal is the table's (busy: a 503)
    return f"{year}-{int(counter.value):05d}"
