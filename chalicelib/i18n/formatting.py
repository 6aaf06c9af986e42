"""How dates, states and amounts read on pages and in messages, in French or English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

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

# The state as the contractor reads it on the form: what is expected of them, not the manager's view.
# (A planned intervention says its date: "Intervention prévue le …", written by the page.)
CONTRACTOR_STATE_LABELS = {
    "sent": N_("À répondre"),
    "quote_requested": N_("À répondre"),
    "quote_submitted": N_("Devis envoyé"),
    "quote_rejected": N_("Devis non retenu"),
    "scheduled": N_("Intervention prévue"),
    "on_site": N_("Sur place"),
    "completion_requested": N_("Fin d'intervention à déclarer"),
    "completed": N_("Facture attendue"),
    "invoice_requested": N_("Facture attendue"),
    "invoiced": N_("Facture envoyée"),
    "closed": N_("Terminée"),
    "refused": N_("Refusée"),
    "cancelled": N_("Annulée"),
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
    "edit": N_("Demande modifiée"),
    "occupant_absent": N_("L'occupant sera absent"),
    "occupant_reminder": N_("Rappel envoyé à l'occupant"),
    "remind_now": N_("Relance envoyée par le gestionnaire"),
    "change_urgency": N_("Urgence modifiée"),
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
    "request_edited": N_("Modification de la demande"),
    "occupant_planned": N_("Occupant : date d'intervention"),
    "occupant_rescheduled": N_("Occupant : nouvelle date"),
    "occupant_reminder": N_("Occupant : rappel la veille"),
    "occupant_cancelled": N_("Occupant : annulation"),
    "manager_digest": N_("Résumé quotidien"),
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
    "reassign": "🔀", "change_owner": "🔀", "edit": "✏", "occupant_absent": "🏠", "occupant_reminder": "🏠",
    "remind_now": "🔔", "change_urgency": "⏫", "email_held": "✉", "email_refused": "↩",
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
    "occupant_absent": N_("L'occupant a signalé qu'il sera absent"),
    "delivery_failed": N_("Un message à {name} n'a pas pu être envoyé"),
}


def filesize(size: int | float | None, language: str = "fr") -> str:
    """1 234 567 → '1,2 Mo' in French (octets: o, Ko, Mo), '1.2 MB' in English (B, KB, MB)."""
    value = float(size or 0)
    units = ("B", "KB", "MB") if language == "en" else ("o", "Ko", "Mo")
    for unit in units:
        if value < 1024 or unit == units[-1]:
            text = f"{value:.0f}" if unit == units[0] else f"{value:.1f}"
            return f"{text if language == 'en' else text.replace('.', ',')} {unit}"
        value /= 1024
    return ""


def money(value: str | float | None, language: str = "fr") -> str:
    """'1500.00' → '1 500,00 €' in French, '€1,500.00' in English."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))  # never a float: amounts are exact to the cent
    except InvalidOperation:
        return str(value)
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


def day_and_hour(day: str | None, hour: str | None, language: str = "fr", until: str | None = None) -> str:
    """'2026-12-01', '08:30' → 'mardi 1 décembre à 8 h 30' (or 'Tuesday 1 December at 8:30'), and with
    a window's end 'mardi 1 décembre entre 8 h et 10 h': short enough for an SMS, without the year."""
    if not day:
        return ""
    lang = i18n.normalise(language)
    when = date.fromisoformat(day)
    text = f"{_DAYS[lang][when.weekday()]} {when.day} {_MONTHS[lang][when.month - 1]}"
    if not hour:
        return text
    start = _clock_time(hour, lang)
    if until:
        end = _clock_time(until, lang)
        return f"{text} between {start} and {end}" if lang == "en" else f"{text} entre {start} et {end}"
    return f"{text} at {start}" if lang == "en" else f"{text} à {start}"


AT_TIME = N_("{date} à {time}")
IN_WINDOW = N_("{date} entre {start} et {end}")


def _clock_time(value: str, language: str) -> str:
    """'08:00' → '8 h' and '08:30' → '8 h 30' as French write a window; '8:00' in English."""
    hours, minutes = int(value[:2]), value[3:5]
    if i18n.normalise(language) == "en":
        return f"{hours}:{minutes}"
    return f"{hours} h" if minutes == "00" else f"{hours} h {minutes}"


def planned(day: str | None, start: str | None, until: str | None = None, language: str = "fr") -> str:
    """When the intervention is planned: 'mardi 1 décembre 2026 à 14:30', or a window:
    'mardi 1 décembre 2026 entre 8 h et 10 h'. Every page, message and alert says it this way."""
    if not day or not start:
        return ""
    if until:
        return i18n.translate(language, IN_WINDOW, date=long_date(day, language), start=_clock_time(start, language),
                              end=_clock_time(until, language))
    return i18n.translate(language, AT_TIME, date=long_date(day, language), time=start)


def planned_of(source: object, language: str = "fr") -> str:
    """`planned` of a ticket, an event's data or a message's parameters (an object or a dict)."""
    def read(name: str) -> str | None:
        value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
        return str(value) if value else None

    return planned(read("planned_date"), read("planned_time"), read("planned_until"), language)


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
    "occupant_reminder": N_("Rappel à l'occupant (la veille, 18 h)"),
    "digest": N_("Résumé quotidien des alertes"),
}

# What a manager's edit changed, as the contractor is told ("Modification de la demande : nouvel accès").
EDITED_LABELS = {
    "title": N_("nouveau titre"), "description": N_("nouvelle description"), "site_address": N_("nouvelle adresse"),
    "access_notes": N_("nouvel accès"), "urgency": N_("nouvelle urgence"), "files": N_("nouveaux fichiers"),
}

LABELS = {"timer": TIMER_LABELS, "edited": EDITED_LABELS, "state": STATE_LABELS, "contractor_state": CONTRACTOR_STATE_LABELS,
          "urgency": URGENCY_LABELS, "event": EVENT_LABELS, "notification": NOTIFICATION_LABELS,
          "held": HELD_LABELS}


def label(value: str, table: str, language: str = "fr") -> str:
    """A state, urgency, event or notification code, as people read it."""
    return i18n.translate(language, LABELS[table].get(value, value))
