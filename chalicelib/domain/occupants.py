"""The occupant of the place the contractor enters: who they are, how to reach them, checked.

Typed on the new request (or, later, pre-filled from the lot); stored on the ticket as
occupant_name / occupant_phone (E.164) / occupant_email / occupant_language.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import contacts
from chalicelib.domain.errors import InvalidContact
from chalicelib.domain.text import N_

NAME_MAX = 200
LANGUAGES = ("fr", "en")
ABSENCE_NOTE_MAX = 500


@dataclass(frozen=True)
class Occupant:
    name: str
    phone: str | None  # E.164, a mobile: the occupant is told by SMS
    email: str | None
    language: str = "fr"


def validate_occupant(form: dict[str, str], errors: dict[str, str]) -> Occupant | None:
    """The occupant fields of a request form (all optional); None when none is filled. Errors go in
    `errors` under the field's name."""
    name = (form.get("occupant_name") or "").strip()
    raw_phone, raw_email = (form.get("occupant_phone") or "").strip(), (form.get("occupant_email") or "").strip()
    language = (form.get("occupant_language") or "fr").strip()
    if not (name or raw_phone or raw_email):
        return None
    if len(name) > NAME_MAX:
        errors["occupant_name"] = N_("Ce champ dépasse {limit} caractères.", limit=NAME_MAX)
    phone = email = None
    if raw_phone:
        try:
            phone = contacts.normalise_phone(raw_phone)
            if not contacts.receives_sms(phone):
                errors["occupant_phone"] = N_("Ce numéro ne reçoit pas de SMS : indiquez un portable ou un e-mail.")
        except InvalidContact as exc:
            errors["occupant_phone"] = str(exc)
    if raw_email:
        try:
            email = contacts.normalise_email(raw_email)
        except InvalidContact as exc:
            errors["occupant_email"] = str(exc)
    if not raw_phone and not raw_email:
        errors["occupant_phone"] = N_("Indiquez le portable ou l'e-mail de l'occupant pour le prévenir.")
    if language not in LANGUAGES:
        errors["occupant_language"] = N_("Choisissez la langue : français ou anglais.")
    return Occupant(name, phone, email, language)


def validate_absence_note(raw: str) -> str | None:
    """The occupant's optional word with "Je serai absent"; None when too long."""
    note = raw.strip()
    return note if len(note) <= ABSENCE_NOTE_MAX else None
