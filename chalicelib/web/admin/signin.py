"""Sign-in by emailed link: the address asked for, the link sent, the link confirmed by a POST
(mail scanners only GET), then back to the page the manager was going to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from chalice.app import Response

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.session import LOGIN_PATH, NEXT_COOKIE, is_place_to_land, login_form

# Loaded by the first admin request, not by a contractor's (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.data import directory
    from chalicelib.domain import forms
    from chalicelib.usecases import auth
else:
    auth, directory, forms = deferred.modules("usecases.auth", "data.directory", "domain.forms")

bp = http.Blueprint(__name__)

LOGIN_LIMITED = N_("Trop de liens de connexion demandés pour cette adresse ou depuis votre connexion : réessayez dans "
                   "un quart d'heure. Un lien déjà reçu reste valable 15 minutes.")


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


@bp.route(LOGIN_PATH, methods=["GET"])
def login_page() -> Response:
    return login_form()


@bp.route(LOGIN_PATH, methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
def request_login() -> Response:
    request = bp.current_request
    email = http.form(request).get("email").strip()
    if not _from_this_site(request):
        return login_form(403, email[:forms.CONTACT_INPUT_MAX],
                          notice=N_("Ce formulaire n'a pas été envoyé depuis la page de connexion de Relais. "
                                 "Ouvrez {url} et demandez votre lien depuis cette page."))
    checked = forms.validate_login_email(email)
    if checked.value is None:
        return login_form(400, email, checked.errors)
    # Same answers whether or not the address is known (same page, same work, same limit): the
    # page reveals no accounts.
    if not auth.request_login_link(email, http.client_address(request), clock.now()):
        return login_form(429, email, notice=LOGIN_LIMITED, headers={"Retry-After": "900"})
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
    except auth.LoginLinkInvalid:
        return http.html("admin/login_invalid.html", status=410, session=None)
    cookie = http.set_cookie_header(auth.session_cookie_name(), auth.session_cookie_value(session),
                                    int(auth.SESSION_LIFETIME.total_seconds()), settings().secure_cookies)
    remembered = http.cookie(bp.current_request, NEXT_COOKIE)
    if remembered is None:
        return http.redirect("/admin", headers={"Set-Cookie": cookie})
    going = unquote(remembered)
    forget = http.set_cookie_header(NEXT_COOKIE, "", 0, settings().secure_cookies, path=LOGIN_PATH)  # used once
    return http.redirect(going if is_place_to_land(going) else "/admin", headers={"Set-Cookie": [cookie, forget]})
