"""How dates, states and amounts read on pages and in messages, in French or English."""

from __future__ import annotations

from datetime import date

from chalicelib import i18n
from chalicelib.domain import clock

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
    "reminder": "Relance de la demande",
    "answer_overdue": "Alerte : pas de réponse",
    "presence_check": "Demande de confirmation de présence",
    "presence_overdue": "Alerte : présence non confirmée",
    "confirm_presence": "Présence sur place confirmée",
    "report_late": "Retard annoncé",
    "reschedule": "Date d'intervention modifiée",
    "request_quote": "Devis demandé",
    "submit_quote": "Devis envoyé",
    "accept_quote": "Devis accepté",
    "reject_quote": "Devis refusé",
    "request_completion": "Fin d'intervention demandée",
    "completion_request": "Fin d'intervention demandée",
    "complete": "Fin d'intervention confirmée",
    "complete_with_invoice": "Fin d'intervention confirmée avec facture",
    "request_invoice": "Facture demandée",
    "invoice_request": "Facture demandée",
    "invoice_overdue": "Alerte : facture manquante",
    "submit_invoice": "Facture envoyée",
    "waive_invoice": "Facture non nécessaire",
    "close": "Ticket clôturé",
    "email_bounced": "E-mail non distribué",
    "reassign": "Confié à un autre intervenant",
    "change_owner": "Confié à un autre gestionnaire",
    "notification_resent": "Notification renvoyée",
}

NOTIFICATION_LABELS = {
    "intervention_request": "Demande d'intervention",
    "quote_request": "Demande de devis",
    "cancelled": "Annulation",
    "manager_accepted": "Alerte : demande acceptée",
    "manager_refused": "Alerte : demande refusée",
    "manager_message": "Alerte : nouveau message",
    "message": "Nouveau message",
    "accepted": "Confirmation d'acceptation (.ics)",
    "manager_alert": "Alerte gestionnaire",
    "presence_check": "Confirmation de présence",
    "completion_request": "Demande de fin d'intervention",
    "invoice_request": "Demande de facture",
    "quote_accepted": "Devis accepté",
    "quote_rejected": "Devis refusé",
    "reminder": "Planification : relance",
    "answer_overdue": "Planification : alerte sans réponse",
    "presence_overdue": "Planification : alerte présence",
    "completion_offer": "Planification : fin d'intervention",
    "invoice_overdue": "Planification : alerte facture",
    "delete": "Planification : suppression",
    "login_link": "Lien de connexion",
}

# A glyph per kind of event, so the timeline reads at a glance (decorative: the label says it all).
EVENT_ICONS = {
    "created": "📨", "accept": "✅", "refuse": "⛔", "cancel": "✖", "message": "💬", "reminder": "🔔",
    "answer_overdue": "⚠", "presence_check": "📍", "presence_overdue": "⚠", "confirm_presence": "📍", "report_late": "⏱",
    "reschedule": "📅", "request_quote": "🧾", "submit_quote": "🧾", "accept_quote": "✅", "reject_quote": "⛔",
    "request_completion": "🏁", "completion_request": "🏁", "complete": "🏁", "complete_with_invoice": "🏁",
    "request_invoice": "💶", "invoice_request": "💶", "invoice_overdue": "⚠", "submit_invoice": "💶", "waive_invoice": "💶",
    "close": "🔒", "notification_failed": "⚠", "email_bounced": "⚠", "notification_resent": "🔁",
    "reassign": "🔀", "change_owner": "🔀",
}

# What a contractor is asked at each step (SMS, email subject and button).
STEP_HEADLINES = {
    "presence_check": ("Confirmez votre présence sur place", "Je suis sur place"),
    "completion_request": ("Confirmez la fin de l'intervention", "Confirmer la fin d'intervention"),
    "invoice_request": ("Envoyez votre facture", "Envoyer votre facture"),
    "quote_accepted": ("Votre devis est accepté : indiquez la date et l'heure d'intervention", "Indiquer la date et l'heure"),
    "quote_rejected": ("Votre devis n'a pas été retenu", "Voir les détails"),
}

# What the manager is told, by what happened ({name} is the contractor).
ALERT_HEADLINES = {
    "answer_overdue": "Pas de réponse de {name} à la demande",
    "presence_overdue": "{name} n'a pas confirmé sa présence sur place",
    "invoice_overdue": "Facture de {name} toujours manquante malgré les relances",
    "reschedule": "{name} a changé la date d'intervention",
    "confirm_presence": "{name} est sur place",
    "report_late": "{name} sera en retard",
    "complete": "{name} a terminé l'intervention",
    "complete_with_invoice": "{name} a terminé l'intervention et envoyé sa facture",
    "submit_invoice": "{name} a envoyé sa facture",
    "submit_quote": "{name} a envoyé un devis",
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


def money(value: str | float | None, language: str = "fr") -> str:
    """'1500.00' → '1 500,00 €' in French, '€1,500.00' in English."""
    if value in (None, ""):
        return ""
    amount = float(str(value))
    if i18n.normalise(language) == "en":
        return f"€{amount:,.2f}"
    return f"{amount:,.2f} €".replace(",", "\u202f").replace(".", ",")


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


TIMER_LABELS = {
    "reminder": "Relance de l'intervenant",
    "answer_overdue": "Alerte si toujours sans réponse",
    "presence_check": "Demande de confirmation de présence",
    "presence_overdue": "Alerte si présence non confirmée",
    "completion_offer": "Demande de fin d'intervention",
    "invoice_request": "Demande de facture",
    "invoice_overdue": "Alerte si facture toujours manquante",
}

LABELS = {"timer": TIMER_LABELS, "state": STATE_LABELS, "urgency": URGENCY_LABELS, "event": EVENT_LABELS,
          "notification": NOTIFICATION_LABELS}


def label(value: str, table: str, language: str = "fr") -> str:
    """A state, urgency, event or notification code, as people read it."""
    return i18n.translate(language, LABELS[table].get(value, value))
