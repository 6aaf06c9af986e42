"""The few static files (CSS, JS) the pages need, served from templates/static."""

from __future__ import annotations

import re

from chalice.app import Response

from chalicelib.i18n.rendering import TEMPLATES_DIR
from chalicelib.web import http

bp = http.Blueprint(__name__)

STATIC_DIR = TEMPLATES_DIR / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
# Our files' names only: a NUL or a name too long for the file system would raise, not miss.
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\.[a-z]{1,4}")


@bp.route("/static/{name}", methods=["GET"])
def static_file(name: str) -> Response:
    if not NAME.fullmatch(name):
        return Response(body="", status_code=404)
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve() or path.suffix not in TYPES or not path.is_file():
        return Response(body="", status_code=404)
    return Response(body=path.read_text(encoding="utf-8"), status_code=200,
                    headers={"Content-Type": TYPES[path.suffix], "Cache-Control": "public, max-age=3600"})
