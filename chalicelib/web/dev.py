"""Developer pages of the local stage (a mail catcher for SMS and email). 404 elsewhere."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Response

from chalicelib.config import settings
from chalicelib.web import http

bp = Blueprint(__name__)

NOT_FOUND = Response(body={"error": "not found"}, status_code=404)


@bp.route("/dev/outbox", methods=["GET"])
def outbox_page() -> Response:
    if not settings().is_local:
        return NOT_FOUND
    from chalicelib import dev_outbox  # local stage only: never loaded in the cloud

    return http.html("dev/outbox.html", messages=dev_outbox.all_messages())


@bp.route("/dev/outbox.json", methods=["GET"])
def outbox_json() -> Response:
    if not settings().is_local:
        return NOT_FOUND
    from chalicelib import dev_outbox

    fields = ("channel", "to", "subject", "body", "links", "sent_at")
    listing = [{**{k: m.get(k) for k in fields}, "attachments": m.get("attachments", [])} for m in dev_outbox.all_messages()]
    return Response(body=listing, status_code=200)
