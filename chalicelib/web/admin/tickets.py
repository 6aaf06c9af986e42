"""The manager's tickets: À traiter, the list with its filters, a new request (with files sent
before it exists), and the ticket page with its files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.aws.signing_keys import signer
from chalicelib.config import settings
from chalicelib.data import store
from chalicelib.domain import clock, ids, tokens
from chalicelib.domain.lifecycle import State
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.admin import timing
from chalicelib.web.session import admin_page, signed_in

# Loaded by the first admin request, not by a contractor's (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.aws import uploads
    from chalicelib.data import buildings, directory, listing, search
    from chalicelib.domain import forms
    from chalicelib.usecases import auth, planning, tickets
else:
    auth, planning, tickets = deferred.modules("usecases.auth", "usecases.planning", "usecases.tickets")
    directory, listing, uploads, forms = deferred.modules("data.directory", "data.listing", "aws.uploads", "domain.forms")
    buildings, search = deferred.modules("data.buildings", "data.search")  # the new request's building; the search box

bp = http.Blueprint(__name__)


@bp.route("/admin", methods=["GET"])
@signed_in
def home(session: auth.Session) -> Response:
    """À traiter: what needs this manager, a group per thing to do, with counts (one Query)."""
    groups = listing.attention_for(session.manager.manager_id)
    tickets_in_groups = {item.ticket_id for items in groups.values() for item in items}
    return admin_page(session, "admin/attention.html", groups=groups, total=len(tickets_in_groups),
                      age=_age_from(clock.now()), remindable=timing.WAITING_ON_CONTRACTOR,
                      new_form_id=tokens.new_random_secret)


def _age_from(now: datetime) -> Callable[[str | None], str]:
    """How long a ticket has waited, as a short text ("3 j", "5 h", "12 min")."""
    def age(since: str | None) -> str:
        if not since:
            return ""
        minutes = max(0, int((now - clock.parse_iso(since)).total_seconds() // 60))
        if minutes >= 24 * 60:
            return N_("{count} j", count=minutes // (24 * 60))
        if minutes >= 60:
            return N_("{count} h", count=minutes // 60)
        return N_("{count} min", count=minutes)
    return age


CURSOR_MAX_AGE = 24 * 3600


def _cursor(token: str) -> dict[str, Any] | None:
    value = signer().loads("cursor", token, CURSOR_MAX_AGE) if token else None
    return value if isinstance(value, dict) else None


def list_filters(query: dict[str, str], manager_id: str) -> tuple[listing.Filters, str]:
    """The list's filters from its address (the list and its exports read them the same way), and the owner shown."""
    owner = query.get("owner", manager_id)
    return _filters(query, owner), owner


def _known_total(value: str) -> int | None:
    """The total the first page counted, carried by its links (a number nobody gains by editing)."""
    return int(value) if value.isdigit() and len(value) <= 6 else None


def _filters(query: dict[str, str], owner: str) -> listing.Filters:
    sort = query.get("sort", "")
    return listing.Filters(
        state=query.get("state", "") if query.get("state", "") in {s.value for s in State} else "",
        contractor_id=query.get("contractor", ""), owner_id="" if owner == "all" else owner,
        updated_from=query.get("from", ""), updated_to=query.get("to", ""), reference=query.get("ref", "").strip(),
        sort=sort if sort in listing.SORTS else "activity",
    )


def _search_results(query: dict[str, str], filters: listing.Filters, cursor: dict[str, Any] | None) -> Any:
    """The search box's page; the form's other filters narrow it (the owner only when the URL names one: a
    search link without it looks at every manager's tickets)."""
    results = search.search(query.get("q", ""), cursor)
    wanted = [(filters.state, "state"), (filters.contractor_id, "contractor_id"),
              (filters.owner_id if "owner" in query else "", "manager_id")]
    results.items = [item for item in results.items if all(not value or getattr(item, name) == value
                                                            for value, name in wanted)]
    return results


def _total_text(total: int, language: str) -> str:
    """"1 234" ("1,234" in English), "10 000+" beyond what is counted exactly."""
    shown = f"{min(total, listing.COUNT_MAX):,}".replace(",", "," if language == "en" else "\u202f")
    return shown + ("+" if total > listing.COUNT_MAX else "")


@bp.route("/admin/tickets", methods=["GET"])
@signed_in
def ticket_list(session: auth.Session) -> Response:
    """Every ticket, filtered, sorted and paginated through the activity index, or found by the search box."""
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    filters, owner = list_filters(query, session.manager.manager_id)
    cursor = _cursor(query.get("before") or query.get("after", ""))
    searching = bool(query.get("q", "").strip())
    total: int | None = None
    search_error = ""
    if searching:
        results = _search_results(query, filters, cursor)
        items, next_cursor, previous_cursor, search_error = results.items, results.next_cursor, None, results.error
    else:
        page = listing.tickets_page(filters, cursor, bool(query.get("before")))
        items, next_cursor, previous_cursor = page.items, page.next_cursor, page.previous_cursor
        total = page.total if page.total is not None else _known_total(query.get("n", ""))
        if total is None:  # a first page that holds them all needs no count
            total = len(items) if cursor is None and next_cursor is None else listing.count(filters)
    cursors = signer()
    base = {k: v for k, v in query.items() if k not in ("after", "before", "n")}
    if total is not None:
        base["n"] = str(total)
    next_url = (f"/admin/tickets?{urlencode({**base, 'after': cursors.dumps('cursor', next_cursor)})}"
                if next_cursor else "")
    previous_url = (f"/admin/tickets?{urlencode({**base, 'before': cursors.dumps('cursor', previous_cursor)})}"
                    if previous_cursor else "")
    sort_urls = {sort: "/admin/tickets?" + urlencode({**{k: v for k, v in base.items() if k != "n"}, "sort": sort})
                 for sort in listing.SORTS}
    return admin_page(session, "admin/tickets.html", tickets=items, filters=filters, owner=owner, next_url=next_url,
                      previous_url=previous_url, states=[s.value for s in State],
                      total=None if total is None else _total_text(total, session.manager.language),
                      search_text=query.get("q", ""), search_error=search_error,
                      sort_urls=sort_urls, export_fields={k: v for k, v in base.items() if k != "n"},
                      contractors=directory.contractor_choices(),
                      managers=directory.manager_choices())


