"""The manager's session in the pages: the check every admin page passes (`signed_in`, with CSRF
on every POST), the frame of a signed-in page (`admin_page`), the sign-in form a signed-out
manager lands on, and signing out. Shared by web/admin/ and web/people.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from chalice.app import Response

from chalicelib.config import settings
from chalicelib.data import throttle
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http

# Loaded by the first admin request, not by a contractor's (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.usecases import auth
else:
    (auth,) = deferred.modules("usecases.auth")

# Signing out is here; the routes only read the app's current request through it, like any blueprint.
bp = http.Blueprint(__name__)

LOGIN_PATH = "/admin/login"
# Where a signed-out manager was going (a ticket opened from an alert email): back there after
# signing in, when the login link is opened in the same browser.
NEXT_COOKIE = "relais_next"
NEXT_MAX_AGE = 15 * 60
_NEXT_PATH = re.compile(r"/admin(?:/[A-Za-z0-9_-]+)*(?:\?[A-Za-z0-9_=&%.-]*)?")


def is_place_to_land(target: str) -> bool:
    """An admin page of this site (path and plain query only): never another site, never a script."""
    return _NEXT_PATH.fullmatch(target) is not None


def login_form(status: int = 200, email: str = "", errors: dict[str, str] | None = None, notice: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """The sign-in form, wherever it shows. Its page lets the browser name this site in the POST's
    `Origin` (with the `no-referrer` every other page sends, a form's POST says `Origin: null`)."""
    return http.html("admin/login.html", status=status, session=None, errors=errors or {}, email=email, notice=notice,
                     login_url=settings().base_url + LOGIN_PATH, login_limit=throttle.LOGIN_EMAILS_PER_ADDRESS,
                     headers={"Referrer-Policy": "same-origin", **(headers or {})})


def _session() -> auth.Session | None:
    return auth.session_from_cookie(http.cookie(bp.current_request, auth.session_cookie_name()))


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
                            if is_place_to_land(target) else {})
                return http.redirect(LOGIN_PATH, 302, headers=remember)
            if request.path.endswith("/uploads"):  # asked by upload.js: it reads JSON
                return Response(body={"error": "authentication required"}, status_code=401)
            # A form sent after the session ended: say so on a page, not in JSON.
            return login_form(401, notice=N_("Votre session a expiré : connectez-vous à nouveau. Ce que vous veniez "
                                          "d'envoyer n'a pas été enregistré."))
        if request.method == "POST":
            if not auth.csrf_valid(session, http.form(request).get("csrf")):
                return http.html("admin/error.html", session.manager.language, status=403, session=None,
                                 message=N_("Jeton de sécurité invalide. Rechargez la page et réessayez."))
        return view(session, *args, **kwargs)

    return wrapper


def admin_page(session: auth.Session, template: str, status: int = 200, **context: Any) -> Response:
    """A signed-in page: the manager's language, the session and its CSRF token."""
    return http.html(template, session.manager.language, status=status, session=session,
                     csrf=auth.csrf_token(session), **context)


@bp.route("/admin/logout", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def logout(session: auth.Session) -> Response:
    auth.end_session(session)
    cookie = http.set_cookie_header(auth.session_cookie_name(), "", 0, settings().secure_cookies)
    return http.redirect(LOGIN_PATH, headers={"Set-Cookie": cookie})
