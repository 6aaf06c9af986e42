"""How dates, states and amounts read on pages and in messages, in French or English."""

from __future__ import annotations

from datetime import date

from chalicelib import i18n
from chalicelib.domain import clock
from chalicelib.domain.text import N_

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
    "sent": N_("Demande envoyée"),
    "refused": N_("Refusée"),
    "scheduled": N_("Planifiée"),
    "on_site": N_("Sur place"),
    "completion_requested": N_("Fin d'intervention demandée"),
    "completed": N_("Terminée"),
    "invoice_requested": N_("Facture demandée"),
    "invoiced": N_("Facturée"),
    "closed": N_("Clôturée"),
    "cancelled": N_("Annulée"),
    "quote_requested": N_("Devis demandé"),
    "quote_submitted": N_("Devis envoyé"),
    "quote_rejected": N_("Devis refusé"),
}

URGENCY_LABELS = {"normal": N_("Normale"), "urgent": N_("Urgente"), "emergency": N_("Urgence absolue")}

EVENT_LABELS = {
    "created": N_("Demande envoyée"),
    "accept": N_("Demande acceptée"),
    "refuse": N_("Demande refusée"),
    "cancel": N_("Ticket annulé"),
    "notification_failed": N_("Échec d'envoi d'une notification"),
    "message": N_("Message"),
    "reminder": N_("Relance de la demande"),
    "answer_overdue": N_("Alerte : pas de réponse"),
    "presence_check": N_("Demande de confirmation de présence"),
    "presence_overdue": N_("Alerte : présence non confirmée"),
    "confirm_presence": N_("Présence sur place confirmée"),
    "report_late": N_("Retard annoncé"),
    "reschedule": N_("Date d'intervention modifiée"),
    "request_quote": N_("Devis demandé"),
    "submit_quote": N_("Devis envoyé"),
    "accept_quote": N_("Devis accepté"),
    "reject_quote": N_("Devis refusé"),
    "request_completion": N_("Fin d'intervention demandée"),
    "completion_request": N_("Fin d'intervention demandée"),
    "complete": N_("Fin d'intervention confirmée"),
    "complete_with_invoice": N_("Fin d'intervention confirmée avec facture"),
    "request_invoice": N_("Facture demandée"),
    "invoice_request": N_("Facture demandée"),
    "invoice_overdue": N_("Alerte : facture manquante"),
    "submit_invoice": N_("Facture envoyée"),
    "waive_invoice": N_("Facture non nécessaire"),
    "close": N_("Ticket clôturé"),
    "email_bounced": N_("E-mail non distribué"),
    "reassign": N_("Confié à un autre intervenant"),
    "change_owner": N_("Confié à un autre gestionnaire"),
    "notification_resent": N_("Notification renvoyée"),
    "email_held": N_("E-mail retenu"),
    "email_refused": N_("Réponse par e-mail refusée (lien révoqué ou ticket clos) : le numéro de l'agence lui a été donné"),
}

# Why an emailed reply was held for the manager instead of joining the thread (usecases/inbound_mail.py).
HELD_LABELS = {
    "unknown_sender": N_("Reçu d'une adresse inconnue"),
    "unauthenticated": N_("Expéditeur non authentifié par son domaine (SPF, DKIM, DMARC)"),
    "spam": N_("Signalé comme indésirable"),
    "too_large": N_("Trop volumineux pour être lu"),
    "too_many_parts": N_("Trop de parties pour être lu"),
    "too_deep": N_("Trop imbriqué pour être lu"),
}

