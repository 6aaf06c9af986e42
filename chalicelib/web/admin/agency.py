"""The agency profile page: what every SMS and email says of the sender, edited by an administrateur.

The form carries the version it showed: a double submit or another tab's save is caught when written
(nothing overwritten unseen); a second click that asked for what is already saved just lands on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.domain.errors import Changed, NotAdministrateur
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.session import admin_page, signed_in

# Loaded by the first request for this page (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.data import agency, directory
    from chalicelib.domain import forms
    from chalicelib.domain.agency import Agency
else:
    agency, directory, forms = deferred.modules("data.agency", "data.directory", "domain.forms")

bp = http.Blueprint(__name__)

FIELDS = ("name", "sms_sender_id", "phone", "postal_address", "reply_domain")
SAVED = N_("Profil de l'agence enregistré : les prochains SMS et e-mails le reprennent.")
ADMINISTRATEURS_ONLY = N_("Seul un administrateur peut modifier le profil de l'agence.")
CHANGED = N_("Le profil a été modifié entre-temps : voici la version enregistrée. Refaites vos changements si besoin.")


def _values(profile: Agency) -> dict[str, str]:
    return {name: getattr(profile, name) for name in FIELDS}


def _page(session: Any, status: int = 200, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          notice: str | None = None, version: int | None = None) -> Response:
    if values is None:
        profile, version = agency.load()
        values = _values(profile)
    return admin_page(session, "admin/agency.html", status=status, values=values, errors=errors or {}, notice=notice,
                      notice_is_error=status >= 400, version="" if version is None else str(version),
                      administrateur=directory.is_administrateur(session.manager))


@bp.route("/admin/agency", methods=["GET"])
@signed_in
def show_agency(session: Any) -> Response:
    params = bp.current_request.query_params
    return _page(session, notice=SAVED if params and params.get("done") == "saved" else None)


@bp.route("/admin/agency", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def save_agency(session: Any) -> Response:
    if not directory.is_administrateur(session.manager):
        return _page(session, 403, notice=ADMINISTRATEURS_ONLY)
    form = http.form(bp.current_request)
    raw_version = form.get("version")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else None
    values = {name: form.get(name).strip() for name in FIELDS}
    checked = forms.validate_agency(form.as_dict())
    if checked.value is None:
        return _page(session, 400, values, checked.errors, version=version)
    try:
        agency.save(checked.value, version, session.manager.manager_id)
    except NotAdministrateur:
        return _page(session, 403, notice=ADMINISTRATEURS_ONLY)
    except Changed:
        if agency.load()[0] == checked.value:
            return http.redirect("/admin/agency?done=saved")  # the same form sent twice: the first one saved it
        return _page(session, 409, notice=CHANGED)
    return http.redirect("/admin/agency?done=saved")
