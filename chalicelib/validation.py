"""Form validation, pure: each function returns clean values or field errors (French msgids).

Errors are keyed by field name so the page shows each one next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar

from chalicelib.clock import PARIS

COMMENT_MAX = 2000
REASON_MAX = 2000
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
ADDRESS_MAX = 500
ACCESS_NOTES_MAX = 2000
MAX_PLANNING_DAYS = 366

URGENCIES = ("normal", "urgent", "emergency")
CHANNELS = ("sms", "email")

T = TypeVar("T")


@dataclass
class Result(Generic[T]):
    value: T | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Acceptance:
    planned_date: str  # YYYY-MM-DD
    planned_time: str  # HH:MM
    comment: str


@dataclass(frozen=True)
class Refusal:
    reason: str


@dataclass(frozen=True)
class NewRequest:
    contractor_id: str
    request_kind: str
    title: str
    description: str
    site_address: str
    access_notes: str
    urgency: str
    channels: tuple[str, ...]


def _text(form: dict[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _parse_time(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if len(value) in (5, 8) else None
    except ValueError:
        return None


def _exists_in_paris(day: date, hour: time) -> bool:
    """False for wall-clock times skipped by the spring DST change (e.g. 02:30 in March)."""
    local = datetime.combine(day, hour, tzinfo=PARIS)
    back = local.astimezone(UTC).astimezone(PARIS)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def validate_acceptance(form: dict[str, str], now: datetime) -> Result[Acceptance]:
    errors: dict[str, str] = {}
    raw_date, raw_time, comment = _text(form, "planned_date"), _text(form, "planned_time"), _text(form, "comment")
    day = _parse_date(raw_date)
    hour = _parse_time(raw_time)
    if not raw_date:
        errors["planned_date"] = "Indiquez la date d'intervention."
    elif day is None:
        errors["planned_date"] = "Date invalide (format attendu : JJ/MM/AAAA)."
    if not raw_time:
        errors["planned_time"] = "Indiquez l'heure d'intervention."
    elif hour is None:
        errors["planned_time"] = "Heure invalide (format attendu : HH:MM)."
    if day is not None and hour is not None:
        moment = datetime.combine(day, hour, tzinfo=PARIS)
        if not _exists_in_paris(day, hour):
            errors["planned_time"] = "Cette heure n'existe pas ce jour-là (changement d'heure)."
        elif moment <= now:
            errors["planned_date"] = "La date et l'heure d'intervention sont déjà passées."
        elif moment > now + timedelta(days=MAX_PLANNING_DAYS):
            errors["planned_date"] = "La date d'intervention doit être dans les douze prochains mois."
    if len(comment) > COMMENT_MAX:
        errors["comment"] = f"Le commentaire dépasse {COMMENT_MAX} caractères."
    if errors:
        return Result(errors=errors)
    assert day is not None and hour is not None
    return Result(Acceptance(day.isoformat(), hour.strftime("%H:%M"), comment))


def validate_refusal(form: dict[str, str]) -> Result[Refusal]:
    reason = _text(form, "reason")
    if not reason:
        return Result(errors={"reason": "Indiquez le motif du refus."})
    if len(reason) > REASON_MAX:
        return Result(errors={"reason": f"Le motif dépasse {REASON_MAX} caractères."})
    return Result(Refusal(reason))


def _required(form: dict[str, str], name: str, limit: int, missing: str, errors: dict[str, str]) -> str:
    value = _text(form, name)
    if not value:
        errors[name] = missing
    elif len(value) > limit:
        errors[name] = f"Ce champ dépasse {limit} caractères."
    return value


def validate_new_request(form: dict[str, str], channels: list[str]) -> Result[NewRequest]:
    errors: dict[str, str] = {}
    contractor_id = _text(form, "contractor_id")
    if not contractor_id:
        errors["contractor_id"] = "Choisissez un intervenant."
    title = _required(form, "title", TITLE_MAX, "Indiquez un titre.", errors)
    description = _required(form, "description", DESCRIPTION_MAX, "Décrivez l'intervention.", errors)
    site_address = _required(form, "site_address", ADDRESS_MAX, "Indiquez l'adresse du site.", errors)
    access_notes = _text(form, "access_notes")
    if len(access_notes) > ACCESS_NOTES_MAX:
        errors["access_notes"] = f"Ce champ dépasse {ACCESS_NOTES_MAX} caractères."
    urgency = _text(form, "urgency") or "normal"
    if urgency not in URGENCIES:
        errors["urgency"] = "Urgence inconnue."
    kind = _text(form, "request_kind") or "intervention"
    if kind not in ("intervention", "quote"):
        errors["request_kind"] = "Type de demande inconnu."
    chosen = tuple(c for c in CHANNELS if c in channels)
    if len(chosen) != len(set(channels)) or not chosen:
        errors["channels"] = "Choisissez au moins un canal : SMS ou e-mail."
    if errors:
        return Result(errors=errors)
    return Result(NewRequest(contractor_id, kind, title, description, site_address, access_notes, urgency, chosen))


MESSAGE_MAX = 5000
MESSAGE_MAX_FILES = 10
TOO_MANY_FILES = f"Pas plus de {MESSAGE_MAX_FILES} fichiers par message."


@dataclass(frozen=True)
class NewMessage:
    body: str
    files: tuple[tuple[str, str], ...]  # (S3 key, display name), checked against S3 before recording


def validate_message(body: str, keys: list[str], names: list[str]) -> Result[NewMessage]:
    text = body.strip()
    if len(text) > MESSAGE_MAX:
        return Result(errors={"body": f"Le message dépasse {MESSAGE_MAX} caractères."})
    if len(keys) > MESSAGE_MAX_FILES:
        return Result(errors={"files": TOO_MANY_FILES})
    if not text and not keys:
        return Result(errors={"body": "Écrivez un message ou joignez un fichier."})
    padded = names + [""] * (len(keys) - len(names))
    return Result(NewMessage(text, tuple(zip(keys, padded[: len(keys)], strict=True))))
