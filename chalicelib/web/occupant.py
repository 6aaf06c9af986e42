"""The occupant's read-only page, behind their own link: the date, the company, and one button,
"Je serai absent", that tells the manager. Nothing on it acts on the ticket's request.

GET and HEAD only read (one Query, like the contractor's form); the button is a POST carrying a
signed token, which doubles as the idempotency key of that submission.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.aws.signing_keys import signer
from chalicelib.data import links, occupant_links, store, throttle
from chalicelib.domain import clock, tokens
from chalicelib.domain.errors import AbsenceLimited, LinkGone, LinkNotFound
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.contractor import FORM_TOKEN_MAX_AGE, TICKET_ID

if TYPE_CHECKING:
    from chalicelib.domain import occupants as occupant_rules
    from chalicelib.usecases import occupants
else:
    (occupants, occupant_rules) = deferred.modules("usecases.occupants", "domain.occupants")

bp = http.Blueprint(__name__)
SIGNED_AS = "occupant"


def _open(ticket_id: str, secret: str) -> store.TicketView | Response:
    """The ticket behind an occupant link, or the wrong-link page (404/410/429), as the contractor's."""
    now, started = clock.now(), time.monotonic()
    try:
        if not TICKET_ID.match(ticket_id) or not tokens.looks_like_secret(secret):
            raise LinkNotFound()
        return links.open_ticket(ticket_id, secret, now, occupant_links.resolve)
    except LinkNotFound:
        over_limit = throttle.record_wrong_link(http.client_address(bp.current_request), now, started)
        status, language = (429 if over_limit else 404), "fr"
    except LinkGone as exc:
        status, language = 410, exc.language
    headers = {"Retry-After": "600"} if status == 429 else {}
    return http.html("contractor/link_error.html", language, status=status, headers=headers, status_code=status)


def _page(view: store.TicketView, secret: str, status: int = 200, error: str | None = None, note: str = "") -> Response:
    ticket = view.ticket
    token = signer().dumps(SIGNED_AS, {"t": ticket.ticket_id, "f": tokens.new_random_secret()})
    return http.html("occupant/page.html", ticket.occupant_language or "fr", status=status, ticket=ticket,
                     base=f"/o/{ticket.ticket_id}/{secret}", token=token, error=error, note=note,
                     company=ticket.contractor_company or ticket.contractor_name)


@bp.route("/o/{ticket_id}/{secret}", methods=["GET", "HEAD"])
def show(ticket_id: str, secret: str) -> Response:
    view = _open(ticket_id, secret)
    return view if isinstance(view, Response) else _page(view, secret)  # ?absent=1 after the button: the page says it


NO_MORE = N_("Votre absence est déjà signalée plusieurs fois : contactez directement le gestionnaire.")


@bp.route("/o/{ticket_id}/{secret}/absent", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
def say_absent(ticket_id: str, secret: str) -> Response:
    view = _open(ticket_id, secret)
    if isinstance(view, Response):
        return view
    form = http.form(bp.current_request)
    data = signer().loads(SIGNED_AS, form.get("form_token"), FORM_TOKEN_MAX_AGE)
    note = occupant_rules.validate_absence_note(form.get("note"))
    if not isinstance(data, dict) or data.get("t") != ticket_id or not isinstance(data.get("f"), str):
        return _page(view, secret, 400, error=N_("Le formulaire a expiré. Vérifiez et envoyez à nouveau."),
                     note=form.get("note"))
    if note is None:
        return _page(view, secret, 400, error=N_("Le message dépasse {limit} caractères.",
                                                 limit=occupant_rules.ABSENCE_NOTE_MAX), note=form.get("note"))
    try:
        if not http.recorded(lambda: occupants.say_absent(view, note, str(data["f"]), clock.now()), str(data["f"])):
            return _page(store.load_ticket(ticket_id), secret, 409,
                         error=N_("La demande a changé entre-temps : envoyez à nouveau."), note=note)
    except AbsenceLimited as limited:
        if store.find_submission(str(data["f"])) is not None:  # a double click: the first one was recorded
            return http.redirect(f"/o/{ticket_id}/{secret}?absent=1")
        if limited.retry_at is None:
            return _page(view, secret, 429, error=NO_MORE)
        retry = clock.paris(limited.retry_at).strftime("%H:%M")
        return _page(view, secret, 429, error=N_("Votre absence est déjà signalée. Vous pourrez écrire à nouveau après {time}.",
                                                 time=retry), note=note)
    return http.redirect(f"/o/{ticket_id}/{secret}?absent=1")
