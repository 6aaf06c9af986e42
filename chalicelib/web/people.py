"""The manager's people pages: the contractors directory (each one's ticket history) and the managers.

Every page needs a session and every POST a CSRF token (`signed_in`). Forms that come back with
errors keep what was typed. A new contractor's or manager's id comes signed with the form, so a
double click saves one, not two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.aws.signing_keys import signer
from chalicelib.domain import clock, ids
from chalicelib.domain.errors import AlreadyExists, Changed, Duplicate, NotAdministrateur, NotFound
from chalicelib.web import deferred, http
from chalicelib.web.admin import admin_page, signed_in

# Loaded by the first request for these pages (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.data import directory
    from chalicelib.domain import contacts
    from chalicelib.usecases import auth
else:
    auth, contacts, directory = deferred.modules("usecases.auth", "domain.contacts", "data.directory")

bp = Blueprint(__name__)

TEXT_MAX = 200
CONTACT_INPUT_MAX = 254
LANGUAGES = ("fr", "en")
FORM_MAX_AGE = 24 * 3600
NEW_CONTRACTOR: dict[str, Any] = {"language": "fr", "channels": []}


def _query(name: str) -> str:
    params = bp.current_request.query_params
    return str(params.get(name) or "") if params else ""


def _new_id_token(kind: str) -> str:
    return signer().dumps(f"new-{kind}", ids.new_id())


def _id_from_token(kind: str, token: str) -> str | None:
    value = signer().loads(f"new-{kind}", token, FORM_MAX_AGE) if token else None
    return value if ids.looks_valid(value) else None


def _not_found(session: auth.Session) -> Response:
    return admin_page(session, "admin/error.html", status=404, message="Intervenant introuvable.")


# -- contractors: reading the form -------------------------------------------------------------

def _read_contractor(form: http.Form) -> tuple[directory.ContractorProfile | None, dict[str, str], dict[str, Any]]:
    """The profile, or field errors (French msgids); and the values to show again either way."""
    values: dict[str, Any] = {name: form.get(name).strip() for name in ("name", "company", "trade", "phone", "email")}
    values["language"] = form.get("language")
    values["channels"] = [c for c in directory.CHANNELS if c in form.getlist("channels")]
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Indiquez le nom de l'intervenant."
    for name in ("name", "company", "trade"):
        if len(values[name]) > TEXT_MAX:
            errors[name] = "Ce champ dépasse 200 caractères."
    phone = email = None
    try:
        phone = contacts.normalise_phone(values["phone"][:CONTACT_INPUT_MAX]) if values["phone"] else None
    except contacts.InvalidContact as invalid:
        errors["phone"] = str(invalid)
    try:
        email = contacts.normalise_email(values["email"][:CONTACT_INPUT_MAX]) if values["email"] else None
    except contacts.InvalidContact as invalid:
        errors["email"] = str(invalid)
    if not values["channels"]:
        errors["channels"] = "Choisissez au moins un canal : SMS ou e-mail."
    if "sms" in values["channels"] and not values["phone"]:
        errors["phone"] = "Indiquez un numéro de téléphone pour l'envoi par SMS."
    elif "sms" in values["channels"] and phone and not contacts.receives_sms(phone):
        errors["phone"] = "Ce numéro est un fixe : il ne peut pas recevoir de SMS. Indiquez un mobile ou choisissez l'e-mail."
    if "email" in values["channels"] and not values["email"]:
        errors["email"] = "Indiquez une adresse e-mail pour l'envoi par e-mail."
    if values["language"] not in LANGUAGES:
        errors["language"] = "Choisissez la langue : français ou anglais."
    if errors:
        return None, errors, values
    profile = directory.ContractorProfile(values["name"], values["company"], values["trade"], phone, email, values["channels"],
                                values["language"])
    return profile, errors, values


def _duplicate_errors(duplicate: Duplicate) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "phone" in duplicate.holders:
        errors["phone"] = "Ce numéro de téléphone est déjà celui d'un autre intervenant."
    if "email" in duplicate.holders:
        errors["email"] = "Cette adresse e-mail est déjà celle d'un autre intervenant."
    return errors


def _form_page(session: auth.Session, contractor_id: str | None, values: dict[str, Any], status: int = 200,
               errors: dict[str, str] | None = None, holders: dict[str, str] | None = None,
               new_token: str | None = None) -> Response:
    """The create form (no contractor_id yet) or the edit form."""
    return admin_page(session, "admin/contractor_form.html", status=status, contractor_id=contractor_id, values=values,
                 errors=errors or {}, holders={k: v for k, v in (holders or {}).items() if ids.looks_valid(v)},
                 new_token=new_token or (None if contractor_id else _new_id_token("contractor")))


def _values_of(contractor: Any) -> dict[str, Any]:
    return {"name": contractor.name, "company": contractor.company, "trade": contractor.trade,
            "phone": contractor.phone or "", "email": contractor.email or "", "channels": list(contractor.channels),
            "language": contractor.language}


# -- contractors: pages -------------------------------------------------------------------------

@bp.route("/admin/contractors", methods=["GET"])
@signed_in
def contractor_list(session: auth.Session) -> Response:
    after = _query("after")
    page = directory.contractors_page(after or None)
    return admin_page(session, "admin/contractors.html", contractors=page.items, next_cursor=page.next_cursor,
                 first_page=not after)


@bp.route("/admin/contractors/new", methods=["GET"])
@signed_in
def new_contractor(session: auth.Session) -> Response:
    return _form_page(session, None, dict(NEW_CONTRACTOR))


@bp.route("/admin/contractors", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def create_contractor(session: auth.Session) -> Response:
    form = http.form(bp.current_request)
    profile, errors, values = _read_contractor(form)
    contractor_id = _id_from_token("contractor", form.get("new_token"))
    if contractor_id is None:
        return _form_page(session, None, values, 400,
                          {"form": "Le formulaire a expiré. Vérifiez la fiche et enregistrez-la à nouveau."})
    if profile is None:
        return _form_page(session, None, values, 400, errors, new_token=form.get("new_token"))
    try:
        directory.create_contractor(profile, contractor_id)
    except AlreadyExists:
        pass  # a double click: the first one saved it
    except Duplicate as duplicate:
        return _form_page(session, None, values, 400, _duplicate_errors(duplicate), duplicate.holders, form.get("new_token"))
    return http.redirect(f"/admin/contractors/{contractor_id}?done=created")


@bp.route("/admin/contractors/{contractor_id}", methods=["GET"])
@signed_in
def contractor_page(session: auth.Session, contractor_id: str) -> Response:
    contractor = directory.get_contractor(contractor_id) if ids.looks_valid(contractor_id) else None
    if contractor is None:
        return _not_found(session)
    after = _query("after")
    history = directory.contractor_history(contractor_id, after or None)
    done = _query("done")
    return admin_page(session, "admin/contractor.html", contractor=contractor, history=history.items,
                 next_cursor=history.next_cursor, first_page=not after,
                 notice="Intervenant enregistré." if done in ("created", "saved")
                 else "Intervenant désactivé : il ne peut plus recevoir de nouvelle demande." if done == "deactivated"
                 else "Intervenant réactivé." if done == "reactivated" else None)


@bp.route("/admin/contractors/{contractor_id}/edit", methods=["GET"])
@signed_in
def edit_contractor(session: auth.Session, contractor_id: str) -> Response:
    contractor = directory.get_contractor(contractor_id) if ids.looks_valid(contractor_id) else None
    if contractor is None:
        return _not_found(session)
    return _form_page(session, contractor_id, _values_of(contractor))


@bp.route("/admin/contractors/{contractor_id}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def update_contractor(session: auth.Session, contractor_id: str) -> Response:
    if not ids.looks_valid(contractor_id):
        return _not_found(session)
    profile, errors, values = _read_contractor(http.form(bp.current_request))
    if profile is None:
        return _form_page(session, contractor_id, values, 400, errors)
    try:
        directory.update_contractor(contractor_id, profile)
    except NotFound:
        return _not_found(session)
    except Duplicate as duplicate:
        return _form_page(session, contractor_id, values, 400, _duplicate_errors(duplicate), duplicate.holders)
    except Changed:
        return _form_page(session, contractor_id, values, 409,
                          {"form": "La fiche a été modifiée entre-temps. Vérifiez-la et enregistrez à nouveau."})
    return http.redirect(f"/admin/contractors/{contractor_id}?done=saved")


def _set_contractor_active(session: auth.Session, contractor_id: str, active: bool) -> Response:
    if not ids.looks_valid(contractor_id):
        return _not_found(session)
    try:
        directory.set_contractor_active(contractor_id, active)
    except NotFound:
        return _not_found(session)
    return http.redirect(f"/admin/contractors/{contractor_id}?done={'reactivated' if active else 'deactivated'}")


@bp.route("/admin/contractors/{contractor_id}/deactivate", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def deactivate_contractor(session: auth.Session, contractor_id: str) -> Response:
    return _set_contractor_active(session, contractor_id, False)


@bp.route("/admin/contractors/{contractor_id}/reactivate", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def reactivate_contractor(session: auth.Session, contractor_id: str) -> Response:
    return _set_contractor_active(session, contractor_id, True)


# -- managers -----------------------------------------------------------------------------------

MANAGER_NOTICES = {
    "invited": "Invitation envoyée : le lien de connexion est parti par e-mail.",
    "deactivated": "Gestionnaire désactivé : il ne peut plus se connecter et ses sessions sont fermées.",
    "reactivated": "Gestionnaire réactivé : il se connecte avec un nouveau lien.",
    "role": "Rôle modifié.",
}
ADMINISTRATEURS_ONLY = "Seul un administrateur peut inviter des gestionnaires, changer leur rôle ou les désactiver."
NOT_YOURSELF = "Vous ne pouvez pas changer votre propre rôle ni désactiver votre compte : demandez-le à un autre administrateur."


def _managers_page(session: auth.Session, status: int = 200, errors: dict[str, str] | None = None,
                   values: dict[str, Any] | None = None, notice: str | None = None, new_token: str | None = None) -> Response:
    administrateur = directory.is_administrateur(session.manager)
    return admin_page(session, "admin/managers.html", status=status, managers=directory.list_managers(), errors=errors or {},
                 values=values or {"language": "fr", "role": directory.GESTIONNAIRE}, notice=notice,
                 notice_is_error=status >= 400, administrateur=administrateur,
                 new_token=(new_token or _new_id_token("manager")) if administrateur else None)


def _administrateurs_only(session: auth.Session) -> Response:
    return _managers_page(session, 403, notice=ADMINISTRATEURS_ONLY)


@bp.route("/admin/managers", methods=["GET"])
@signed_in
def manager_list(session: auth.Session) -> Response:
    return _managers_page(session, notice=MANAGER_NOTICES.get(_query("done")))


@bp.route("/admin/managers", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def invite_manager(session: auth.Session) -> Response:
    if not directory.is_administrateur(session.manager):
        return _administrateurs_only(session)
    form = http.form(bp.current_request)
    values = {"name": form.get("name").strip(), "email": form.get("email").strip(), "language": form.get("language"),
              "role": form.get("role")}
    token = form.get("new_token")
    manager_id = _id_from_token("manager", token)
    if manager_id is None:
        return _managers_page(session, 400, {"form": "Le formulaire a expiré. Vérifiez l'invitation et envoyez-la à nouveau."},
                              values)
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Indiquez le nom du gestionnaire."
    elif len(values["name"]) > TEXT_MAX:
        errors["name"] = "Ce champ dépasse 200 caractères."
    email = ""
    try:
        email = contacts.normalise_email(values["email"][:CONTACT_INPUT_MAX])
    except contacts.InvalidContact as invalid:
        errors["email"] = str(invalid)
    if values["language"] not in LANGUAGES:
        errors["language"] = "Choisissez la langue : français ou anglais."
    if values["role"] not in directory.ROLES:
        errors["role"] = "Choisissez le rôle : gestionnaire ou administrateur."
    if errors:
        return _managers_page(session, 400, errors, values, new_token=token)
    try:
        manager = directory.invite_manager(values["name"], email, values["language"], manager_id, values["role"],
                                           invited_by=session.manager.manager_id)
    except AlreadyExists:
        return http.redirect("/admin/managers?done=invited")  # a double click: the first one invited them
    except NotAdministrateur:
        return _administrateurs_only(session)
    except Duplicate:
        return _managers_page(session, 400, {"email": "Cette adresse e-mail est déjà celle d'un gestionnaire."}, values,
                              new_token=token)
    auth.send_invitation(manager, clock.now())
    return http.redirect("/admin/managers?done=invited")


def _change_manager(session: auth.Session, manager_id: str, change: Any, done: str) -> Response:
    """One administrateur's change to another manager (never to themselves), checked again when written."""
    if not directory.is_administrateur(session.manager):
        return _administrateurs_only(session)
    if not ids.looks_valid(manager_id):
        return admin_page(session, "admin/error.html", status=404, message="Gestionnaire introuvable.")
    if manager_id == session.manager.manager_id:
        return _managers_page(session, 400, notice=NOT_YOURSELF)
    try:
        change(session.manager.manager_id, manager_id)
    except NotFound:
        return admin_page(session, "admin/error.html", status=404, message="Gestionnaire introuvable.")
    except NotAdministrateur:
        return _administrateurs_only(session)
    return http.redirect(f"/admin/managers?done={done}")


@bp.route("/admin/managers/{manager_id}/deactivate", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def deactivate_manager(session: auth.Session, manager_id: str) -> Response:
    return _change_manager(session, manager_id, lambda actor, target: directory.set_manager_active(actor, target, False),
                           "deactivated")


@bp.route("/admin/managers/{manager_id}/reactivate", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def reactivate_manager(session: auth.Session, manager_id: str) -> Response:
    return _change_manager(session, manager_id, lambda actor, target: directory.set_manager_active(actor, target, True),
                           "reactivated")


@bp.route("/admin/managers/{manager_id}/role", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def change_manager_role(session: auth.Session, manager_id: str) -> Response:
    role = http.form(bp.current_request).get("role")
    if role not in directory.ROLES:
        return _managers_page(session, 400, notice="Choisissez le rôle : gestionnaire ou administrateur.")
    return _change_manager(session, manager_id, lambda actor, target: directory.set_manager_role(actor, target, role),
                           "role")
