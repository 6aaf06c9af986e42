"""How dates, states and amounts read on pages and in messages, in French or English."""

from __future__ import annotations

from datetime import date

from chalicelib import clock, i18n

_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

STATE_LABELS = {
    "sent": "Demande envoyée",
    "refused": "Refusée",
    "scheduled": "Planifiée",
    "on_site": "Sur place",
    "completion_requested": "Fin d'intervention demandée",
    "completed": "Terminée",
    "invoice_requested": "Facture demandée",
    "invoiced": "Facturée",
    "closed": "Clôturée",
    "cancelled": "Annulée",
    "quote_requested": "Devis demandé",
    "quote_submitted": "Devis envoyé",
    "quote_rejected": "Devis refusé",
}

URGENCY_LABELS = {"normal": "Normale", "urgent": "Urgente", "emergency": "Urgence absolue"}

EVENT_LABELS = {
    "created": "Demande envoyée",
    "accept": "Demande acceptée",
    "refuse": "Demande refusée",
    "cancel": "Ticket annulé",
    "notification_failed": "Échec d'envoi d'une notification",
    "message": "Message",
}

NOTIFICATION_LABELS = {
    "intervention_request": "Demande d'intervention",
    "quote_request": "Demande de devis",
    "cancelled": "Annulation",
    "manager_accepted": "Alerte : demande acceptée",
    "manager_refused": "Alerte : demande refusée",
    "manager_message": "Alerte : nouveau message",
    "message": "Nouveau message",
    "login_link": "Lien de connexion",
}


def filesize(size: int | float | None) -> str:
    """1 234 567 → '1,2 Mo' (French units: o, Ko, Mo)."""
    value = float(size or 0)
    for unit in ("o", "Ko", "Mo"):
        if value < 1024 or unit == "Mo":
            text = f"{value:.0f}" if unit == "o" else f"{value:.1f}".replace(".", ",")
            return f"{text} {unit}"
        value /= 1024
    return ""


def long_date(value: str | None, language: str = "fr") -> str:
    """'2026-12-01' → 'mardi 1 décembre 2026' (or 'Tuesday 1 December 2026')."""
    if not value:
        return ""
    lang = i18n.normalise(language)
    day = date.fromisoformat(value)
    return f"{_DAYS[lang][day.weekday()]} {day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def local_datetime(value: str | None) -> str:
    """A stored UTC instant, as people in France read it: '27/11/2026 08:15'."""
    if not value:
        return ""
    return clock.paris(clock.parse_iso(value)).strftime("%d/%m/%Y %H:%M")


LABELS = {"state": STATE_LABELS, "urgency": URGENCY_LABELS, "event": EVENT_LABELS, "notification": NOTIFICATION_LABELS}


def label(value: str, table: str, language: str = "fr") -> str:
    """A state, urgency, event or notification code, as people read it."""
    return i18n.translate(language, LABELS[table].get(value, value))
