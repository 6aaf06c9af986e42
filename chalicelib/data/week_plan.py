"""The week's plan: every planned intervention, by day and hour, for its owner and for everyone.

A ticket with a planned date and time, from its acceptance until it is closed, has two entries in its
own partition (PLAN#OWNER and PLAN#ALL), listed on the activity index under its week and its owner's
week (keys.plan_group, the week named by its Monday) in day and hour order. `changes.transition`
writes them in the same transaction as the date is set, moved or cleared, so a week's page is one
Query per manager (or one for everyone), never a Scan. `rebuild_plan` writes them for tickets saved
before this index (`make upgrade-data`, and `make run` at start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chalicelib.data import keys, store
from chalicelib.data.keys import ticket_pk
from chalicelib.data.models import PlanEntry, RelaisItem, Ticket, grouped
from chalicelib.domain import clock
from chalicelib.domain.lifecycle import State

# From the acceptance to the end: a refused, reassigned or cancelled request leaves the plan.
PLANNED_STATES = frozenset({State.SCHEDULED, State.ON_SITE, State.COMPLETION_REQUESTED, State.COMPLETED,
                            State.INVOICE_REQUESTED, State.INVOICED, State.CLOSED})
DONE_STATES = frozenset({State.COMPLETED, State.INVOICE_REQUESTED, State.INVOICED, State.CLOSED})
ON_SITE_STATES = frozenset({State.ON_SITE, State.COMPLETION_REQUESTED})
# Where a time window's end may live on a ticket (the acceptance form names it): read defensively.
WINDOW_END_ATTRIBUTES = ("planned_window_end", "planned_time_end", "planned_until")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _window_end(ticket: Ticket) -> str | None:
    return next((str(value) for name in WINDOW_END_ATTRIBUTES if (value := getattr(ticket, name, None))), None)


def entries(ticket: Ticket) -> list[PlanEntry]:
    """The plan entries the ticket needs now: none, or its owner's and everyone's copy."""
    if not ticket.planned_date or not ticket.planned_time or State(ticket.state) not in PLANNED_STATES:
        return []
    monday = monday_of(date.fromisoformat(ticket.planned_date)).isoformat()
    order = keys.plan_order(ticket.planned_date, ticket.planned_time, ticket.ticket_id)
    return [
        PlanEntry(
            ticket_pk(ticket.ticket_id), sk, gsi1pk=group, gsi1sk=order, ticket_id=ticket.ticket_id,
            reference=ticket.reference, title=ticket.title, state=ticket.state, urgency=ticket.urgency,
            planned_date=ticket.planned_date, planned_time=ticket.planned_time, window_end=_window_end(ticket),
            late_until=ticket.late_until, building=str(getattr(ticket, "building_name", None) or ""),
            site_address=ticket.site_address, contractor_name=ticket.contractor_name,
            contractor_company=ticket.contractor_company or "", manager_id=ticket.manager_id,
            manager_name=ticket.manager_name,
        )
        for sk, group in ((keys.PLAN_OWNER_SK, keys.plan_group(monday, ticket.manager_id)),
                          (keys.PLAN_ALL_SK, keys.plan_group(monday)))
    ]


def writes(ticket: Ticket, before: list[PlanEntry]) -> tuple[list[RelaisItem], list[RelaisItem]]:
    """Puts for the entries that changed since `before` (entries(ticket) before the change), deletes
    for those the ticket no longer needs: a message to a planned ticket writes nothing here."""
    now = entries(ticket)
    was = {entry.sk: entry.serialize() for entry in before}
    puts: list[RelaisItem] = [entry for entry in now if was.get(entry.sk) != entry.serialize()]
    kept = {entry.sk for entry in now}
    gone: list[RelaisItem] = [PlanEntry(ticket_pk(ticket.ticket_id), sk) for sk in sorted(set(was) - kept)]
    return puts, gone


# -- reading a week ------------------------------------------------------------------------------

WEEK_QUERY_LIMIT = 2000  # interventions in one week's page; beyond, the page says it shows the first ones


def week(monday: date, manager_id: str | None) -> list[PlanEntry]:
    """One week's entries, in day and hour order: one Query (of one owner, or of everyone)."""
    return grouped(keys.plan_group(monday.isoformat(), manager_id), PlanEntry, limit=WEEK_QUERY_LIMIT)


@dataclass(frozen=True)
class Progress:
    status: str  # planned | late | on_site | done
    expected: str  # HH:MM by which the contractor should be there


def progress(entry: PlanEntry, now: datetime, grace_minutes: float) -> Progress:
    """Where a planned intervention stands at `now`: done, on site, late (announced, or no presence
    confirmed by the end of its window or its hour plus the grace), or still planned."""
    state = State(entry.state)
    expected = entry.late_until or entry.window_end or entry.planned_time
    if state in DONE_STATES:
        return Progress("done", expected)
    if state in ON_SITE_STATES:
        return Progress("on_site", expected)
    due = datetime.combine(date.fromisoformat(entry.planned_date), time.fromisoformat(expected), tzinfo=clock.PARIS)
    late = bool(entry.late_until) or now > due + timedelta(minutes=grace_minutes)
    return Progress("late" if late else "planned", expected)


# -- writing them for tickets saved before the index -----------------------------------------------

REBUILD_ATTEMPTS = 5


def rebuild_plan() -> int:
    """Write the entries every planned ticket needs (and drop those it no longer needs); returns how
    many tickets it changed. A second run writes nothing. Each ticket is one transaction that holds
    only if its version is still the one read: a change meanwhile wrote its own entries."""
    planned = Ticket.planned_date.exists()
    return sum(_rebuild_ticket(ticket.ticket_id) for ticket in Ticket.scan(filter_condition=planned))


def _rebuild_ticket(ticket_id: str) -> bool:
    for _ in range(REBUILD_ATTEMPTS):
        ticket, listed = _read_partition(ticket_id)
        if ticket is None:
            return False
        puts, gone = writes(ticket, listed)
        if not puts and not gone:
            return False
        if store.rewrite_derived(ticket, puts, gone):
            return True
    return False


def _read_partition(ticket_id: str) -> tuple[Ticket | None, list[PlanEntry]]:
    ticket: Ticket | None = None
    listed: list[PlanEntry] = []
    kinds = RelaisItem.item_type.is_in(Ticket, PlanEntry)
    for item in RelaisItem.query(ticket_pk(ticket_id), filter_condition=kinds, consistent_read=True):
        if isinstance(item, Ticket):
            ticket = item
        elif isinstance(item, PlanEntry):
            listed.append(item)
    return ticket, listed
