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

from chalicelib.data import keys, search, store
from chalicelib.data.keys import ticket_pk
from chalicelib.data.models import (
    Event,
    Notification,
    NotificationStatus,
    RelaisItem,
    SearchToken,
    Ticket,
    TicketSummary,
    grouped,
    looked_up,
)
from chalicelib.domain import ids
from chalicelib.domain.lifecycle import State

# Why a ticket needs its manager, in the order the À traiter page shows them: each says what to do.
REASONS = ("refused", "quote_pending", "unanswered", "presence_missing", "invoice_to_check", "invoice_missing",
           "delivery_failed", "unread_message")
# Most urgent first within a group (then the oldest): the rank is in the index's sort key.
URGENCY_RANK = {"emergency": 0, "urgent": 1, "normal": 2}


def is_done(ticket: Ticket) -> bool:
    """Closed or cancelled: off À traiter for good, even with a notification that failed."""
    return ticket.state in (State.CLOSED.value, State.CANCELLED.value)


def attention_reasons(ticket: Ticket) -> dict[str, str]:
    """Reason → since when, derived from the ticket alone (delivery failures are added by the outbox).

    A closed or cancelled ticket needs nothing; an answer that needs nothing (an acceptance, a
    confirmed presence) is read on the ticket page and in the list, not listed here."""
    state = State(ticket.state)
    reasons: dict[str, str] = {}
    if is_done(ticket):
        return reasons
    if ticket.unread_since and ticket.unread_kind == "message":
        reasons["unread_message"] = ticket.unread_since
    if state is State.REFUSED:  # to hand to another contractor, or cancel
        reasons["refused"] = ticket.updated_at
    if state is State.QUOTE_SUBMITTED:
        reasons["quote_pending"] = ticket.updated_at
    if ticket.answer_alerted and state in (State.SENT, State.QUOTE_REQUESTED):
        reasons["unanswered"] = ticket.request_sent_at or ticket.updated_at
    if ticket.presence_alerted and state is State.SCHEDULED:
        reasons["presence_missing"] = ticket.presence_requested_at or ticket.updated_at
    if state is State.INVOICED:  # to check, then close
        reasons["invoice_to_check"] = ticket.updated_at
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
        site_address=ticket.site_address, building_name=getattr(ticket, "building_name", None), urgency=ticket.urgency,
        planned_date=ticket.planned_date, planned_time=ticket.planned_time, contractor_company=ticket.contractor_company,
    )


def attention_item(ticket: Ticket, reason: str, since: str) -> TicketSummary:
    return _summary(ticket, keys.attention_sk(reason), keys.attention_group(ticket.manager_id),
                    keys.attention_order(reason, URGENCY_RANK.get(ticket.urgency, len(URGENCY_RANK)), since,
                                         ticket.ticket_id), reason, since)


def delivery_failed_item(ticket: Ticket, notifications: list[Notification], events: list[Event]) -> TicketSummary | None:
    """The outbox's À traiter entry (written by the dispatcher when a notification fails for good),
    as the ticket is now: while a notification stays failed, every change rewrites it, so it
    follows the ticket to a new owner and shows its current state."""
    if is_done(ticket) or not any(n.status == NotificationStatus.FAILED for n in notifications):
        return None
    since = max((e.at for e in events if e.event_type == "notification_failed"), default=ticket.updated_at)
    return attention_item(ticket, "delivery_failed", since)


def delivery_failed_key(ticket: Ticket) -> TicketSummary:
    return TicketSummary(ticket_pk(ticket.ticket_id), keys.attention_sk("delivery_failed"))


def summaries(ticket: Ticket) -> list[RelaisItem]:
    """Every derived item the ticket needs now: its list summaries and the words it is found by."""
    activity = keys.activity_order(ticket.updated_at, ticket.ticket_id)
    items: list[RelaisItem] = [
        _summary(ticket, keys.LIST_ALL_SK, keys.ALL_TICKETS, activity),
        _summary(ticket, keys.LIST_STATE_SK, keys.state_group(ticket.state), activity),
        _summary(ticket, keys.LIST_CONTRACTOR_SK, keys.contractor_tickets_group(ticket.contractor_id), activity),
        _summary(ticket, keys.LIST_OWNER_SK, keys.owner_tickets_group(ticket.manager_id), activity),
    ]
    items += [attention_item(ticket, reason, since) for reason, since in attention_reasons(ticket).items()]
    items += search.token_items(ticket)
    return items


def summary_keys(ticket: Ticket) -> set[str]:
    return {item.sk for item in summaries(ticket)}


def summary_writes(ticket: Ticket, before_keys: set[str]) -> tuple[list[RelaisItem], list[RelaisItem]]:
    """Puts for the summaries as they are now; deletes for those the ticket had and no longer needs.
    The words are written only when they changed (a reassignment, an edit): most changes leave them."""
    now = summaries(ticket)
    kept = {item.sk for item in now}
    words_changed = {sk for sk in kept if sk.startswith(keys.SEARCH_PREFIX)} != {
        sk for sk in before_keys if sk.startswith(keys.SEARCH_PREFIX)}
    puts = [item for item in now if words_changed or not isinstance(item, SearchToken)]
    gone: list[RelaisItem] = [_derived_key(ticket, sk) for sk in sorted(before_keys - kept)]
    return puts, gone


def _derived_key(ticket: Ticket, sk: str) -> RelaisItem:
    kind = SearchToken if sk.startswith(keys.SEARCH_PREFIX) else TicketSummary
    return kind(ticket_pk(ticket.ticket_id), sk)


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
        if store.rewrite_derived(ticket, puts, gone):
            return True
    raise RebuildConflict(ticket_id)


