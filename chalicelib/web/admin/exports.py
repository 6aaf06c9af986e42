"""The list's exports as CSV: the whole file in the answer when it fits, else a page that shows
the progress while the file is written to S3 a slice per request, then a 5-minute download."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.domain import clock
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.admin import tickets  # the list's filters, read as the list reads them
from chalicelib.web.session import admin_page, signed_in

if TYPE_CHECKING:
    from chalicelib.data import export_jobs
    from chalicelib.data.models import ExportJob
    from chalicelib.usecases import auth, exports
else:
    exports, export_jobs = deferred.modules("usecases.exports", "data.export_jobs")

bp = http.Blueprint(__name__)

NOT_FILTERS = ("csrf",)
GONE = N_("Export introuvable ou expiré : relancez-le depuis la liste.")


def _filename(kind: str) -> str:
    return f"relais-{kind}-{clock.paris(clock.now()).date().isoformat()}.csv"


@bp.route("/admin/exports/{kind}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def export(session: auth.Session, kind: str) -> Response:
    """The list's filters come with the form, as its address has them."""
    if kind not in ("tickets", "invoices"):
        return admin_page(session, "admin/error.html", status=404, message=N_("Export inconnu."))
    query = {name: value for name, value in http.form(bp.current_request).as_dict().items() if name not in NOT_FILTERS}
    filters, _ = tickets.list_filters(query, session.manager.manager_id)
    result = exports.export(session.manager.manager_id, kind, query, filters, session.manager.language, clock.now())
    if isinstance(result, str):
        return Response(body=result, status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{_filename(kind)}"'})
    return http.redirect(f"/admin/exports/jobs/{result.job_id}")


def _job_page(session: auth.Session, job: ExportJob) -> Response:
    return admin_page(session, "admin/export.html", job=job)


@bp.route("/admin/exports/jobs/{job_id}", methods=["GET"])
@signed_in
def job_page(session: auth.Session, job_id: str) -> Response:
    job = export_jobs.find(job_id, session.manager.manager_id)
    if job is None:
        return admin_page(session, "admin/error.html", status=404, message=GONE)
    return _job_page(session, job)


@bp.route("/admin/exports/jobs/{job_id}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def advance(session: auth.Session, job_id: str) -> Response:
    """One more slice (the page's script sends this until the file is written; a button without it)."""
    job = export_jobs.find(job_id, session.manager.manager_id)
    if job is None:
        return admin_page(session, "admin/error.html", status=404, message=GONE)
    filters, _ = tickets.list_filters(dict(job.query or {}), session.manager.manager_id)
    job = exports.advance(job, filters, clock.now())
    if "application/json" in (bp.current_request.headers.get("accept") or ""):
        return Response(body={"status": job.status, "rows": int(job.rows)}, status_code=200)
    return _job_page(session, job)


@bp.route("/admin/exports/jobs/{job_id}/file", methods=["GET"])
@signed_in
def download(session: auth.Session, job_id: str) -> Response:
    """To a 5-minute presigned GET of the finished file, made on each click."""
    job = export_jobs.find(job_id, session.manager.manager_id)
    if job is None or job.status != "done":
        return admin_page(session, "admin/error.html", status=404, message=GONE)
    day = clock.paris(clock.now()).date().isoformat()
    return Response(body="", status_code=302, headers={"Location": exports.download_url(job, day)})
