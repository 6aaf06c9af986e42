"""The manager's admin pages: sign-in by emailed link, ticket list, new request, ticket page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from chalice import Blueprint
from chalice.app import Response

from chalicelib.aws.signing_keys import signer
from chalicelib.config import settings
from chalicelib.data import store, throttle
from chalicelib.domain import clock, ids, lifecycle, tokens
from chalicelib.domain.errors import (
    AlreadySubmitted,
    Conflict,
    ContractorUnavailable,
    LoginLinkInvalid,
    MessageRejected,
    NotFound,
    NotResendable,
    OwnerUnavailable,
)
from chalicelib.domain.lifecycle import Actor, State
from chalicelib.web import deferred, http

# Loaded by the first admin request, not by a contractor's (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.aws import uploads
    from chalicelib.data import directory, listing
    from chalicelib.domain import forms
    from chalicelib.usecases import auth, completion, conversation, planning, quotes, ticket_admin, tickets
else:
    auth, completion, conversation, planning, quotes, ticket_admin, tickets = deferred.modules(
        "usecases.auth", "usecases.completion", "usecases.conversation", "usecases.planning", "usecases.quotes",
        "usecases.ticket_admin", "usecases.tickets")
    directory, listing, uploads, forms = deferred.modules("data.directory", "data.listing", "aws.uploads", "domain.forms")

bp = Blueprint(__name__)

LOGIN_PATH = "/admin/login"
# Where a signed-out manager was going (a ticket opened from an alert email): back there after
# signing in, when the login link is opened in the same browser.
NEXT_COOKIE = "relais_next"
NEXT_MAX_AGE = 15 * 60
_NEXT_PATH = re.compile(r"/admin(?:/[A-Za-z0-9_-]+)*(?:\?[A-Za-z0-9_=&%.-]*)?")


def _session() -> auth.Session | None:
    return auth.session_from_cookie(http.cookie(bp.current_request, auth.session_cookie_name()))


def _login_form(status: int = 200, email: str = "", errors: dict[str, str] | None = None, notice: str | None = None,
                headers: dict[str, str] | None = None) -> Response:
    """The sign-in form, wherever it shows. Its page lets the browser name this site in the POST's
    `Origin` (with the `no-referrer` every other page sends, a form's POST says `Origin: null`)."""
    return http.html("admin/login.html", status=status, session=None, errors=errors or {}, email=email, notice=notice,
                     login_url=settings().base_url + LOGIN_PATH, login_limit=throttle.LOGIN_EMAILS_PER_ADDRESS,
                     headers={"Referrer-Policy": "same-origin", **(headers or {})})


def _from_this_site(request: Any) -> bool:
    """The POST was sent by a page of this site: its `Origin` (or, from a browser that sends none,
    the origin of its `Referer`) is the app's. A form on another site cannot ask for sign-in emails."""
    headers = request.headers or {}
    origin = headers.get("origin")
    if origin is None and headers.get("referer"):
        try:
            parts = urlsplit(headers["referer"])
        except ValueError:  # not a URL at all ("http://[")
            return False
        origin = f"{parts.scheme}://{parts.netloc}"
    base = urlsplit(settings().base_url)
    return origin is not None and origin.lower() == f"{base.scheme}://{base.netloc}".lower()


def signed_in(view: Callable[..., Response]) -> Callable[..., Response]:
    """Pages redirect to the login page without a session; every POST also checks CSRF."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        session = _session()
        request = bp.current_request
        if session is None:
            if request.method == "GET":
                going = request.path.format(**(request.uri_params or {}))  # the route, filled in: same locally and on AWS
                query = urlencode(dict(request.query_params or {}))
                target = f"{going}?{query}" if query else going
                remember = ({"Set-Cookie": http.set_cookie_header(NEXT_COOKIE, quote(target, safe=""), NEXT_MAX_AGE,
                                                                  settings().secure_cookies, path=LOGIN_PATH)}
                            if _NEXT_PATH.fullmatch(target) else {})
                return http.redirect(LOGIN_PATH, 302, headers=remember)
            if request.path.endswith("/uploads"):  # asked by upload.js: it reads JSON
                return Response(body={"error": "authentication required"}, status_code=401)
            # A form sent after the session ended: say so on a page, not in JSON.
            return _login_form(401, notice="Votre session a expiré : connectez-vous à nouveau. Ce que vous veniez "
                                           "d'envoyer n'a pas été enregistré.")
        if request.method == "POST":
            if not auth.csrf_valid(session, http.form(request).get("csrf")):
                return http.html("admin/error.html", session.manager.language, status=403, session=None,
                                 message="Jeton de sécurité invalide. Rechargez la page et réessayez.")
        return view(session, *args, **kwargs)

    return wrapper


def admin_page(session: auth.Session, template: str, status: int = 200, **context: Any) -> Response:
    """A signed-in page: the manager's language, the session and its CSRF token (also for people.py)."""
    return http.html(template, session.manager.language, status=status, session=session,
                     csrf=auth.csrf_token(session), **context)


# -- sign-in ---------------------------------------------------------------------------------

@bp.route(LOGIN_PATH, methods=["GET"])
def login_page() -> Response:
    return _login_form()


LOGIN_LIMITED = ("Trop de liens de connexion demandés pour cette adresse ou depuis votre connexion : réessayez dans "
                 "un quart d'heure. Un lien déjà reçu reste valable 15 minutes.")


@bp.route(LOGIN_PATH, methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
def request_login() -> Response:
    request = bp.current_request
    email = http.form(request).get("email").strip()
    if not _from_this_site(request):
        return _login_form(403, email[:254], notice="Ce formulaire n'a pas été envoyé depuis la page de connexion de "
                                                    "Relais. Ouvrez {url} et demandez votre lien depuis cette page.")
    if "@" not in email or len(email) > 254:
        return _login_form(400, email, {"email": "Indiquez une adresse e-mail valide."})
    # Same answers whether or not the address is known (same page, same work, same limit): the
    # page reveals no accounts.
    if not auth.request_login_link(email, http.client_address(request), clock.now()):
        return _login_form(429, email, notice=LOGIN_LIMITED, headers={"Retry-After": "900"})
    return http.html("admin/login_sent.html", session=None)


@bp.route(LOGIN_PATH + "/{secret}", methods=["GET"])
def confirm_login_page(secret: str) -> Response:
    token = auth.usable_login_link(secret, clock.now())
    if token is None:
        return http.html("admin/login_invalid.html", status=410, session=None)
    manager = directory.get_manager(token.manager_id)  # the page in the language of the one who asked
    return http.html("admin/login_confirm.html", manager.language if manager else "fr", session=None, secret=secret)


@bp.route(LOGIN_PATH + "/{secret}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
def login(secret: str) -> Response:
    try:
        session = auth.consume_login_link(secret, clock.now())
    except LoginLinkInvalid:
        return http.html("admin/login_invalid.html", status=410, session=None)
    cookie = http.set_cookie_header(auth.session_cookie_name(), auth.session_cookie_value(session),
                                    int(auth.SESSION_LIFETIME.total_seconds()), settings().secure_cookies)
    remembered = http.cookie(bp.current_request, NEXT_COOKIE)
    if remembered is None:
        return http.redirect("/admin", headers={"Set-Cookie": cookie})
    going = unquote(remembered)
    forget = http.set_cookie_header(NEXT_COOKIE, "", 0, settings().secure_cookies, path=LOGIN_PATH)  # used once
    return http.redirect(going if _NEXT_PATH.fullmatch(going) else "/admin", headers={"Set-Cookie": [cookie, forget]})


@bp.route("/admin/logout", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def logout(session: auth.Session) -> Response:
    auth.end_session(session)
    cookie = http.set_cookie_header(auth.session_cookie_name(), "", 0, settings().secure_cookies)
    return http.redirect(LOGIN_PATH, headers={"Set-Cookie": cookie})


# -- tickets ---------------------------------------------------------------------------------

@bp.route("/admin", methods=["GET"])
@signed_in
def home(session: auth.Session) -> Response:
    """À traiter: what needs this manager, grouped by reason, with counts (one Query)."""
    groups = listing.attention_for(session.manager.manager_id)
    return admin_page(session, "admin/attention.html", groups=groups, total=sum(len(items) for items in groups.values()))


CURSOR_MAX_AGE = 24 * 3600


def _cursor(token: str) -> dict[str, Any] | None:
    value = signer().loads("cursor", token, CURSOR_MAX_AGE) if token else None
    return value if isinstance(value, dict) else None


@bp.route("/admin/tickets", methods=["GET"])
@signed_in
def ticket_list(session: auth.Session) -> Response:
    """Every ticket, most recent activity first, filtered and paginated through the activity index."""
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    owner = query.get("owner", session.manager.manager_id)
    filters = listing.Filters(
        state=query.get("state", "") if query.get("state", "") in {s.value for s in State} else "",
        contractor_id=query.get("contractor", ""), owner_id="" if owner == "all" else owner,
        updated_from=query.get("from", ""), updated_to=query.get("to", ""), reference=query.get("ref", "").strip(),
    )
    backwards = bool(query.get("before"))
    page = listing.tickets_page(filters, _cursor(query.get("before") or query.get("after", "")), backwards)
    cursors = signer()
    base = {k: v for k, v in query.items() if k not in ("after", "before")}
    next_url = (f"/admin/tickets?{urlencode({**base, 'after': cursors.dumps('cursor', page.next_cursor)})}"
                if page.next_cursor else "")
    previous_url = (f"/admin/tickets?{urlencode({**base, 'before': cursors.dumps('cursor', page.previous_cursor)})}"
                    if page.previous_cursor else "")
    return admin_page(session, "admin/tickets.html", tickets=page.items, filters=filters, owner=owner, next_url=next_url,
                 previous_url=previous_url, states=[s.value for s in State], contractors=directory.contractor_choices(),
                 managers=directory.manager_choices())


DRAFT_MAX_AGE = 24 * 3600


def _draft_token(session: auth.Session) -> str:
    """A new request's id, chosen when the form opens: files uploaded before "Créer" go under it."""
    return signer().dumps("draft", {"t": ids.new_id(), "m": session.manager.manager_id})


def _draft_ticket_id(session: auth.Session, token: str) -> str | None:
    data = signer().loads("draft", token, DRAFT_MAX_AGE)
    if isinstance(data, dict) and data.get("m") == session.manager.manager_id and isinstance(data.get("t"), str):
        return str(data["t"])
    return None


def _new_ticket_page(session: auth.Session, status: int = 200, errors: dict[str, str] | None = None,
                     values: dict[str, Any] | None = None, file_errors: list[Any] | None = None) -> Response:
    contractors = [c for c in directory.list_contractors() if c.active]
    values = values or {}
    return admin_page(session, "admin/new_ticket.html", status=status, contractors=contractors, errors=errors or {},
                 values=values, draft=values.get("draft") or _draft_token(session), file_errors=file_errors or [])


@bp.route("/admin/drafts/uploads", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def presign_draft_upload(session: auth.Session) -> Response:
    form = http.form(bp.current_request)
    ticket_id = _draft_ticket_id(session, form.get("draft"))
    if ticket_id is None:
        return http.json_error("Le formulaire a expiré. Rechargez la page.", session.manager.language, 403)
    return http.presign_response(ticket_id, form, session.manager.language, f"manager:{session.manager.manager_id}")


@bp.route("/admin/tickets/new", methods=["GET"])
@signed_in
def new_ticket(session: auth.Session) -> Response:
    return _new_ticket_page(session)


@bp.route("/admin/tickets", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def create_ticket(session: auth.Session) -> Response:
    form = http.form(bp.current_request)
    values: dict[str, Any] = {**form.as_dict(), "channels": form.getlist("channels"), "files": http.file_pairs(form)}
    ticket_id = _draft_ticket_id(session, form.get("draft"))
    if ticket_id is None:
        values.pop("draft", None)
        return _new_ticket_page(session, 400, {"form": "Le formulaire a expiré. Vérifiez la demande et créez-la à nouveau."},
                                values)
    if store.find_submission(ticket_id) is not None:  # a double click: the first one created it
        return http.redirect(f"/admin/tickets/{ticket_id}")
    contractor = directory.get_contractor(form.get("contractor_id")) if form.get("contractor_id") else None
    channels = form.getlist("channels") or ([str(c) for c in contractor.channels] if contractor else [])
    checked = forms.validate_new_request(form.as_dict(), channels)
    errors = dict(checked.errors)
    if form.get("contractor_id") and (contractor is None or not contractor.active):
        errors["contractor_id"] = "Cet intervenant n'existe pas ou a été désactivé."
    attached = list(zip(form.getlist("file_key"), form.getlist("file_name"), strict=False))
    if len(attached) > forms.MESSAGE_MAX_FILES:
        errors["files"] = forms.TOO_MANY_FILES
    if errors or checked.value is None or contractor is None:
        return _new_ticket_page(session, 400, errors, values)
    accepted, rejected = uploads.verify_all(ticket_id, attached)  # a new ticket has no recorded files yet
    if rejected:
        values["files"] = http.file_pairs(form, rejected)
        return _new_ticket_page(session, 400, {"files": "Certains fichiers n'ont pas été acceptés."}, values, rejected)
    try:
        tickets.create_request(session.manager, contractor, checked.value, clock.now(), ticket_id, ticket_id,
                               [f.as_dict() for f in accepted])
    except ContractorUnavailable:
        errors["channels"] = "L'intervenant n'a pas de coordonnées pour le canal choisi."
        return _new_ticket_page(session, 400, errors, values)
    except (AlreadySubmitted, Conflict):
        pass  # the same draft was created by a concurrent click
    return http.redirect(f"/admin/tickets/{ticket_id}")


def _load_owned(ticket_id: str) -> store.TicketView | None:
    if not ids.looks_valid(ticket_id):
        return None
    try:
        return store.load_ticket(ticket_id)
    except NotFound:
        return None


def _ticket_page(session: auth.Session, view: store.TicketView, status: int = 200, notice: str | None = None,
                 errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                 file_errors: list[Any] | None = None) -> Response:
    state = State(view.ticket.state)
    timers = [{"step": t.step, "at_iso": clock.iso(t.at)}
              for t in sorted(planning.wanted(view.ticket, settings().timers).values(), key=lambda t: t.at)]
    actions = [a.value for a in lifecycle.allowed_actions(state, Actor.MANAGER)]
    return admin_page(session, "admin/ticket.html", status=status, view=view, ticket=view.ticket, timers=timers,
                 actions=actions,
                 notice=notice, errors=errors or {}, values=values or {}, file_errors=file_errors or [],
                 form_id=tokens.new_random_secret(), message_form_id=tokens.new_random_secret(),
                 link_days=settings().link_lifetime_days_after_close,
                 new_form_id=tokens.new_random_secret,
                 contractors=directory.contractor_choices() if {"reassign", "reassign_quote"} & set(actions) else [],
                 managers=directory.manager_choices() if "change_owner" in actions else [])


@bp.route("/admin/tickets/{ticket_id}", methods=["GET"])
@signed_in
def ticket_page(session: auth.Session, ticket_id: str) -> Response:
    view = _load_owned(ticket_id)
    if view is None:
        return admin_page(session, "admin/error.html", status=404, message="Ticket introuvable.")
    return _ticket_page(session, view)


@bp.route("/admin/tickets/{ticket_id}/uploads", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def presign_upload(session: auth.Session, ticket_id: str) -> Response:
    if _load_owned(ticket_id) is None:
        return http.json_error("Ticket introuvable.", session.manager.language, 404)
    return http.presign_response(ticket_id, http.form(bp.current_request), session.manager.language,
                                 f"manager:{session.manager.manager_id}")


@bp.route("/admin/tickets/{ticket_id}/messages", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def send_message(session: auth.Session, ticket_id: str) -> Response:
    view = _load_owned(ticket_id)
    if view is None:
        return admin_page(session, "admin/error.html", status=404, message="Ticket introuvable.")
    form = http.form(bp.current_request)
    form_id = form.get("form_id")
    values = {"body": form.get("body"), "files": http.file_pairs(form)}
    if not tokens.looks_like_secret(form_id):
        return _ticket_page(session, view, 400, errors={"body": "Formulaire invalide, rechargez la page."}, values=values)
    try:
        conversation.send_message(view, lambda _: tickets.manager_who(session.manager), form.get("body"),
                                  form.getlist("file_key"), form.getlist("file_name"), form_id, clock.now())
    except MessageRejected as rejected:
        values["files"] = http.file_pairs(form, rejected.files)
        return _ticket_page(session, view, 400, errors=rejected.errors, values=values, file_errors=rejected.files)
    return http.redirect(f"/admin/tickets/{ticket_id}#events")


@bp.route("/admin/tickets/{ticket_id}/files/{file_id}", methods=["GET"])
@signed_in
def download(session: auth.Session, ticket_id: str, file_id: str) -> Response:
    view = _load_owned(ticket_id)
    if view is None:
        return Response(body="", status_code=404)
    return http.file_redirect(view.thread(for_contractor=False), file_id)


# "auth.Session" in quotes: this alias is evaluated at import, and auth loads on first use.
ManagerAction = Callable[[store.TicketView, "auth.Session", http.Form, str, datetime], Any]


def _optional_reason(form: http.Form) -> str:
    reason = form.get("reason").strip()
    if len(reason) > forms.REASON_MAX:
        raise _Invalid({"reason": "Le motif est trop long."})
    return reason


def _required_reason(form: http.Form) -> str:
    checked = forms.validate_reason(form.as_dict())
    if not checked.ok or checked.value is None:
        raise _Invalid(checked.errors)
    return checked.value


class _Invalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


MANAGER_ACTIONS: dict[str, ManagerAction] = {
    "cancel": lambda v, s, f, sid, now: tickets.cancel_ticket(v, s.manager, _optional_reason(f), sid, now),
    "request_quote": lambda v, s, f, sid, now: tickets.request_quote(v, s.manager, _optional_reason(f), sid, now),
    "accept_quote": lambda v, s, f, sid, now: quotes.accept_quote(v, s.manager, sid, now),
    "reject_quote": lambda v, s, f, sid, now: quotes.reject_quote(v, s.manager, _required_reason(f), sid, now),
    "request_completion": lambda v, s, f, sid, now: completion.request_completion(v, s.manager, sid, now),
    "request_invoice": lambda v, s, f, sid, now: completion.request_invoice(v, s.manager, sid, now),
    "waive_invoice": lambda v, s, f, sid, now: completion.waive_invoice(v, s.manager, sid, now),
    "close": lambda v, s, f, sid, now: completion.close(v, s.manager, sid, now),
    "mark_read": lambda v, s, f, sid, now: ticket_admin.mark_read(v, s.manager, sid, now),
    "reassign": lambda v, s, f, sid, now: _reassign(v, s, f, sid, now),
    "reassign_quote": lambda v, s, f, sid, now: _reassign(v, s, f, sid, now),
    "resend": lambda v, s, f, sid, now: _resend(v, s, f, now),
    "change_owner": lambda v, s, f, sid, now: _change_owner(v, s, f, sid, now),
}


def _change_owner(view: store.TicketView, session: auth.Session, form: http.Form, submission_id: str, now: datetime) -> Any:
    owner = directory.get_manager(form.get("manager_id")) if form.get("manager_id") else None
    try:
        if owner is None:
            raise OwnerUnavailable(form.get("manager_id"))
        return ticket_admin.change_owner(view, session.manager, owner, submission_id, now)
    except OwnerUnavailable as exc:
        raise _Invalid({"manager_id": "Choisissez un autre gestionnaire actif."}) from exc


def _reassign(view: store.TicketView, session: auth.Session, form: http.Form, submission_id: str, now: datetime) -> Any:
    contractor = directory.get_contractor(form.get("contractor_id")) if form.get("contractor_id") else None
    if contractor is None or not contractor.active or contractor.contractor_id == view.ticket.contractor_id:
        raise _Invalid({"contractor_id": "Choisissez un autre intervenant actif."})
    try:
        return ticket_admin.reassign(view, session.manager, contractor, submission_id, now)
    except ContractorUnavailable as exc:
        raise _Invalid({"contractor_id": "L'intervenant n'a pas de coordonnées pour le canal choisi."}) from exc


def _resend(view: store.TicketView, session: auth.Session, form: http.Form, now: datetime) -> Any:
    try:
        return ticket_admin.resend(view, session.manager, form.get("notification_id"), now)
    except NotResendable as exc:
        raise _Invalid({"notification_id": "Cette notification n'est pas en échec."}) from exc


def _manager_action(session: auth.Session, ticket_id: str, action: str) -> Response:
    """Every manager action on a ticket; a double click or a race never writes twice."""
    run = MANAGER_ACTIONS.get(action)
    view = _load_owned(ticket_id)
    if view is None or run is None:
        return admin_page(session, "admin/error.html", status=404, message="Ticket introuvable.")
    form = http.form(bp.current_request)
    form_id = form.get("form_id")
    if not tokens.looks_like_secret(form_id):
        return _ticket_page(session, view, 400, errors={"reason": "Formulaire invalide, rechargez la page."})
    try:
        if http.recorded(lambda: run(view, session, form, form_id, clock.now()), form_id):
            return http.redirect(f"/admin/tickets/{ticket_id}")
    except _Invalid as invalid:
        return _ticket_page(session, view, 400, errors={f"{action}_{k}": v for k, v in invalid.errors.items()})
    return _ticket_page(session, store.load_ticket(ticket_id), 409,
                        notice="Le ticket a changé entre-temps : votre action n'a pas été enregistrée. Voici son état actuel.")


@bp.route("/admin/tickets/{ticket_id}/actions/{action}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def ticket_action(session: auth.Session, ticket_id: str, action: str) -> Response:
    return _manager_action(session, ticket_id, action)


@bp.route("/admin/tickets/{ticket_id}/cancel", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def cancel_ticket(session: auth.Session, ticket_id: str) -> Response:
    return _manager_action(session, ticket_id, "cancel")
