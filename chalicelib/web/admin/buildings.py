"""Buildings (immeubles) and lots: the list, a building's page with its history, adding one by hand,
finding one while typing (for the new-request form), and importing a file of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.domain import clock, errors
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.session import admin_page, signed_in

# Loaded by the first request for these pages (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.data import buildings
    from chalicelib.domain import building_csv
    from chalicelib.domain import buildings as rules
    from chalicelib.usecases import building_import
else:
    buildings, building_import = deferred.modules("data.buildings", "usecases.building_import")
    rules, building_csv = deferred.modules("domain.buildings", "domain.building_csv")

bp = http.Blueprint(__name__)

IMPORT_CONTENT_TYPES = ["multipart/form-data", *http.FORM_CONTENT_TYPES]  # a form with a file, or without one
NOT_FOUND = N_("Immeuble introuvable.")
IMPORT_NOT_FOUND = N_("Import introuvable : il a expiré ou n'est pas le vôtre.")


def _query(name: str) -> str:
    params = bp.current_request.query_params
    return str(params.get(name) or "") if params else ""


@bp.route("/admin/buildings", methods=["GET"])
@signed_in
def building_list(session: Any) -> Response:
    """By name, a page at a time; or what a search finds (one Query either way)."""
    typed = _query("q")[:200]
    found: list[Any]
    if typed:
        found, next_cursor = buildings.search(typed), ""
    else:
        found, next_cursor = buildings.buildings_page(_query("after"))
    return admin_page(session, "admin/buildings.html", found=found, typed=typed, next_cursor=next_cursor,
                      first_page=not _query("after"), imports=building_import.unfinished(session.manager.manager_id))


@bp.route("/admin/buildings/search", methods=["GET"])
@signed_in
def search(session: Any) -> Response:
    """What the new-request form shows while the manager types: one Query."""
    return Response(body={"buildings": [{"id": item.building_id, "name": item.name, "address": item.address}
                                        for item in buildings.search(_query("q"))]}, status_code=200)


@bp.route("/admin/buildings/{building_id}/card", methods=["GET"])
@signed_in
def card(session: Any, building_id: str) -> Response:
    """A picked building, to fill the new-request form: address, access notes and lots."""
    view = buildings.load_building(building_id)
    if view is None:
        return http.json_error(NOT_FOUND, session.manager.language, 404)
    building = view.building
    return Response(body={"id": building.building_id, "name": building.name, "address": building.address,
                          "access_notes": building.access_notes,
                          "lots": [{"number": lot.number, "floor": lot.floor, "occupant": lot.occupant_name}
                                   for lot in view.lots]}, status_code=200)


# -- a building's page ------------------------------------------------------------------------------

def _not_found(session: Any) -> Response:
    return admin_page(session, "admin/error.html", status=404, message=NOT_FOUND)


def _building_page(session: Any, view: Any, status: int = 200, errors: dict[str, str] | None = None,
                   values: dict[str, str] | None = None, notice: str | None = None) -> Response:
    tickets, next_cursor = buildings.building_tickets(view.building.building_id, _query("after"))
    # Who came: a contractor who accepted a date or finished the job (not one who refused or never answered).
    contractors = {t.contractor_id: t for t in sorted(tickets, key=lambda t: t.created_at) if t.planned_date or t.completed_at}
    return admin_page(session, "admin/building.html", status=status, building=view.building, lots=view.lots,
                      tickets=tickets, next_cursor=next_cursor, contractors=list(contractors.values()),
                      errors=errors or {}, values=values or {}, notice=notice)


@bp.route("/admin/buildings/{building_id}", methods=["GET"])
@signed_in
def building_page(session: Any, building_id: str) -> Response:
    """The building, its lots, and its history: every ticket, newest first, and who worked there."""
    view = buildings.load_building(building_id)
    if view is None:
        return _not_found(session)
    notice = {"lot": N_("Lot ajouté."), "saved": N_("Immeuble enregistré.")}.get(_query("done"))
    return _building_page(session, view, notice=notice)


@bp.route("/admin/buildings/{building_id}/lots", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def add_lot(session: Any, building_id: str) -> Response:
    view = buildings.load_building(building_id)
    if view is None:
        return _not_found(session)
    values = {name: http.form(bp.current_request).get(name) for name in rules.LOT_FIELDS}
    lot, found_errors = rules.validate_lot(values)
    if lot is None and not found_errors:
        found_errors = {"lot_number": N_("Indiquez le numéro du lot.")}
    if lot is None:
        return _building_page(session, view, 400, found_errors, values)
    try:
        buildings.add_lot(building_id, lot)
    except errors.AlreadyExists:
        return _building_page(session, view, 409, {"lot_number": N_("Ce lot existe déjà dans cet immeuble.")}, values)
    return http.redirect(f"/admin/buildings/{building_id}?done=lot")


# -- adding one by hand -----------------------------------------------------------------------------

BUILDING_FIELDS = ("name", "street", "postal_code", "city", "access_notes", "caretaker_name", "caretaker_phone",
                   "caretaker_email", "notes")


@bp.route("/admin/buildings/new", methods=["GET"])
@signed_in
def new_building(session: Any) -> Response:
    return admin_page(session, "admin/building_form.html", values={}, errors={})


@bp.route("/admin/buildings", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def create_building(session: Any) -> Response:
    form = http.form(bp.current_request)
    values = {name: form.get(name) for name in BUILDING_FIELDS}
    card, found_errors = rules.validate_building(values)
    if card is None:
        return admin_page(session, "admin/building_form.html", status=400, values=values, errors=found_errors)
    try:
        buildings.create_building(card, clock.now())
    except errors.AlreadyExists:  # the same address: this building exists (a double click created it, or a colleague)
        pass
    return http.redirect(f"/admin/buildings/{card.building_id}")


@bp.route("/admin/buildings/{building_id}/edit", methods=["GET"])
@signed_in
def edit_building(session: Any, building_id: str) -> Response:
    building = buildings.get_building(building_id)
    if building is None:
        return _not_found(session)
    values = {name: getattr(building, name) or "" for name in BUILDING_FIELDS}
    return admin_page(session, "admin/building_form.html", building=building, values=values, errors={})


@bp.route("/admin/buildings/{building_id}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def update_building(session: Any, building_id: str) -> Response:
    """Its name, access notes, caretaker and notes; its address stays (another address is another building)."""
    building = buildings.get_building(building_id)
    if building is None:
        return _not_found(session)
    form = http.form(bp.current_request)
    values = {**{name: form.get(name) for name in BUILDING_FIELDS}, "street": building.street,
              "postal_code": building.postal_code, "city": building.city}
    card, found_errors = rules.validate_building(values)
    if card is None:
        return admin_page(session, "admin/building_form.html", status=400, building=building, values=values,
                          errors=found_errors)
    try:
        buildings.update_building(building, card)
    except errors.Changed:
        return admin_page(session, "admin/building_form.html", status=409, building=building, values=values,
                          errors={"form": N_("L'import qui a créé cet immeuble n'est pas terminé : terminez-le ou "
                                             "annulez-le, puis modifiez l'immeuble.")})
    return http.redirect(f"/admin/buildings/{building_id}?done=saved")


# -- importing a file -------------------------------------------------------------------------------

def _import_page(session: Any, status: int = 200, preview: Any = None, refused: str | None = None,
                 filename: str = "") -> Response:
    return admin_page(session, "admin/building_import.html", status=status, preview=preview, refused=refused,
                      filename=filename, labels=building_csv.LABELS, max_lines=building_csv.MAX_LINES,
                      max_bytes=building_csv.MAX_BYTES)


@bp.route("/admin/buildings/import", methods=["GET"])
@signed_in
def import_form(session: Any) -> Response:
    return _import_page(session)


@bp.route("/admin/buildings/import", methods=["POST"], content_types=IMPORT_CONTENT_TYPES)
@signed_in
def preview_import(session: Any) -> Response:
    """The file read and checked, line by line: nothing is written until the manager confirms."""
    upload = getattr(http.form(bp.current_request), "files", {}).get("file")
    if not upload or not upload[1]:
        return _import_page(session, 400, refused=N_("Choisissez un fichier CSV."))
    found = building_import.preview(session.manager.manager_id, upload[1], clock.now())
    status = 400 if found.file.refused or found.file.problems else 200
    return _import_page(session, status, found, found.file.refused, upload[0][:120])


def _import(session: Any, import_id: str) -> Any:
    try:
        return building_import.get(session.manager.manager_id, import_id)
    except errors.NotFound:
        return None


def _progress_page(session: Any, job: Any) -> Response:
    return admin_page(session, "admin/building_import_progress.html", job=job,
                      percent=int(100 * int(job.done_chunks) / max(int(job.total_chunks), 1)))


@bp.route("/admin/buildings/import/{import_id}", methods=["GET"])
@signed_in
def import_progress(session: Any, import_id: str) -> Response:
    job = _import(session, import_id)
    if job is None:
        return admin_page(session, "admin/error.html", status=404, message=IMPORT_NOT_FOUND)
    return _progress_page(session, job)


def _after_step(session: Any, job: Any) -> Response:
    """JSON for the page's script (it shows the progress and asks again), the page for a plain form."""
    headers = bp.current_request.headers
    if headers and "application/json" in str(headers.get("accept") or ""):
        return Response(body={"status": job.status, "done": int(job.done_chunks), "total": int(job.total_chunks),
                              "error": job.error or ""}, status_code=200)
    return http.redirect(f"/admin/buildings/import/{job.import_id}")


@bp.route("/admin/buildings/import/{import_id}/{step}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def import_step(session: Any, import_id: str, step: str) -> Response:
    """confirm (start writing), advance (write the next chunks), cancel (roll back what was written)."""
    manager_id = session.manager.manager_id
    if step not in ("confirm", "advance", "cancel") or _import(session, import_id) is None:
        return admin_page(session, "admin/error.html", status=404, message=IMPORT_NOT_FOUND)
    if step == "confirm":
        job = building_import.confirm(manager_id, import_id)
    elif step == "cancel":
        job = building_import.cancel(manager_id, import_id)
    else:
        job = building_import.advance(manager_id, import_id, clock.now())
    return _after_step(session, job)
