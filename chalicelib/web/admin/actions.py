"""What the manager does on a ticket: a message, and every action of the lifecycle (cancel, quotes,
end of work, close, read, reassign, resend, change owner). A double click or a race never writes twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from chalice.app import Response

from chalicelib.data import store
from chalicelib.domain import clock, tokens
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.admin.tickets import load_ticket, not_found, render_ticket_page
from chalicelib.web.session import signed_in

# Loaded by the first admin request, not by a contractor's (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.data import directory
    from chalicelib.domain import forms
    from chalicelib.usecases import auth, completion, conversation, manual_reminder, quotes, ticket_admin, tickets, urgency
else:
    auth, completion, conversation, quotes, ticket_admin, tickets = deferred.modules(
        "usecases.auth", "usecases.completion", "usecases.conversation", "usecases.quotes", "usecases.ticket_admin",
        "usecases.tickets")
    manual_reminder, urgency = deferred.modules("usecases.manual_reminder", "usecases.urgency")
    directory, forms = deferred.modules("data.directory", "domain.forms")

bp = http.Blueprint(__name__)


@bp.route("/admin/tickets/{ticket_id}/messages", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def send_message(session: auth.Session, ticket_id: str) -> Response:
    view = load_ticket(ticket_id)
    if view is None:
        return not_found(session)
    form = http.form(bp.current_request)
    form_id = form.get("form_id")
    values = {"body": form.get("body"), "files": http.file_pairs(form)}
    if not tokens.looks_like_secret(form_id):
        return render_ticket_page(session, view, 400, errors={"body": N_("Formulaire invalide, rechargez la page.")},
                                  values=values)
    try:
        conversation.send_message(view, tickets.manager_who(session.manager), form.get("body"),
                                  form.getlist("file_key"), form.getlist("file_name"), form_id, clock.now())
    except conversation.MessageRejected as rejected:
        values["files"] = http.file_pairs(form, rejected.files)
        return render_ticket_page(session, view, 400, errors=rejected.errors, values=values, file_errors=rejected.files)
    return http.redirect(f"/admin/tickets/{ticket_id}#events")


# "auth.Session" in quotes: this alias is evaluated at import, and auth loads on first use.
ManagerAction = Callable[[store.TicketView, "auth.Session", http.Form, str, datetime], Any]


def _reason(form: http.Form, required_for: Literal["rejection"] | None = None) -> str:
    checked = forms.validate_reason(form.as_dict(), required_for)
    if checked.value is None:
        raise _Invalid(checked.errors)
    return checked.value


class _Invalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


MANAGER_ACTIONS: dict[str, ManagerAction] = {
    "cancel": lambda v, s, f, sid, now: tickets.cancel_ticket(v, s.manager, _reason(f), sid, now),
    "request_quote": lambda v, s, f, sid, now: tickets.request_quote(v, s.manager, _reason(f), sid, now),
    "accept_quote": lambda v, s, f, sid, now: quotes.accept_quote(v, s.manager, sid, now),
    "reject_quote": lambda v, s, f, sid, now: quotes.reject_quote(v, s.manager, _reason(f, "rejection"), sid, now),
    "request_completion": lambda v, s, f, sid, now: completion.request_completion(v, s.manager, sid, now),
    "request_invoice": lambda v, s, f, sid, now: completion.request_invoice(v, s.manager, sid, now),
    "waive_invoice": lambda v, s, f, sid, now: completion.waive_invoice(v, s.manager, sid, now),
    "close": lambda v, s, f, sid, now: completion.close(v, s.manager, sid, now),
    "mark_read": lambda v, s, f, sid, now: ticket_admin.mark_read(v, s.manager, sid, now),
    "reassign": lambda v, s, f, sid, now: _reassign(v, s, f, sid, now),
    "reassign_quote": lambda v, s, f, sid, now: _reassign(v, s, f, sid, now),
    "resend": lambda v, s, f, sid, now: _resend(v, s, f, now),
    "change_owner": lambda v, s, f, sid, now: _change_owner(v, s, f, sid, now),
    "remind_now": lambda v, s, f, sid, now: _remind_now(v, s, f, sid, now),
    "change_urgency": lambda v, s, f, sid, now: _change_urgency(v, s, f, sid, now),
}


def _remind_now(view: store.TicketView, session: auth.Session, form: http.Form, submission_id: str, now: datetime) -> Any:
    try:
        return manual_reminder.remind_now(view, session.manager, form.get("note"), submission_id, now)
    except manual_reminder.TooSoon as exc:
        raise _Invalid({"note": N_("Une relance vient d'être envoyée : la suivante est possible 15 minutes après.")}) from exc


def _change_urgency(view: store.TicketView, session: auth.Session, form: http.Form, submission_id: str, now: datetime) -> Any:
    if form.get("urgency") == view.ticket.urgency:
        raise _Invalid({"urgency": N_("C'est déjà l'urgence du ticket.")})
    try:
        return urgency.replan_after_urgency_change(view, tickets.manager_who(session.manager), form.get("urgency"),
                                                   now=now, submission_id=submission_id)
    except ValueError as exc:
        raise _Invalid({"urgency": N_("Urgence inconnue.")}) from exc


def _change_owner(view: store.TicketView, session: auth.Session, form: http.Form, submission_id: str, now: datetime) -> Any:
    owner = directory.get_manager(form.get("manager_id")) if form.get("manager_id") else None
    try:
        if owner is None:
            raise ticket_admin.OwnerUnavailable(form.get("manager_id"))
        return ticket_admin.change_owner(view, session.manager, owner, submission_id, now)
    except ticket_admin.OwnerUnavailable as exc:
        raise _Invalid({"manager_id": N_("Choisissez un autre gestionnaire actif.")}) from exc


def _reassign(view: store.TicketView, session: auth.Session, form: http.Form, submission_id: str, now: datetime) -> Any:
    contractor = directory.get_contractor(form.get("contractor_id")) if form.get("contractor_id") else None
    if contractor is None or not contractor.active or contractor.contractor_id == view.ticket.contractor_id:
        raise _Invalid({"contractor_id": N_("Choisissez un autre intervenant actif.")})
    try:
        return ticket_admin.reassign(view, session.manager, contractor, submission_id, now)
    except tickets.ContractorUnavailable as exc:
        raise _Invalid({"contractor_id": N_("L'intervenant n'a pas de coordonnées pour le canal choisi.")}) from exc


def _resend(view: store.TicketView, session: auth.Session, form: http.Form, now: datetime) -> Any:
    try:
        return ticket_admin.resend(view, session.manager, form.get("notification_id"), now)
    except ticket_admin.NotResendable as exc:
        raise _Invalid({"notification_id": N_("Cette notification n'est pas en échec.")}) from exc


def _manager_action(session: auth.Session, ticket_id: str, action: str) -> Response:
    """Every manager action on a ticket; a double click or a race never writes twice."""
    run = MANAGER_ACTIONS.get(action)
    view = load_ticket(ticket_id)
    if view is None or run is None:
        return not_found(session)
    form = http.form(bp.current_request)
    form_id = form.get("form_id")
    if not tokens.looks_like_secret(form_id):
        return render_ticket_page(session, view, 400, errors={"reason": N_("Formulaire invalide, rechargez la page.")})
    try:
        if http.recorded(lambda: run(view, session, form, form_id, clock.now()), form_id):
            return http.redirect("/admin" if form.get("back") == "attention" else f"/admin/tickets/{ticket_id}")
    except _Invalid as invalid:
        return render_ticket_page(session, view, 400, errors={f"{action}_{k}": v for k, v in invalid.errors.items()})
    return render_ticket_page(session, store.load_ticket(ticket_id), 409,
                              notice=N_("Le ticket a changé entre-temps : votre action n'a pas été enregistrée. "
                                        "Voici son état actuel."))


@bp.route("/admin/tickets/{ticket_id}/actions/{action}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def ticket_action(session: auth.Session, ticket_id: str, action: str) -> Response:
    return _manager_action(session, ticket_id, action)


@bp.route("/admin/tickets/{ticket_id}/cancel", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def cancel_ticket(session: auth.Session, ticket_id: str) -> Response:
    return _manager_action(session, ticket_id, "cancel")
