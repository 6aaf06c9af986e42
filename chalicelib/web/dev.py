"""Developer pages of the local stage (a mail catcher for SMS and email). 404 elsewhere."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.config import settings
from chalicelib.domain.text import N_
from chalicelib.web import http

bp = http.Blueprint(__name__)

NOT_FOUND = Response(body={"error": "not found"}, status_code=404)


def _count(name: str, default: int) -> int:
    params: dict[str, str] = dict(bp.current_request.query_params or {})
    value = params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 9 else default


@bp.route("/dev/outbox", methods=["GET"])
def outbox_page() -> Response:
    """A page of messages, newest first (`?offset=`): one small read, however long the day."""
    if not settings().is_local:
        return NOT_FOUND
    return _outbox_page()


def _outbox_page(notice: str = "", status: int = 200) -> Response:
    from chalicelib.dev import mail_catcher  # local stage only: never loaded in the cloud

    offset = _count("offset", 0)
    messages, total = mail_catcher.page(offset, mail_catcher.PAGE_SIZE)
    return http.html("dev/outbox.html", status=status, messages=messages, offset=offset, total=total,
                     size=mail_catcher.PAGE_SIZE, csrf=_csrf("outbox"), notice=notice)


@bp.route("/dev/outbox/reply", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
def reply_by_email() -> Response:
    """Answer an email as its recipient would, through the local SMTP stand-in."""
    if not settings().is_local:
        return NOT_FOUND
    from chalicelib.aws.signing_keys import signer
    from chalicelib.dev import mail_catcher

    form = http.form(bp.current_request)
    if signer().loads("dev", form.get("csrf"), 24 * 3600) != "outbox":
        return _outbox_page(N_("Jeton de sécurité invalide. Rechargez la page et réessayez."), 403)
    if not form.get("body").strip() or "@" not in form.get("to"):
        return _outbox_page(N_("Écrivez un message ou joignez un fichier."), 400)
    mail_catcher.send_reply(form.get("sender"), form.get("to"), form.get("subject"), form.get("body"), form.get("quoted"))
    return http.redirect("/dev/outbox?replied=1")


@bp.route("/dev/outbox.json", methods=["GET"])
def outbox_json() -> Response:
    """The newest messages first; `?offset=` and `?limit=` (at most 500) page back in time."""
    if not settings().is_local:
        return NOT_FOUND
    from chalicelib.dev import mail_catcher

    fields = ("channel", "to", "subject", "body", "links", "sent_at", "attachments")
    messages, total = mail_catcher.page(_count("offset", 0), _count("limit", 100))
    return Response(body=[{k: m.get(k) for k in fields} for m in messages], status_code=200,
                    headers={"X-Total-Count": str(total)})


def _csrf(page: str = "schedules") -> str:
    from chalicelib.aws.signing_keys import signer

    return signer().dumps("dev", page)


def _schedules_page(fired: str = "", status: int = 200) -> Response:
    from chalicelib.data import directory
    from chalicelib.dev import scheduler
    from chalicelib.domain import clock

    pending = scheduler.pending()
    tickets = directory.current_tickets(str(s.payload.get("ticket_id", "")) for s in pending)
    listing = [{"name": s.name, "at_iso": clock.iso(s.at), "step": s.payload.get("step", ""),
                "ticket_id": s.payload.get("ticket_id", ""), "ticket": tickets.get(str(s.payload.get("ticket_id", ""))),
                "manager_id": s.payload.get("manager_id", ""), "recurring": s.recurring}
               for s in pending]
    return http.html("dev/schedules.html", status=status, schedules=listing, csrf=_csrf(), fired=fired)


@bp.route("/dev/schedules", methods=["GET"])
def schedules_page() -> Response:
    """Pending timers, with a button to fire one now: walk a whole lifecycle in minutes."""
    if not settings().is_local:
        return NOT_FOUND
    fired = {"done": N_("Étape déclenchée."), "stale": N_("Étape ignorée : le ticket n'en a plus besoin."),
             "duplicate": N_("Étape déjà déclenchée."), "gone": N_("Ticket introuvable."),
             "empty": N_("Résumé quotidien : rien de nouveau, aucun e-mail envoyé.")}
    params: dict[str, str] = dict(bp.current_request.query_params or {})
    outcome = params.get("fired", "")
    return _schedules_page(fired.get(outcome, ""))


@bp.route("/dev/schedules/fire", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
def fire_schedule() -> Response:
    if not settings().is_local:
        return NOT_FOUND
    from chalicelib.aws.signing_keys import signer
    from chalicelib.dev import scheduler

    form = http.form(bp.current_request)
    if signer().loads("dev", form.get("csrf"), 24 * 3600) != "schedules":
        return _schedules_page(N_("Jeton de sécurité invalide. Rechargez la page et réessayez."), 403)
    schedule = next((s for s in scheduler.pending() if s.name == form.get("name")), None)
    if schedule is None:
        return _schedules_page(N_("Cette minuterie n'existe plus (déjà déclenchée ou remplacée)."), 404)
    outcome = scheduler.fire(schedule)
    return http.redirect(f"/dev/schedules?fired={outcome}")
