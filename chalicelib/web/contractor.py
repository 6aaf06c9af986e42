"""The contractor's exchange form, behind the ticket's secret link. No account, no app.

GET and HEAD only read (mail scanners open links); every change is a POST carrying a
signed form token, which doubles as the idempotency key of that submission.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.aws.signing_keys import signer
from chalicelib.config import settings
from chalicelib.data import links, store, throttle
from chalicelib.domain import clock, lifecycle, tokens
from chalicelib.domain.agency import tel_uri
from chalicelib.domain.edits import unseen_changes
from chalicelib.domain.errors import FileRejected, LinkGone, LinkNotFound, MessageRejected
from chalicelib.domain.lifecycle import Actor, State
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http, not_found

# Behind the answers only: opening the link does not load them (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.aws import uploads
    from chalicelib.domain import forms
    from chalicelib.usecases import completion, conversation, quotes, site_visit, tickets
else:
    completion, conversation, quotes, site_visit, tickets = deferred.modules(
        "usecases.completion", "usecases.conversation", "usecases.quotes", "usecases.site_visit", "usecases.tickets")
    uploads, forms = deferred.modules("aws.uploads", "domain.forms")

bp = http.Blueprint(__name__)

TICKET_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
FORM_TOKEN_MAX_AGE = 7 * 24 * 3600


class _WrongLink(Exception):
    def __init__(self, status: int, language: str = "fr") -> None:
        self.status, self.language = status, language


def _open(ticket_id: str, secret: str) -> tuple[store.TicketView, str]:
    """The ticket behind a link, or _WrongLink(404/410/429). One Query when the link is right; a
    wrong one is answered at the same moment whether or not its ticket exists (throttle.py)."""
    now, started = clock.now(), time.monotonic()
    try:
        if not TICKET_ID.match(ticket_id) or not tokens.looks_like_secret(secret):
            raise LinkNotFound()
        view = links.open_ticket(ticket_id, secret, now)
    except LinkNotFound as exc:
        over_limit = throttle.record_wrong_link(http.client_address(bp.current_request), now, started)
        raise _WrongLink(429 if over_limit else 404) from exc
    except LinkGone as exc:  # the ticket is known here: answer in its contractor's language
        raise _WrongLink(410, exc.language) from exc
    return view, secret


def _wrong_link_page(status: int, language: str = "fr") -> Response:
    headers = {"Retry-After": "600"} if status == 429 else {}
    return http.html("contractor/link_error.html", language, status=status, headers=headers, status_code=status)


def _form_token(ticket_id: str, edits_seen: int = 0) -> str:
    """`e`: how many manager edits the form showed (chalicelib/usecases/edits.py)."""
    return signer().dumps("form", {"t": ticket_id, "f": tokens.new_random_secret(), "e": edits_seen})


def _token_data(ticket_id: str, token: str) -> dict[str, Any] | None:
    data = signer().loads("form", token, FORM_TOKEN_MAX_AGE)
    if isinstance(data, dict) and data.get("t") == ticket_id and isinstance(data.get("f"), str):
        return data
    return None


def _submission_id(ticket_id: str, token: str) -> str | None:
    """The form's id when its token is genuine, recent and for this ticket."""
    data = _token_data(ticket_id, token)
    return str(data["f"]) if data is not None else None


def _edited_since_shown(ticket: Any, token: str) -> bool:
    """The manager changed the request after this form was shown: the answer waits until the
    contractor has seen the change (a token from before edits were counted is not held up)."""
    data = _token_data(ticket.ticket_id, token) or {}
    return isinstance(data.get("e"), int) and int(ticket.edits or 0) > int(data["e"])


def behind_link(view_function: Callable[..., Response]) -> Callable[..., Response]:
    """Resolves the link before the view runs (the rest of the route's parameters follow): the one
    place where a wrong link, then or while the view runs, gets its page (404/410/429)."""

    @wraps(view_function)
    def wrapper(ticket_id: str, secret: str, **rest: str) -> Response:
        try:
            view, secret = _open(ticket_id, secret)
            return view_function(view, secret, **rest)
        except _WrongLink as wrong:
            return _wrong_link_page(wrong.status, wrong.language)

    return wrapper


