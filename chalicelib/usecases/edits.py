"""The manager corrects a request already sent: title, description, address, access notes, urgency,
and adds files. One event with each field's before and after; the contractor is told what changed,
and their form highlights it until their next answer or message (chalicelib/domain/edits.py).

Racing a contractor's answer: the edit is refused if the ticket moved since the manager's form was
shown (`seen_version`), and the transaction's version condition settles a race at the same instant;
the contractor's answer from a form older than the edit is refused too (chalicelib/web/contractor.py).
Either way one wins and the other is told, with what they typed kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.data import store
from chalicelib.data.models import Event, Manager, Ticket
from chalicelib.domain.edits import RequestEdit
from chalicelib.domain.errors import Conflict, NothingChanged
from chalicelib.domain.lifecycle import Action
from chalicelib.usecases import changes


def edit_request(view: store.TicketView, manager: Manager, edit: RequestEdit, files: list[dict[str, Any]],
                 seen_version: int, submission_id: str, now: datetime) -> Event:
    """Raises Conflict when the ticket changed since the form was shown, NothingChanged, NotAllowed
    (a request no longer editable: done, closed, cancelled)."""
    ticket = view.ticket
    if int(ticket.version or 0) != seen_version:
        raise Conflict(ticket.ticket_id)
    changed = edit.changes(ticket)
    if not changed and not files:
        raise NothingChanged()

    def apply(t: Ticket) -> None:
        for name, change in changed.items():
            setattr(t, name, change["after"])
        t.edits = int(t.edits or 0) + 1
        # A new urgency re-plans the timers in this same transaction: changes.transition compares the
        # timers planning.wanted derives before and after (cadences by urgency, usecases/urgency.py).

    extra = {"changed": list(changed), "files": files, "edited_by": manager.name}
    return changes.transition(
        view, changes.manager_who(manager), Action.EDIT, now=now, data={"changes": changed, "files": files},
        notify=lambda _: changes.to_contractor(view, "request_edited", now, extra), submission_id=submission_id,
        change=apply)  # the event type is Action.EDIT's, which chalicelib/domain/edits.py reads back
