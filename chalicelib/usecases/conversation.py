"""The thread: either side sends a message with files; the other side is told.

Shared by the contractor's form and the manager's ticket page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.aws import uploads
from chalicelib.data import store
from chalicelib.domain import forms
from chalicelib.domain.errors import MessageRejected
from chalicelib.domain.text import N_
from chalicelib.usecases import tickets

ATTEMPTS = 3


def send_message(
    view: store.TicketView,
    who: tickets.Who,
    body: str,
    keys: list[str],
    names: list[str],
    submission_id: str,
    now: datetime,
    reopen: Callable[[str], store.TicketView] = store.load_ticket,
) -> None:
    """Record the message once (a retry of the same form is a no-op); raises MessageRejected.

    `view` is the ticket as the request already read it: the first try costs no second Query.
    `who` wrote it, whatever the ticket says when it is read again after a conflict: `reopen`
    reads it then, and raises if `who` may no longer write to it (a contractor's link revoked
    by a reassignment meanwhile)."""
    checked = forms.validate_message(body, keys, names)
    if not checked.ok or checked.value is None:
        raise MessageRejected(checked.errors)
    ticket_id = view.ticket.ticket_id
    accepted, rejected = uploads.verify_all(ticket_id, list(checked.value.files), recorded=view.recorded_file_ids())
    if rejected:
        if store.find_submission(submission_id) is not None:
            return  # an identical submission (double click) recorded these very files meanwhile
        raise MessageRejected({"files": N_("Certains fichiers n'ont pas été acceptés.")}, rejected)
    files = [stored.as_dict() for stored in accepted]
    for attempt in range(ATTEMPTS):  # a message never conflicts in meaning: retry on a concurrent change
        if attempt:
            view = reopen(ticket_id)
        try:
            tickets.post_message(view, who, checked.value.body, files, submission_id, now)
            return
        except store.AlreadySubmitted:
            return
        except store.Conflict:
            continue
    raise store.Conflict(ticket_id)
