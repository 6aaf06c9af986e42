"""Any path no page answers: an HTML 404 in the reader's language, never API Gateway's JSON.

On AWS, the greedy `/{proxy+}` route receives every path no other resource matches (API Gateway
prefers the most specific resource); a known path asked with a method it does not have gets API
Gateway's own MISSING_AUTHENTICATION_TOKEN answer, which infra/template.yml turns into the same page
(bilingual there: API Gateway cannot read the browser's language). `chalice local` and the test
client match no greedy route: chalicelib/dev/greedy_routes.py teaches them, as API Gateway does.
"""

from __future__ import annotations

from chalice.app import Request, Response

from chalicelib.web import http

bp = http.Blueprint(__name__)

GREEDY = "/{proxy+}"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def browser_language(request: Request | None) -> str:
    """English when the browser puts English before French, else French (the product's language)."""
    header = str(request.headers.get("accept-language") or "") if request is not None and request.headers else ""
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in ("fr", "en"):
            return tag
    return "fr"


def page(language: str) -> Response:
    return http.html("not_found.html", language, status=404)


@bp.route(GREEDY, methods=METHODS, content_types=["*/*"])  # whatever was sent: the answer is the same
def unknown_path() -> Response:
    return page(browser_language(bp.current_request))
