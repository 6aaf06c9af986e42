"""How tickets are found: by last activity, state, contractor or owner, and what needs the manager.

Each ticket keeps small summary items in its own partition, each under one activity-index key
(chalicelib/data/keys.py): every ticket (ALL_TICKETS), by state, by contractor, by owner, all most
recent activity first; and the owner's À traiter list, grouped by reason (attention_group; the
ticket item itself is listed under its owner, keys.owner_group). They are recomputed from the
ticket after every change and written in the same transaction: puts for what changed,
deletes for what no longer applies. `rebuild_summaries` recomputes them all, for a version that
adds or changes one (run by `make run`, and `make upgrade-data` on a deployed table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.data import keys, store
from chalicelib.data.keys import ticket_pk
from chalicelib.data.models import (
    Event,
    Notification,
    NotificationStatus,
    RelaisItem,
    Ticket,
    TicketSummary,
    grouped,
    looked_up,
)
from chalicelib.domain import ids
from chalicelib.domain.lifecycle import State

# Why a ticket needs its manager, in the order the À traiter page shows them.
REASONS = ("unread_message", "unread_answer", "quote_pending", "unanswered", "presence_missing", "invoice_missing",
           "delivery_failed")


def attention_reasons(ticket: Ticket) -> dict[str, str]:
    """Reason → since when, derived from the ticket alone (delivery failures are added by the outbox)."""
    state = State(ticket.state)
    reasons: dict[str, str] = {}
    if ticket.unread_since:
        reasons["unread_message" if ticket.unread_kind == "message" else "unread_answer"] = ticket.unread_since
    if state is State.QUOTE_SUBMITTED:
        reasons["quote_pending"] = ticket.updated_at
    if ticket.answer_alerted and state in (State.SENT, State.QUOTE_REQUESTED):
        reasons["unanswered"] = ticket.request_sent_at or ticket.updated_at
    if ticket.presence_alerted and state is State.SCHEDULED:
        reasons["presence_missing"] = ticket.presence_requested_at or ticket.updated_at
    if ticket.invoice_alerted and state in (State.COMPLETED, State.INVOICE_REQUESTED):
        reasons["invoice_missing"] = ticket.completed_at or ticket.updated_at
    return reasons


def _summary(ticket: Ticket, sk: str, pk_key: str, sort_key: str, reason: str | None = None,
             since: str | None = None) -> TicketSummary:
    return TicketSummary(
        ticket_pk(ticket.ticket_id), sk, gsi1pk=pk_key, gsi1sk=sort_key, ticket_id=ticket.ticket_id,
        reference=ticket.reference, title=ticket.title, state=ticket.state, contractor_id=ticket.contractor_id,
        contractor_name=ticket.contractor_name, manager_id=ticket.manager_id, manager_name=ticket.manager_name,
        created_at=ticket.created_at, updated_at=ticket.updated_at, reason=reason, since=since,
    )


def attention_item(ticket: Ticket, reason: str, since: str) -> TicketSummary:
    return _summary(ticket, keys.attention_sk(reason), keys.attention_group(ticket.manager_id),
                    keys.attention_order(reason, since, ticket.ticket_id), reason, since)


def delivery_failed_item(ticket: Ticket, notifications: list[Notification], events: list[Event]) -> TicketSummary | None:
    """The outbox's À traiter entry (written by the dispatcher when a notification fails for good),
    as the ticket is now: while a notification stays failed, every change rewrites it, so it
    follows the ticket to a new owner and shows its current state."""
    if not any(n.status == NotificationStatus.FAILED for n in notifications):
        return None
    since = max((e.at for e in events if e.event_type == "notification_failed"), default=ticket.updated_at)
    return attention_item(ticket, "delivery_failed", since)


def delivery_failed_key(ticket: Ticket) -> TicketSummary:
    return TicketSummary(ticket_pk(ticket.ticket_id), keys.attention_sk("delivery_failed"))


def summaries(ticket: Ticket) -> list[TicketSummary]:
    """Every summary item the ticket needs now."""
    activity = keys.activity_order(ticket.updated_at, ticket.ticket_id)
    items = [
        _summary(ticket, keys.LIST_ALL_SK, keys.ALL_TICKETS, activity),
        _summary(ticket, keys.LIST_STATE_SK, keys.state_group(ticket.state), activity),
        _summary(ticket, keys.LIST_CONTRACTOR_SK, keys.contractor_tickets_group(ticket.contractor_id), activity),
        _summary(ticket, keys.LIST_OWNER_SK, keys.owner_tickets_group(ticket.manager_id), activity),
    ]
    items += [attention_item(ticket, reason, since) for reason, since in attention_reasons(ticket).items()]
    return items


def summary_keys(ticket: Ticket) -> set[str]:
    return {item.sk for item in summaries(ticket)}


def summary_writes(ticket: Ticket, before_keys: set[str]) -> tuple[list[RelaisItem], list[RelaisItem]]:
    """Puts for the summaries as they are now; deletes for those the ticket had and no longer needs."""
    now = summaries(ticket)
    kept = {item.sk for item in now}
    gone: list[RelaisItem] = [TicketSummary(ticket_pk(ticket.ticket_id), sk) for sk in sorted(before_keys - kept)]
    return list(now), gone


# -- rebuilding them --------------------------------------------------------------------------------

REBUILD_ATTEMPTS = 5


class RebuildConflict(Exception):
    """The ticket kept changing while its summaries were being rebuilt."""


def rebuild_summaries() -> int:
    """Rewrite every ticket's summaries from the ticket itself; returns how many tickets needed it.

    Summaries are derived data, written only when a ticket changes: a version that adds or
    changes one leaves the tickets written before it without it (a ticket missing from "Mes
    tickets", say) until they change again. Running this once after such a version repairs
    them; on an up-to-date table it writes nothing. Each ticket is one transaction that holds
    only if the ticket's version is still the one read, so a change made meanwhile (which
    writes its own summaries) is never overwritten with stale ones: the ticket is read again.
    """
    return sum(_rebuild_ticket(ticket.ticket_id) for ticket in Ticket.scan())


def _rebuild_ticket(ticket_id: str) -> bool:
    for _ in range(REBUILD_ATTEMPTS):
        ticket, listed, notifications, failures = _read_partition(ticket_id)
        if ticket is None:
            return False
        delivery_failed = delivery_failed_item(ticket, notifications, failures)
        wanted = {item.sk: item for item in [*summaries(ticket), *([delivery_failed] if delivery_failed else [])]}
        puts = [item for sk, item in wanted.items() if sk not in listed or listed[sk].serialize() != item.serialize()]
        gone = [item for sk, item in listed.items() if sk not in wanted]
        if not puts and not gone:
            return False
        try:
            with TransactWrite(connection=store.connection()) as transaction:
                transaction.condition_check(Ticket, ticket.pk, ticket.sk, condition=Ticket.version == ticket.version)
                for item in puts:
                    transaction.save(item)
                for item in gone:
                    transaction.delete(item)
            return True
        except TransactWriteError as exc:
            store.failed_conditions(exc)  # only the ticket's version has a condition; a busy table raises
            continue  # changed meanwhile (its own change wrote its summaries): read it again
    raise RebuildConflict(ticket_id)


def _read_partition(ticket_id: str) -> tuple[Ticket | None, dict[str, TicketSummary], list[Notification], list[Event]]:
    """The ticket, the summary items its partition holds now, its notifications and the events of
    failed deliveries (one consistent Query)."""
    ticket: Ticket | None = None
    listed: dict[str, TicketSummary] = {}
    notifications: list[Notification] = []
    failures: list[Event] = []
    kinds = RelaisItem.item_type.is_in(Ticket, TicketSummary, Notification, Event)
    for item in RelaisItem.query(ticket_pk(ticket_id), filter_condition=kinds, consistent_read=True):
        if isinstance(item, Ticket):
            ticket = item
        elif isinstance(item, TicketSummary) and item.sk.startswith(keys.SUMMARY_PREFIXES):
            listed[item.sk] = item
        elif isinstance(item, Notification):
            notifications.append(item)
        elif isinstance(item, Event) and item.event_type == "notification_failed":
            failures.append(item)
    return ticket, listed, notifications, failures


# -- reading lists ---------------------------------------------------------------------------------

PAGE_SIZE = 25
REFERENCE_MAX = 20  # "2026-00042": anything much longer is no reference, and never a DynamoDB key


@dataclass(frozen=True)
class Filters:
    state: str = ""
    contractor_id: str = ""
    owner_id: str = ""
    updated_from: str = ""  # YYYY-MM-DD (Europe/Paris days, compared on the stored UTC instant's date)
    updated_to: str = ""
    reference: str = ""


@dataclass
class Page:
    items: list[Any]
    next_cursor: dict[str, Any] | None
    previous_cursor: dict[str, Any] | None


def _key_for(filters: Filters) -> str:
    """The most selective listing key; the other filters narrow it down."""
    if filters.state:
        return keys.state_group(filters.state)
    if filters.contractor_id:
        return keys.contractor_tickets_group(filters.contractor_id)
    if filters.owner_id:  # the default page ("my tickets") reads its own partition: one Query
        return keys.owner_tickets_group(filters.owner_id)
    return keys.ALL_TICKETS


def _paris_day_start(day: str) -> str:
    """The UTC instant a Paris calendar day starts at, as stored sort keys read it."""
    from datetime import date, datetime, time

    from chalicelib.domain import clock

    try:
        return clock.iso(datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=clock.PARIS))
    except ValueError:
        return ""


def _bounds(filters: Filters) -> tuple[str, str]:
    """The activity range as stored sort keys: from the first instant of the first day to the
    first instant of the day after the last ("" where open)."""
    from datetime import date, timedelta

    low = _paris_day_start(filters.updated_from) if filters.updated_from else ""
    high = ""
    if filters.updated_to:
        try:
            high = _paris_day_start((date.fromisoformat(filters.updated_to) + timedelta(days=1)).isoformat())
        except ValueError:
            high = ""
    return low, high


def _range(filters: Filters) -> Any:
    low, high = _bounds(filters)
    if low and high:
        return RelaisItem.gsi1sk.between(low, high)  # up to the first instant of the day after
    if low:
        return RelaisItem.gsi1sk >= low
    if high:
        return RelaisItem.gsi1sk < high
    return None


def _filter(filters: Filters, key: str) -> Any:
    condition = None
    wanted = [(TicketSummary.contractor_id, filters.contractor_id, not key.startswith(keys.CONTRACTOR_TICKETS_PREFIX)),
              (TicketSummary.manager_id, filters.owner_id, not key.startswith(keys.OWNER_TICKETS_PREFIX))]
    for attribute, value, needed in wanted:
        if value and needed:
            condition = (attribute == value) if condition is None else condition & (attribute == value)
    return condition


def tickets_page(filters: Filters, cursor: dict[str, Any] | None = None, backwards: bool = False) -> Page:
    """One page, most recent activity first: one Query (two when the page walks back)."""
    if filters.reference:
        if len(filters.reference) > REFERENCE_MAX:
            return Page([], None, None)
        found = looked_up(keys.reference_lookup(filters.reference.strip()), Ticket)
        return Page([found] if found else [], None, None)
    key = _key_for(filters)
    if filters.contractor_id and not ids.looks_valid(filters.contractor_id):
        return Page([], None, None)  # no such contractor: nothing to ask DynamoDB
    low, high = _bounds(filters)
    if low and high and low >= high:
        return Page([], None, None)  # DynamoDB refuses BETWEEN with its bounds swapped; the page says why
    if cursor is not None and cursor.get("gsi1pk", {}).get("S") != key:
        cursor = None  # a cursor of other filters (the URL was edited): start over rather than fail
    query = RelaisItem.activity_index.query(
        key, _range(filters), filter_condition=_filter(filters, key), scan_index_forward=backwards,
        limit=PAGE_SIZE, last_evaluated_key=cursor, page_size=PAGE_SIZE,
    )
    items = [item for item in query if isinstance(item, TicketSummary)]
    after = query.last_evaluated_key
    if backwards:
        items.reverse()
        return Page(items, _cursor_of(items[-1]) if items else None, after and (_cursor_of(items[0]) if items else None))
    return Page(items, after, _cursor_of(items[0]) if items and cursor else None)


def _cursor_of(item: TicketSummary) -> dict[str, Any]:
    return {"pk": {"S": item.pk}, "sk": {"S": item.sk}, "gsi1pk": {"S": item.gsi1pk}, "gsi1sk": {"S": item.gsi1sk}}


def attention_for(manager_id: str) -> dict[str, list[TicketSummary]]:
    """The À traiter list: every ticket that needs this manager, by reason (one Query)."""
    by_reason: dict[str, list[TicketSummary]] = {reason: [] for reason in REASONS}
    for item in grouped(keys.attention_group(manager_id), TicketSummary, limit=1000, page_size=1000):
        if item.reason in by_reason:
            by_reason[item.reason].append(item)
    return by_reason
