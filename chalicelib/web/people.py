"""The manager's people pages: the contractors directory (each one's ticket history) and the managers.

Every page needs a session and every POST a CSRF token (`signed_in`). Forms that come back with
errors keep what was typed. A new contractor's or manager's id comes signed with the form, so a
double click saves one, not two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.aws.signing_keys import signer
from chalicelib.domain import clock, ids
from chalicelib.domain.errors import AlreadyExists, Changed, Duplicate, NotAdministrateur, NotFound
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.session import admin_page, signed_in

# Loaded by the first request for these pages (see chalicelib/web/deferred.py).
if TYPE_CHECKING:
    from chalicelib.data import directory
    from chalicelib.domain import forms
    from chalicelib.usecases import auth
else:
    auth, directory, forms = deferred.modules("usecases.auth", "data.directory", "domain.forms")

bp = http.Blueprint(__name__)

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
    return admin_page(session, "admin/error.html", status=404, message=N_("Intervenant introuvable."))


# -- contractors: reading the form -------------------------------------------------------------

def _read_contractor(form: http.Form) -> tuple[forms.ContractorProfile | None, dict[str, str], dict[str, Any]]:
    """The profile, or field errors (French msgids); and the values to show again either way."""
    channels = form.getlist("channels")
    checked = forms.validate_contractor(form.as_dict(), channels)
    values: dict[str, Any] = {name: form.get(name).strip() for name in ("name", "company", "trade", "phone", "email")}
    values["language"] = form.get("language")
    values["channels"] = [c for c in forms.CHANNELS if c in channels]
    return checked.value, checked.errors, values


def _duplicate_errors(duplicate: Duplicate) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "phone" in duplicate.holders:
        errors["phone"] = N_("Ce numéro de téléphone est déjà celui d'un autre intervenant.")
    if "email" in duplicate.holders:
        errors["email"] = N_("Cette adresse e-mail est déjà celle d'un autre intervenant.")
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
                          {"form": N_("Le formulaire a expiré. Vérifiez la fiche et enregistrez-la à nouveau.")})
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
                 now=directory.current_tickets(h.ticket_id for h in history.items),
                 next_cursor=history.next_cursor, first_page=not after,
                 notice=N_("Intervenant enregistré.") if done in ("created", "saved")
                 else N_("Intervenant désactivé : il ne peut plus recevoir de nouvelle demande.") if done == "deactivated"
                 else N_("Intervenant réactivé.") if done == "reactivated" else None)


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
                          {"form": N_("La fiche a été modifiée entre-temps. Vérifiez-la et enregistrez à nouveau.")})
    return http.redirect(f"/admin/contractors/{contractor_id}?done=saved")


# Deactivate and reactivate, for a contractor as for a manager: one handler, the path's last part says which.
ACTIVATIONS = {"deactivate": False, "reactivate": True}


@bp.route("/admin/contractors/{contractor_id}/{activation}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def set_contractor_active(session: auth.Session, contractor_id: str, activation: str) -> Response:
    active = ACTIVATIONS.get(activation)
    if active is None or not ids.looks_valid(contractor_id):
        return _not_found(session)
    try:
        directory.set_contractor_active(contractor_id, active)
    except NotFound:
        return _not_found(session)
    return http.redirect(f"/admin/contractors/{contractor_id}?done={'reactivated' if active else 'deactivated'}")


# -- managers -----------------------------------------------------------------------------------

MANAGER_NOTICES = {
    "invited": N_("Invitation envoyée : le lien de connexion est parti par e-mail."),
    "deactivated": N_("Gestionnaire désactivé : il ne peut plus se connecter et ses sessions sont fermées."),
    "reactivated": N_("Gestionnaire réactivé : il se connecte avec un nouveau lien."),
    "role": N_("Rôle modifié."),
    "phone": N_("Téléphone enregistré."),
}
ADMINISTRATEURS_ONLY = N_("Seul un administrateur peut inviter des gestionnaires, changer leur rôle ou les désactiver.")
NOT_YOURSELF = N_("Vous ne pouvez pas changer votre propre rôle ni désactiver votre compte : "
                  "demandez-le à un autre administrateur.")


def _managers_page(session: auth.Session, status: int = 200, errors: dict[str, str] | None = None,
                   values: dict[str, Any] | None = None, notice: str | None = None, new_token: str | None = None,
                   typed_phone: tuple[str, str] | None = None) -> Response:
    """`typed_phone`: (manager id, what was typed) when that phone came back with an error."""
    administrateur = directory.is_administrateur(session.manager)
    return admin_page(session, "admin/managers.html", status=status, managers=directory.list_managers(), errors=errors or {},
                 values=values or {"language": "fr", "role": directory.GESTIONNAIRE}, notice=notice,
                 typed_phone=dict([typed_phone]) if typed_phone else {},
                 notice_is_error=status >= 400, administrateur=administrateur,
                 new_token=(new_token or _new_id_token("manager")) if administrateur else None)


def _manager_not_found(session: auth.Session) -> Response:
    return admin_page(session, "admin/error.html", status=404, message="Gestionnaire introuvable.")


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
        expired = N_("Le formulaire a expiré. Vérifiez l'invitation et envoyez-la à nouveau.")
        return _managers_page(session, 400, {"form": expired}, values)
    checked = forms.validate_invitation(form.as_dict(), directory.ROLES)
    if checked.value is None:
        return _managers_page(session, 400, checked.errors, values, new_token=token)
    invitation = checked.value
    try:
        manager = directory.invite_manager(invitation.name, invitation.email, invitation.language, manager_id,
                                           invitation.role, invited_by=session.manager.manager_id)
    except AlreadyExists:
        return http.redirect("/admin/managers?done=invited")  # a double click: the first one invited them
    except NotAdministrateur:
        return _administrateurs_only(session)
    except Duplicate:
        return _managers_page(session, 400, {"email": N_("Cette adresse e-mail est déjà celle d'un gestionnaire.")}, values,
                              new_token=token)
    auth.send_invitation(manager, clock.now())
    return http.redirect("/admin/managers?done=invited")


def _change_manager(session: auth.Session, manager_id: str, change: Any, done: str) -> Response:
    """One administrateur's change to another manager (never to themselves), checked again when written."""
    if not directory.is_administrateur(session.manager):
        return _administrateurs_only(session)
    if not ids.looks_valid(manager_id):
        return _manager_not_found(session)
    if manager_id == session.manager.manager_id:
        return _managers_page(session, 400, notice=NOT_YOURSELF)
    try:
        change(session.manager.manager_id, manager_id)
    except NotFound:
        return _manager_not_found(session)
    except NotAdministrateur:
        return _administrateurs_only(session)
    return http.redirect(f"/admin/managers?done={done}")


