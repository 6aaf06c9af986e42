"""The contractor's exchange form, behind the ticket's secret link. No account, no app.

GET and HEAD only read (mail scanners open links); every change is a POST carrying a
signed form token, which doubles as the idempotency key of that submission.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib import clock, conversation, lifecycle, links, store, throttle, tickets, tokens, uploads, validation
from chalicelib.keys import signing_key
from chalicelib.lifecycle import Actor, NotAllowed, State
from chalicelib.web import http

bp = Blueprint(__name__)

TICKET_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
FORM_TOKEN_MAX_AGE = 7 * 24 * 3600


class _WrongLink(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _open(ticket_id: str, secret: str) -> tuple[store.TicketView, str]:
    """The ticket behind a link, or _WrongLink(404/410/429). One Query when the link is right."""
    now = clock.now()
    try:
        if not TICKET_ID.match(ticket_id) or not tokens.looks_like_secret(secret):
            raise links.LinkNotFound()
        view = store.load_ticket(ticket_id)
        links.resolve(view, secret, now)
    except (store.NotFound, links.LinkNotFound) as exc:
        over_limit = throttle.record_wrong_link(http.client_address(bp.current_request), now)
        raise _WrongLink(429 if over_limit else 404) from exc
    except links.LinkGone as exc:
        raise _WrongLink(410) from exc
    return view, secret


def _wrong_link_page(status: int) -> Response:
    headers = {"Retry-After": "600"} if status == 429 else {}
    return http.html("contractor/link_error.html", "fr", status=status, headers=headers, status_code=status)


def _form_token(ticket_id: str) -> str:
    return tokens.SignedTokens(signing_key()).dumps("form", {"t": ticket_id, "f": tokens.new_random_secret()})


def _submission_id(ticket_id: str, token: str) -> str | None:
    """The form's id when its token is genuine, recent and for this ticket."""
    data = tokens.SignedTokens(signing_key()).loads("form", token, FORM_TOKEN_MAX_AGE)
    if isinstance(data, dict) and data.get("t") == ticket_id and isinstance(data.get("f"), str):
        return str(data["f"])
    return None


def behind_link(view_function: Callable[..., Response]) -> Callable[..., Response]:
    """Resolves the link before the view runs; wrong links get their page (404/410/429)."""

    @wraps(view_function)
    def wrapper(ticket_id: str, secret: str) -> Response:
        try:
            view, secret = _open(ticket_id, secret)
        except _WrongLink as wrong:
            return _wrong_link_page(wrong.status)
        return view_function(view, secret)

    return wrapper


def _form_page(view: store.TicketView, secret: str, status: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, Any] | None = None, notice: str | None = None,
               file_errors: list[uploads.FileRejected] | None = None) -> Response:
    ticket = view.ticket
    state = State(ticket.state)
    return http.html(
        "contractor/form.html",
        ticket.contractor_language,
        status=status,
        ticket=ticket,
        step=lifecycle.contractor_step(state).value,
        thread=view.thread(for_contractor=True),
        base=f"/t/{ticket.ticket_id}/{secret}",
        form_token=_form_token(ticket.ticket_id),
        message_token=_form_token(ticket.ticket_id),
        errors=errors or {},
        values=values or {},
        notice=notice,
        file_errors=file_errors or [],
        today=clock.paris(clock.now()).date().isoformat(),
    )


@bp.route("/t/{ticket_id}/{secret}", methods=["GET", "HEAD"])
@behind_link
def show_form(view: store.TicketView, secret: str) -> Response:
    return _form_page(view, secret)


@bp.route("/t/{ticket_id}/{secret}/confirmation", methods=["GET", "HEAD"])
@behind_link
def show_confirmation(view: store.TicketView, secret: str) -> Response:
    answer = next((e for e in reversed(view.events) if e.actor == Actor.CONTRACTOR.value), None)
    return http.html("contractor/confirmation.html", view.ticket.contractor_language, ticket=view.ticket,
                     answer=answer, base=f"/t/{view.ticket.ticket_id}/{secret}")


