"""The manager's alerts: their kinds, and whether one goes by email at once or waits for the
morning digest. Pure on purpose: the dispatcher asks it for every manager alert it is about to send.

Each manager chooses per kind; what they did not choose takes the default: at once for messages and
delivery failures, the digest for the rest. On top of the choices, one switch (on unless turned off)
sends at once refusals and anything about an urgent or emergency ticket.
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.text import N_


class Delivery(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


# kind -> (label, default)
KINDS: dict[str, tuple[str, Delivery]] = {
    "answers": (N_("Réponses aux demandes (acceptation, refus)"), Delivery.DIGEST),
    "messages": (N_("Messages des intervenants, absences signalées par les occupants"), Delivery.IMMEDIATE),
    "quotes": (N_("Devis reçus"), Delivery.DIGEST),
    "presence": (N_("Présence sur place (confirmée, retard, date changée, non confirmée)"), Delivery.DIGEST),
    "end_of_work": (N_("Fins d'intervention"), Delivery.DIGEST),
    "invoices": (N_("Factures (reçues, toujours manquantes)"), Delivery.DIGEST),
    "delivery_failures": (N_("Messages non distribués"), Delivery.IMMEDIATE),
    "unanswered": (N_("Demandes restées sans réponse"), Delivery.DIGEST),
}

# What each alert is, by its template or, for the shared "manager_alert", by what happened.
_BY_TEMPLATE = {"manager_accepted": "answers", "manager_refused": "answers", "manager_message": "messages"}
_BY_ALERT = {
    "submit_quote": "quotes",
    "confirm_presence": "presence", "report_late": "presence", "reschedule": "presence", "presence_overdue": "presence",
    "complete": "end_of_work", "complete_with_invoice": "end_of_work",
    "submit_invoice": "invoices", "invoice_overdue": "invoices",
    "delivery_failed": "delivery_failures",
    "occupant_absent": "messages",  # "Je serai absent": someone wrote, as a contractor's message
    "answer_overdue": "unanswered",
}
URGENT_LEVELS = frozenset({"urgent", "emergency"})
ALWAYS_AT_ONCE_TEMPLATES = frozenset({"manager_refused"})


def kind_of(template: str, alert: str | None) -> str | None:
    """The kind of a manager alert; None for what is not an alert (a sign-in link, the digest itself)."""
    return _BY_TEMPLATE.get(template) or (_BY_ALERT.get(alert or "") if template == "manager_alert" else None)


def delivery(kind: str | None, template: str, urgency: str | None, choices: dict[str, str],
             urgent_at_once: bool = True) -> Delivery:
    """How this alert reaches the manager. Anything that is no known kind goes at once."""
    if kind is None:
        return Delivery.IMMEDIATE
    if urgent_at_once and (urgency in URGENT_LEVELS or template in ALWAYS_AT_ONCE_TEMPLATES):
        return Delivery.IMMEDIATE
    chosen = choices.get(kind)
    return Delivery(chosen) if chosen in set(Delivery) else KINDS[kind][1]


def checked_choices(form: dict[str, str]) -> dict[str, str]:
    """The preferences form, kept to known kinds and values (anything else: the default)."""
    return {kind: form[kind] for kind in KINDS if form.get(kind) in set(Delivery)}