# -- a new request -------------------------------------------------------------------------------

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
        return http.json_error(N_("Le formulaire a expiré. Rechargez la page."), session.manager.language, 403)
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
        return _new_ticket_page(session, 400, {"form": N_("Le formulaire a expiré. Vérifiez la demande et créez-la à nouveau.")},
                                values)
    if store.find_submission(ticket_id) is not None:  # a double click: the first one created it
        return http.redirect(f"/admin/tickets/{ticket_id}")
    contractor = directory.get_contractor(form.get("contractor_id")) if form.get("contractor_id") else None
    channels = form.getlist("channels") or ([str(c) for c in contractor.channels] if contractor else [])
    attached = list(zip(form.getlist("file_key"), form.getlist("file_name"), strict=False))
    checked = forms.validate_new_request(form.as_dict(), channels, len(attached))
    building, lot_number, errors = buildings.picked(form.get("building_id"), form.get("lot_number"))
    errors.update(checked.errors)
    if form.get("contractor_id") and (contractor is None or not contractor.active):
        errors["contractor_id"] = N_("Cet intervenant n'existe pas ou a été désactivé.")
    if errors or checked.value is None or contractor is None:
        return _new_ticket_page(session, 400, errors, values)
    accepted, rejected = uploads.verify_all(ticket_id, attached)  # a new ticket has no recorded files yet
    if rejected:
        values["files"] = http.file_pairs(form, rejected)
        return _new_ticket_page(session, 400, {"files": N_("Certains fichiers n'ont pas été acceptés.")}, values, rejected)
    try:
        tickets.create_request(session.manager, contractor, checked.value, clock.now(), ticket_id, ticket_id,
                               [f.as_dict() for f in accepted], building, lot_number)
    except tickets.ContractorUnavailable:
        errors["channels"] = N_("L'intervenant n'a pas de coordonnées pour le canal choisi.")
        return _new_ticket_page(session, 400, errors, values)
    except (store.AlreadySubmitted, store.Conflict):
        pass  # the same draft was created by a concurrent click
    return http.redirect(f"/admin/tickets/{ticket_id}")


# -- the ticket page -----------------------------------------------------------------------------

def load_ticket(ticket_id: str) -> store.TicketView | None:
    """The ticket of an admin route, or None (404) for an id that is not one or names no ticket."""
    if not ids.looks_valid(ticket_id):
        return None
    try:
        return store.load_ticket(ticket_id)
    except store.NotFound:
        return None


def not_found(session: auth.Session) -> Response:
    return admin_page(session, "admin/error.html", status=404, message="Ticket introuvable.")


def render_ticket_page(session: auth.Session, view: store.TicketView, status: int = 200, notice: str | None = None,
                         errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                         file_errors: list[Any] | None = None) -> Response:
    """The ticket page; also shown again, with errors or a notice, by a form sent from it."""
    timers = [{"step": t.step, "at_iso": clock.iso(t.at)}
              for t in sorted(planning.wanted(view.ticket, settings().timers).values(), key=lambda t: t.at)]
    actions = [a.value for a in tickets.manager_actions(view.ticket)]
    return admin_page(session, "admin/ticket.html", status=status, view=view, ticket=view.ticket, timers=timers,
                      actions=actions, timing=timing.panel(view.ticket),
                      notice=notice, errors=errors or {}, values=values or {}, file_errors=file_errors or [],
                      form_id=tokens.new_random_secret(), message_form_id=tokens.new_random_secret(),
                      link_days=settings().link_lifetime_days_after_close,
                      new_form_id=tokens.new_random_secret,
                      contractors=directory.contractor_choices() if {"reassign", "reassign_quote"} & set(actions) else [],
                      managers=directory.manager_choices() if "change_owner" in actions else [])


@bp.route("/admin/tickets/{ticket_id}", methods=["GET"])
@signed_in
def ticket_page(session: auth.Session, ticket_id: str) -> Response:
    view = load_ticket(ticket_id)
    if view is None:
        return not_found(session)
    return render_ticket_page(session, view)


@bp.route("/admin/tickets/{ticket_id}/uploads", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def presign_upload(session: auth.Session, ticket_id: str) -> Response:
    if load_ticket(ticket_id) is None:
        return http.json_error(N_("Ticket introuvable."), session.manager.language, 404)
    return http.presign_response(ticket_id, http.form(bp.current_request), session.manager.language,
                                 f"manager:{session.manager.manager_id}")


@bp.route("/admin/tickets/{ticket_id}/files/{file_id}", methods=["GET"])
@signed_in
def download(session: auth.Session, ticket_id: str, file_id: str) -> Response:
    view = load_ticket(ticket_id)
    if view is None:
        return Response(body="", status_code=404)
    return http.file_redirect(view.thread(for_contractor=False), file_id)