def _read_partition(ticket_id: str) -> tuple[Ticket | None, dict[str, RelaisItem], list[Notification], list[Event]]:
    """The ticket, the summary items its partition holds now, its notifications and the events of
    failed deliveries (one consistent Query)."""
    ticket: Ticket | None = None
    listed: dict[str, RelaisItem] = {}
    notifications: list[Notification] = []
    failures: list[Event] = []
    kinds = RelaisItem.item_type.is_in(Ticket, TicketSummary, SearchToken, Notification, Event)
    for item in RelaisItem.query(ticket_pk(ticket_id), filter_condition=kinds, consistent_read=True):
        if isinstance(item, Ticket):
            ticket = item
        elif isinstance(item, TicketSummary | SearchToken) and item.sk.startswith(keys.SUMMARY_PREFIXES):
            listed[item.sk] = item
        elif isinstance(item, Notification):
            notifications.append(item)
        elif isinstance(item, Event) and item.event_type == "notification_failed":
            failures.append(item)
    return ticket, listed, notifications, failures


# -- reading lists ---------------------------------------------------------------------------------

PAGE_SIZE = 25
REFERENCE_MAX = 20  # "2026-00042": anything much longer is no reference, and never a DynamoDB key
COUNT_MAX = 10_000  # an exact total up to this; "10 000+" beyond (the count reads what it counts)
SORTS = ("activity", "planned", "urgency")  # activity: the index's own order; the others sort what matches


@dataclass(frozen=True)
class Filters:
    state: str = ""
    contractor_id: str = ""
    owner_id: str = ""
    updated_from: str = ""  # YYYY-MM-DD (Europe/Paris days, compared on the stored UTC instant's date)
    updated_to: str = ""
    reference: str = ""
    sort: str = "activity"  # one of SORTS


@dataclass
class Page:
    items: list[Any]
    next_cursor: dict[str, Any] | None
    previous_cursor: dict[str, Any] | None
    total: int | None = None  # known when the page read every match (a sorted page), else see count()


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


def _answerable(filters: Filters) -> bool:
    """Whether DynamoDB may be asked at all: an unknown contractor id or swapped dates match nothing,
    and real DynamoDB would refuse the query (a key over 2 KB, BETWEEN with its bounds swapped)."""
    if filters.contractor_id and not ids.looks_valid(filters.contractor_id):
        return False
    low, high = _bounds(filters)
    return not (low and high and low >= high)


def tickets_page(filters: Filters, cursor: dict[str, Any] | None = None, backwards: bool = False) -> Page:
    """One page, most recent activity first: one Query (two when the page walks back). Sorted by
    planned date or urgency, the page is a slice of `rows` (cursor {"offset": n})."""
    if filters.reference:
        if len(filters.reference) > REFERENCE_MAX:
            return Page([], None, None)
        found = looked_up(keys.reference_lookup(filters.reference.strip()), Ticket)
        return Page([found] if found else [], None, None)
    if not _answerable(filters):
        return Page([], None, None)
    if filters.sort in SORTS and filters.sort != "activity":
        return _sorted_page(filters, cursor)
    key = _key_for(filters)
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


def _sorted_page(filters: Filters, cursor: dict[str, Any] | None) -> Page:
    offset = cursor.get("offset") if cursor else 0
    offset = offset if isinstance(offset, int) and 0 <= offset < COUNT_MAX else 0
    every = rows(filters, COUNT_MAX + 1)  # one more tells "10 000+"
    page = every[offset:offset + PAGE_SIZE]
    following = {"offset": offset + PAGE_SIZE} if offset + PAGE_SIZE < min(len(every), COUNT_MAX) else None
    return Page(page, following, {"offset": max(0, offset - PAGE_SIZE)} if offset else None, len(every))


def _by_sort(filters: Filters) -> Any:
    if filters.sort == "planned":  # soonest first; unplanned last; the most recent activity breaks ties
        return lambda item: (item.planned_date is None, item.planned_date or "", item.planned_time or "",
                             _newest_first(item.updated_at))
    return lambda item: (URGENCY_RANK.get(item.urgency or "", len(URGENCY_RANK)), _newest_first(item.updated_at))


def _newest_first(instant: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in instant)


def rows(filters: Filters, limit: int = COUNT_MAX) -> list[Any]:
    """Every ticket the filters match (the `limit` most recent), in the filters' order: the rows of
    a sort by planned date or urgency, and of an export of the filtered list. A Query per MB read."""
    if filters.reference:  # the ticket itself (it has every attribute a summary has)
        return tickets_page(filters).items
    if not _answerable(filters):
        return []
    key = _key_for(filters)
    found = [item for item in RelaisItem.activity_index.query(  # the most recent first: what a limit keeps
        key, _range(filters), filter_condition=_filter(filters, key), scan_index_forward=False, limit=limit,
        page_size=1000) if isinstance(item, TicketSummary)]
    return found if filters.sort not in SORTS or filters.sort == "activity" else sorted(found, key=_by_sort(filters))


def count(filters: Filters) -> int:
    """How many tickets match, exact up to COUNT_MAX (COUNT_MAX + 1 means more): Select=COUNT Queries,
    one per MB of summaries read, so a manager's few hundred tickets cost one call."""
    if filters.reference:
        return len(tickets_page(filters).items)
    if not _answerable(filters):
        return 0
    key = _key_for(filters)
    return min(COUNT_MAX + 1, RelaisItem.count(key, _range(filters), filter_condition=_filter(filters, key),
                                               index_name=RelaisItem.activity_index.Meta.index_name,
                                               limit=COUNT_MAX + 1))
