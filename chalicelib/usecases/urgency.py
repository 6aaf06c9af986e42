"""Changing the urgency of an open ticket: its timers follow the new cadence.

The timers derive from the ticket (chalicelib/usecases/planning.py), urgency included, so the
change, its event and the replaced schedules are one transaction (changes.transition compares the
timers wanted before and after). Another use case that edits more than the urgency (an edit of a
sent request) passes its other field changes as `also` and their before/after as `data`: one
transaction, one event. One that writes its own event type calls changes.transition with a `change`
that sets the urgency: the re-planning is the same, since it is derived there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.data import store
from chalicelib.data.models import Event, Ticket
from chalicelib.domain.forms import URGENCIES
from chalicelib.domain.lifecycle import Action
from chalicelib.usecases import changes


def replan_after_urgency_change(
    view: store.TicketView,
    who: changes.Who,
    urgency: str,
    *,
    now: datetime,
    submission_id: str | None = None,
    also: Callable[[Ticket], None] | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Set `urgency` and re-plan: schedules whose time moves are replaced under their fixed names,
    those no longer wanted deleted, in the same transaction as the event (before/after in its data).
    Raises ValueError for an unknown urgency, and what changes.transition raises (NotAllowed on a
    closed ticket, Conflict when it changed meanwhile, AlreadySubmitted for the same form twice)."""
    if urgency not in URGENCIES:
        raise ValueError(urgency)
    before = view.ticket.urgency

    def apply(ticket: Ticket) -> None:
        ticket.urgency = urgency
        if also is not None:
            also(ticket)

    return changes.transition(
        view, who, Action.CHANGE_URGENCY, now=now, submission_id=submission_id, change=apply,
        data={**(data or {}), "urgency": {"before": before, "after": urgency}})