@bp.route("/admin/managers/{manager_id}/{activation}", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def set_manager_active(session: auth.Session, manager_id: str, activation: str) -> Response:
    active = ACTIVATIONS.get(activation)
    if active is None:
        return _manager_not_found(session)
    return _change_manager(session, manager_id, lambda actor, target: directory.set_manager_active(actor, target, active),
                           "reactivated" if active else "deactivated")


@bp.route("/admin/managers/{manager_id}/role", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def change_manager_role(session: auth.Session, manager_id: str) -> Response:
    checked = forms.validate_role(http.form(bp.current_request).get("role"), directory.ROLES)
    role = checked.value
    if role is None:
        return _managers_page(session, 400, notice=checked.errors["role"])
    return _change_manager(session, manager_id, lambda actor, target: directory.set_manager_role(actor, target, role),
                           "role")


@bp.route("/admin/managers/{manager_id}/phone", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def set_manager_phone(session: auth.Session, manager_id: str) -> Response:
    """One's own phone, or another manager's by an administrateur: shown to contractors to call."""
    own = manager_id == session.manager.manager_id
    if not own and not directory.is_administrateur(session.manager):
        return _administrateurs_only(session)
    if not ids.looks_valid(manager_id):
        return _manager_not_found(session)
    form = http.form(bp.current_request)
    checked = forms.validate_manager_phone(form.as_dict())
    if not checked.ok:
        return _managers_page(session, 400, {f"phone-{manager_id}": checked.errors["phone"]},
                              typed_phone=(manager_id, form.get("phone")))
    try:
        directory.set_manager_phone(session.manager.manager_id, manager_id, checked.value)
    except NotFound:
        return _manager_not_found(session)
    except NotAdministrateur:
        return _administrateurs_only(session)
    return http.redirect("/admin/managers?done=phone")
