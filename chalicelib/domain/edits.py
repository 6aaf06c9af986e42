"""A request corrected after it was sent: which fields, what changed, and what the contractor has
not acted on yet (their form highlights it until their next answer or message).

Pure: events are read by their event_type, actor and data only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.text import N_

# The request's fields a manager may change after sending, in the order messages list them.
EDITABLE_FIELDS = ("title", "description", "site_address", "access_notes", "urgency")
EDIT_EVENT = "edit"  # lifecycle.Action.EDIT's name


class _Event(Protocol):
    event_type: str
    actor: str
    data: Any


@dataclass(frozen=True)
class RequestEdit:
    title: str
    description: str
    site_address: str
    access_notes: str
    urgency: str

    def changes(self, current: Any) -> dict[str, dict[str, str]]:
        """{field: {"before", "after"}} for each field this edit changes on `current` (the ticket)."""
        return {name: {"before": str(getattr(current, name) or ""), "after": str(getattr(self, name))}
                for name in EDITABLE_FIELDS if str(getattr(current, name) or "") != str(getattr(self, name))}


def unseen_changes(events: Iterable[_Event]) -> dict[str, str]:
    """{field: value before} of every edit made since the contractor last acted (answered or wrote):
    what their form shows highlighted; "files" when files were added."""
    unseen: dict[str, str] = {}
    for event in events:
        if event.actor == "contractor":
            unseen = {}
        elif event.event_type == EDIT_EVENT:
            data = event.data or {}
            for name, change in (data.get("changes") or {}).items():
                unseen.setdefault(name, str(change.get("before", "")))
            if data.get("files"):
                unseen.setdefault("files", "")
    return unseen


def validate_edit(form: dict[str, str], file_count: int) -> tuple[RequestEdit | None, dict[str, str]]:
    """The edit form: the same rules as a new request's fields."""
    from chalicelib.domain import forms  # the admin's only: the contractor's form GET reads unseen_changes

    errors: dict[str, str] = {}
    title = forms.required_text(form, "title", forms.TITLE_MAX, N_("Indiquez un titre."), errors)
    description = forms.required_text(form, "description", forms.DESCRIPTION_MAX, N_("Décrivez l'intervention."),
                                      errors)
    site_address = forms.required_text(form, "site_address", forms.ADDRESS_MAX, N_("Indiquez l'adresse du site."),
                                       errors)
    access_notes = (form.get("access_notes") or "").strip()
    if len(access_notes) > forms.ACCESS_NOTES_MAX:
        errors["access_notes"] = N_("Ce champ dépasse {limit} caractères.", limit=forms.ACCESS_NOTES_MAX)
    urgency = (form.get("urgency") or "").strip()
    if urgency not in forms.URGENCIES:
        errors["urgency"] = N_("Urgence inconnue.")
    if file_count > forms.MESSAGE_MAX_FILES:
        errors["files"] = forms.TOO_MANY_FILES
    if errors:
        return None, errors
    return RequestEdit(title, description, site_address, access_notes, urgency), {}