NOTIFICATION_LABELS = {
    "intervention_request": N_("Demande d'intervention"),
    "quote_request": N_("Demande de devis"),
    "cancelled": N_("Annulation"),
    "manager_accepted": N_("Alerte : demande acceptée"),
    "manager_refused": N_("Alerte : demande refusée"),
    "manager_message": N_("Alerte : nouveau message"),
    "message": N_("Nouveau message"),
    "accepted": N_("Confirmation d'acceptation (.ics)"),
    "manager_alert": N_("Alerte gestionnaire"),
    "presence_check": N_("Confirmation de présence"),
    "completion_request": N_("Demande de fin d'intervention"),
    "invoice_request": N_("Demande de facture"),
    "quote_accepted": N_("Devis accepté"),
    "quote_rejected": N_("Devis refusé"),
    "reminder": N_("Planification : relance"),
    "answer_overdue": N_("Planification : alerte sans réponse"),
    "presence_overdue": N_("Planification : alerte présence"),
    "completion_offer": N_("Planification : fin d'intervention"),
    "invoice_overdue": N_("Planification : alerte facture"),
    "delete": N_("Planification : suppression"),
    "login_link": N_("Lien de connexion"),
    "manager_held_email": N_("Alerte : e-mail retenu"),
    "reply_refused": N_("Réponse automatique : lien expiré"),
}

# A glyph per kind of event, so the timeline reads at a glance (decorative: the label says it all).
EVENT_ICONS = {
    "created": "📨", "accept": "✅", "refuse": "⛔", "cancel": "✖", "message": "💬", "reminder": "🔔",
    "answer_overdue": "⚠", "presence_check": "📍", "presence_overdue": "⚠", "confirm_presence": "📍", "report_late": "⏱",
    "reschedule": "📅", "request_quote": "🧾", "submit_quote": "🧾", "accept_quote": "✅", "reject_quote": "⛔",
    "request_completion": "🏁", "completion_request": "🏁", "complete": "🏁", "complete_with_invoice": "🏁",
    "request_invoice": "💶", "invoice_request": "💶", "invoice_overdue": "⚠", "submit_invoice": "💶", "waive_invoice": "💶",
    "close": "🔒", "notification_failed": "⚠", "email_bounced": "⚠", "notification_resent": "🔁",
    "reassign": "🔀", "change_owner": "🔀", "email_held": "✉", "email_refused": "↩",
}

# What a contractor is asked at each step (SMS, email subject and button).
STEP_HEADLINES = {
    "presence_check": (N_("Confirmez votre présence sur place"), N_("Je suis sur place")),
    "completion_request": (N_("Confirmez la fin de l'intervention"), N_("Confirmer la fin d'intervention")),
    "invoice_request": (N_("Envoyez votre facture"), N_("Envoyer votre facture")),
    "quote_accepted": (N_("Votre devis est accepté : indiquez la date et l'heure d'intervention"),
                       N_("Indiquer la date et l'heure")),
    "quote_rejected": (N_("Votre devis n'a pas été retenu"), N_("Voir les détails")),
}

# What the manager is told, by what happened ({name} is the contractor).
ALERT_HEADLINES = {
    "answer_overdue": N_("Pas de réponse de {name} à la demande"),
    "presence_overdue": N_("{name} n'a pas confirmé sa présence sur place"),
    "invoice_overdue": N_("Facture de {name} toujours manquante malgré les relances"),
    "reschedule": N_("{name} a changé la date d'intervention"),
    "confirm_presence": N_("{name} est sur place"),
    "report_late": N_("{name} sera en retard"),
    "complete": N_("{name} a terminé l'intervention"),
    "complete_with_invoice": N_("{name} a terminé l'intervention et envoyé sa facture"),
    "submit_invoice": N_("{name} a envoyé sa facture"),
    "submit_quote": N_("{name} a envoyé un devis"),
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
    "reminder": N_("Relance de l'intervenant"),
    "answer_overdue": N_("Alerte si toujours sans réponse"),
    "presence_check": N_("Demande de confirmation de présence"),
    "presence_overdue": N_("Alerte si présence non confirmée"),
    "completion_offer": N_("Demande de fin d'intervention"),
    "invoice_request": N_("Demande de facture"),
    "invoice_overdue": N_("Alerte si facture toujours manquante"),
}

LABELS = {"timer": TIMER_LABELS, "state": STATE_LABELS, "urgency": URGENCY_LABELS, "event": EVENT_LABELS,
          "notification": NOTIFICATION_LABELS, "held": HELD_LABELS}


def label(value: str, table: str, language: str = "fr") -> str:
    """A state, urgency, event or notification code, as people read it."""
    return i18n.translate(language, LABELS[table].get(value, value))