@bp.route("/t/{ticket_id}/{secret}/answer", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@behind_link
def answer_request(view: store.TicketView, secret: str) -> Response:
    ticket_id = view.ticket.ticket_id
    form = http.form(bp.current_request)
    values = form.as_dict()
    values.pop("form_token", None)
    submission_id = _submission_id(ticket_id, form.get("form_token"))
    if submission_id is None:
        expired = {"form": "Le formulaire a expiré. Vérifiez vos réponses et validez à nouveau."}
        return _form_page(view, secret, 400, expired, values)
    decision = form.get("decision")
    now = clock.now()
    confirmation = http.redirect(f"/t/{ticket_id}/{secret}/confirmation")
    try:
        if decision == "accept":
            accepted = validation.validate_acceptance(values, now)
            if not accepted.ok or accepted.value is None:
                return _form_page(view, secret, 400, accepted.errors, values)
            tickets.accept_request(view, accepted.value, submission_id, now)
        elif decision == "refuse":
            refused = validation.validate_refusal(values)
            if not refused.ok or refused.value is None:
                return _form_page(view, secret, 400, refused.errors, values)
            tickets.refuse_request(view, refused.value, submission_id, now)
        else:
            return _form_page(view, secret, 400, {"decision": "Choisissez : accepter ou refuser la demande."}, values)
    except store.AlreadySubmitted:
        return confirmation
    except (NotAllowed, store.Conflict):
        if store.find_submission(submission_id) is not None:
            return confirmation  # an identical submission won the race: same answer, same page
        fresh = store.load_ticket(ticket_id)
        return _form_page(fresh, secret, 409, values=values,
                          notice="La demande a changé entre-temps et votre réponse n'a pas été enregistrée. "
                                 "Voici son état actuel.")
    return confirmation


@bp.route("/t/{ticket_id}/{secret}/uploads", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@behind_link
def presign_upload(view: store.TicketView, secret: str) -> Response:
    """Where the browser may put one file (JSON). Changes nothing: the file counts once sent."""
    form = http.form(bp.current_request)
    if _submission_id(view.ticket.ticket_id, form.get("form_token")) is None:
        return http.json_error("Le formulaire a expiré. Rechargez la page.", view.ticket.contractor_language, 403)
    return http.presign_response(view.ticket.ticket_id, form, view.ticket.contractor_language)


@bp.route("/t/{ticket_id}/{secret}/messages", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@behind_link
def send_message(view: store.TicketView, secret: str) -> Response:
    ticket_id = view.ticket.ticket_id
    form = http.form(bp.current_request)
    values: dict[str, Any] = {"body": form.get("body"), "files": http.file_pairs(form)}
    submission_id = _submission_id(ticket_id, form.get("form_token"))
    if submission_id is None:
        expired = {"message": "Le formulaire a expiré. Vérifiez votre message et envoyez-le à nouveau."}
        return _form_page(view, secret, 400, expired, values)
    try:
        conversation.send_message(ticket_id, tickets.contractor_of, form.get("body"), form.getlist("file_key"),
                                  form.getlist("file_name"), submission_id, clock.now())
    except conversation.MessageRejected as rejected:
        values["files"] = http.file_pairs(form, rejected.files)
        return _form_page(view, secret, 400, rejected.errors, values, file_errors=rejected.files)
    return http.redirect(f"/t/{ticket_id}/{secret}/confirmation")


@bp.route("/t/{ticket_id}/{secret}/files/{file_id}", methods=["GET"])
def download(ticket_id: str, secret: str, file_id: str) -> Response:
    try:
        view, secret = _open(ticket_id, secret)
    except _WrongLink as wrong:
        return _wrong_link_page(wrong.status)
    return http.file_redirect(view.thread(for_contractor=True), file_id)
