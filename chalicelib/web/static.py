"""The few static files (CSS, JS, the icon) the pages need, served from templates/static."""

from __future__ import annotations

import re
from pathlib import Path

from chalice.app import Response

from chalicelib.i18n.rendering import TEMPLATES_DIR
from chalicelib.web import http, not_found

bp = http.Blueprint(__name__)

STATIC_DIR = TEMPLATES_DIR / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
# Our files' names only: a NUL or a name too long for the file system would raise, not miss.
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\.[a-z]{1,4}")


@bp.route("/static/{name}", methods=["GET"])
def static_file(name: str) -> Response:
    if not NAME.fullmatch(name):
        return not_found.page(not_found.browser_language(bp.current_request))
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve() or path.suffix not in TYPES or not path.is_file():
        return not_found.page(not_found.browser_language(bp.current_request))
    return _served(path)


@bp.route("/favicon.ico", methods=["GET", "HEAD"])
def favicon() -> Response:
    """What browsers ask for by themselves: the pages' icon. SVG, text: API Gateway passes it as it is
    (a binary .ico would need binary media types, which the Accept header of a browser does not match)."""
    return _served(STATIC_DIR / "favicon.svg")


def _served(path: Path) -> Response:
    return Response(body=path.read_text(encoding="utf-8"), status_code=200,
                    headers={"Content-Type": TYPES[path.suffix], "Cache-Control": "public, max-age=3600"})