def _contacts(ticket: Any) -> dict[str, str]:
    """Who the contractor deals with: the agency as the ticket recorded it (settings' default for a
    ticket older than agency profiles), the manager, and the number to call: the manager's own when
    they gave one (recorded on the ticket: still one Query), else the agency's."""
    default = settings().agency
    name, agency_phone = ticket.agency_name or default.name, ticket.agency_phone or default.phone
    phone = ticket.manager_phone or agency_phone
    return {"agency_name": name, "agency_phone": agency_phone, "phone": phone, "call_uri": tel_uri(phone),
            "manager_name": ticket.manager_name}


def _form_page(view: store.TicketView, secret: str, status: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, Any] | None = None, notice: str | None = None,
               file_errors: list[FileRejected] | None = None, section: str | None = None) -> Response:
    """The form; after a refused submission, `section` (the action that was sent) comes back open with
    its errors, and only it: the page sums them up at the top."""
    ticket = view.ticket
    state = State(ticket.state)
    return http.html(
        "contractor/form.html",
        ticket.contractor_language,
        status=status,
        ticket=ticket,
        step=lifecycle.contractor_step(state, presence_requested=bool(ticket.presence_requested_at)).value,
        thread=view.thread(for_contractor=True),
        base=f"/t/{ticket.ticket_id}/{secret}",
        token=lambda: _form_token(ticket.ticket_id, int(ticket.edits or 0)),  # one per form: each submission has its own id
        unseen=unseen_changes(view.thread(for_contractor=True)),
        errors=errors or {},
        values=values or {},
        notice=notice,
        file_errors=file_errors or [],
        section=section,
        today=clock.paris(clock.now()).date().isoformat(),
        contacts=_contacts(ticket),
        show_occupant=lifecycle.occupant_visible_to_contractor(state),
    )


@bp.route("/t/{ticket_id}/{secret}", methods=["GET", "HEAD"])
@behind_link
def show_form(view: store.TicketView, secret: str) -> Response:
    return _form_page(view, secret)


@bp.route("/t/{ticket_id}/{secret}/confirmation", methods=["GET", "HEAD"])
@behind_link
def show_confirmation(view: store.TicketView, secret: str) -> Response:
    # This contractor's own last answer: never what a previous contractor of the ticket wrote.
    answer = next((e for e in reversed(view.thread(for_contractor=True)) if e.actor == Actor.CONTRACTOR.value), None)
    return http.html("contractor/confirmation.html", view.ticket.contractor_language, ticket=view.ticket,
                     answer=answer, base=f"/t/{view.ticket.ticket_id}/{secret}")


class _Invalid(Exception):
    """The form comes back with these errors; nothing was recorded."""

    def __init__(self, errors: dict[str, str], files: list[FileRejected] | None = None) -> None:
        super().__init__(errors)
        self.errors, self.files = errors, files or []


Handler = Callable[[store.TicketView, http.Form, str, datetime], Any]
EDITED_MEANWHILE = N_("Le gestionnaire a modifié la demande pendant que vous répondiez : les changements sont surlignés. "
                      "Votre réponse n'a pas été enregistrée : vérifiez-la et validez à nouveau.")
CHANGED_MEANWHILE = N_("La demande a changé entre-temps et votre réponse n'a pas été enregistrée. Voici son état actuel.")


def _act(view: store.TicketView, secret: str, handler: Handler, section: str) -> Response:
    """One contractor action: token, forms, the use case; the same page for every outcome.

    A double click or a retry lands on the same confirmation; a ticket that moved on meanwhile
    (cancelled, already answered) comes back with its current state and nothing written."""
    ticket_id = view.ticket.ticket_id
    form = http.form(bp.current_request)
    values: dict[str, Any] = {k: v for k, v in form.as_dict().items() if k != "form_token"}
    submission_id = _submission_id(ticket_id, form.get("form_token"))
    if submission_id is None:
        return _form_page(view, secret, 400, {"form": N_("Le formulaire a expiré. Vérifiez vos réponses et validez à nouveau.")},
                          values, section=section)
    confirmation = http.redirect(f"/t/{ticket_id}/{secret}/confirmation")
    if _edited_since_shown(view.ticket, form.get("form_token")) and store.find_submission(submission_id) is None:
        return _form_page(view, secret, 409, values=values, notice=EDITED_MEANWHILE)
    try:
        if http.recorded(lambda: handler(view, form, submission_id, clock.now()), submission_id):
            return confirmation
    except _Invalid as invalid:
        if store.find_submission(submission_id) is not None:
            return confirmation  # an identical submission (double click) went through meanwhile
        for field in ("file", "quote", "proof", "invoice"):
            values[f"{field}_files"] = http.file_pairs(form, invalid.files, field)
        return _form_page(view, secret, 400, invalid.errors, values, file_errors=invalid.files, section=section)
    return _form_page(store.load_ticket(ticket_id), secret, 409, values=values, notice=CHANGED_MEANWHILE)


def _checked(result: forms.Result[Any]) -> Any:
    if not result.ok or result.value is None:
        raise _Invalid(result.errors)
    return result.value


def _stored(view: store.TicketView, pairs: list[tuple[str, str]],
            paperwork: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The files checked and copied in; those whose keys are in `paperwork` make one quote or invoice."""
    accepted, rejected = uploads.verify_all(view.ticket.ticket_id, pairs, paperwork, view.recorded_file_ids())
    if rejected:
        raise _Invalid({"files": N_("Certains fichiers n'ont pas été acceptés.")}, rejected)
    return [stored.as_dict() for stored in accepted]


def _answer(view: store.TicketView, form: http.Form, submission_id: str, now: datetime) -> Any:
    decision = form.get("decision")
    if decision == "accept":
        return tickets.accept_request(view, _checked(forms.validate_acceptance(form.as_dict(), now)), submission_id, now)
    if decision == "refuse":
        return tickets.refuse_request(view, _checked(forms.validate_reason(form.as_dict(), "refusal")), submission_id, now)
    raise _Invalid({"decision": N_("Choisissez : accepter ou refuser la demande.")})


def _quote(view: store.TicketView, form: http.Form, submission_id: str, now: datetime) -> Any:
    keys, names = form.getlist("quote_key"), form.getlist("quote_name")
    quote = _checked(forms.validate_quote(form.as_dict(), keys, names, clock.paris(now).date()))
    files = _stored(view, list(quote.files), frozenset(key for key, _ in quote.files))
    return quotes.submit_quote(view, quote, files, submission_id, now)


SAME_PLAN = N_("C'est déjà la date et l'heure prévues : choisissez-en d'autres.")


def _reschedule(view: store.TicketView, form: http.Form, submission_id: str, now: datetime) -> Any:
    acceptance = _checked(forms.validate_acceptance(form.as_dict(), now))
    planned = (view.ticket.planned_date, view.ticket.planned_time, view.ticket.planned_until or "")
    if (acceptance.planned_date, acceptance.planned_time, acceptance.planned_until) == planned:
        raise _Invalid({"planned_date": SAME_PLAN})  # nothing to tell the manager, no new calendar file
    return site_visit.reschedule(view, acceptance, submission_id, now)


def _presence(view: store.TicketView, form: http.Form, submission_id: str, now: datetime) -> Any:
    return site_visit.confirm_presence(view, submission_id, now)


def _late(view: store.TicketView, form: http.Form, submission_id: str, now: datetime) -> Any:
    late_until = _checked(forms.validate_late(form.as_dict(), view.ticket.late_until or view.ticket.planned_time))
    return site_visit.report_late(view, late_until, submission_id, now)


def _completion(view: store.TicketView, form: http.Form, submission_id: str, now: datetime) -> Any:
    proofs = list(zip(form.getlist("proof_key"), form.getlist("proof_name"), strict=False))
    invoice_keys, invoice_names = form.getlist("invoice_key"), form.getlist("invoice_name")
    done = _checked(forms.validate_completion(form.as_dict(), proofs, invoice_keys, invoice_names,
                                                   clock.paris(now).date()))
    invoice_pairs = list(done.invoice.files) if done.invoice else []
    files = _stored(view, proofs + invoice_pairs, frozenset(key for key, _ in invoice_pairs))
    return completion.complete(view, done, files[: len(proofs)], files[len(proofs):], submission_id, now)


def _invoice(view: store.TicketView, form: http.Form, submission_id: str, now: datetime) -> Any:
    invoice = _checked(forms.validate_invoice(form.as_dict(), form.getlist("invoice_key"), form.getlist("invoice_name")))
    files = _stored(view, list(invoice.files), frozenset(key for key, _ in invoice.files))
    return completion.submit_invoice(view, invoice, files, submission_id, now)


ACTIONS: dict[str, Handler] = {
    "answer": _answer, "quote": _quote, "reschedule": _reschedule, "presence": _presence, "late": _late,
    "completion": _completion, "invoice": _invoice,
}


@bp.route("/t/{ticket_id}/{secret}/{action}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@behind_link
def act(view: store.TicketView, secret: str, action: str) -> Response:
    """Every answer on the form: accept/refuse, quote, new date, presence, delay, end of work, invoice."""
    handler = ACTIONS.get(action)
    if handler is None:
        return not_found.page(view.ticket.contractor_language)
    return _act(view, secret, handler, action)


@bp.route("/t/{ticket_id}/{secret}/{action}", methods=["GET", "HEAD"])
@behind_link
def open_action(view: store.TicketView, secret: str, action: str) -> Response:
    """An answer's address opened as a page (copied after a refused answer) leads to the form; any
    other address behind the link is not found, in the contractor's language."""
    if action not in ACTIONS:
        return not_found.page(view.ticket.contractor_language)
    return http.redirect(f"/t/{view.ticket.ticket_id}/{secret}")


@bp.route("/t/{ticket_id}/{secret}/uploads", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@behind_link
def presign_upload(view: store.TicketView, secret: str) -> Response:
    """Where the browser may put one file (JSON). Changes nothing: the file counts once sent."""
    form = http.form(bp.current_request)
    if _submission_id(view.ticket.ticket_id, form.get("form_token")) is None:
        return http.json_error(N_("Le formulaire a expiré. Rechargez la page."), view.ticket.contractor_language, 403)
    return http.presign_response(view.ticket.ticket_id, form, view.ticket.contractor_language,
                                 f"link:{view.ticket.ticket_id}")


@bp.route("/t/{ticket_id}/{secret}/uploads/check", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@behind_link
def check_upload(view: store.TicketView, secret: str) -> Response:
    """The server's check of one file as soon as its upload ends (JSON): where it is, its size, what its
    bytes are, and for a quote's or an invoice's page a PDF or a photo. A refused file is deleted and
    the page says why on its line; a sent form checks every file again (uploads.verify_all)."""
    form = http.form(bp.current_request)
    language = view.ticket.contractor_language
    if _submission_id(view.ticket.ticket_id, form.get("form_token")) is None:
        return http.json_error(N_("Le formulaire a expiré. Rechargez la page."), language, 403)
    try:
        checked = uploads.verify(view.ticket.ticket_id, form.get("key"), form.get("name"), view.recorded_file_ids(),
                                 paperwork=form.get("paperwork") == "1")
    except FileRejected as rejected:  # a verdict, not a failed request (which browsers log as an error)
        from chalicelib import i18n

        return Response(body={"accepted": False, "reason": i18n.translate(language, rejected.reason)}, status_code=200)
    return Response(body={"accepted": True, "name": checked.stored.name}, status_code=200)


@bp.route("/t/{ticket_id}/{secret}/messages", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@behind_link
def send_message(view: store.TicketView, secret: str) -> Response:
    ticket_id = view.ticket.ticket_id
    form = http.form(bp.current_request)
    values: dict[str, Any] = {"body": form.get("body"), "files": http.file_pairs(form)}
    submission_id = _submission_id(ticket_id, form.get("form_token"))
    if submission_id is None:
        expired = {"message": N_("Le formulaire a expiré. Vérifiez votre message et envoyez-le à nouveau.")}
        return _form_page(view, secret, 400, expired, values, section="messages")
    try:  # read again after a conflict through the link itself: a reassignment meanwhile revoked it
        conversation.send_message(view, tickets.contractor_of(view), form.get("body"), form.getlist("file_key"),
                                  form.getlist("file_name"), submission_id, clock.now(),
                                  reopen=lambda _: _open(ticket_id, secret)[0])
    except _WrongLink as wrong:
        return _wrong_link_page(wrong.status, wrong.language)
    except MessageRejected as rejected:
        values["files"] = http.file_pairs(form, rejected.files)
        return _form_page(view, secret, 400, rejected.errors, values, file_errors=rejected.files, section="messages")
    return http.redirect(f"/t/{ticket_id}/{secret}/confirmation")


@bp.route("/t/{ticket_id}/{secret}/files/{file_id}", methods=["GET"])
@behind_link
def download(view: store.TicketView, secret: str, file_id: str) -> Response:
    return http.file_redirect(view.thread(for_contractor=True), file_id)
