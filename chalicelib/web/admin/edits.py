"""The manager corrects a request already sent (the "Modifier la demande" form of the ticket page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.data import store
from chalicelib.domain import clock, tokens
from chalicelib.domain import edits as edit_rules  # small and pure: the contractor's form reads it too
from chalicelib.domain.errors import NothingChanged
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.admin.tickets import load_ticket, not_found, render_ticket_page
from chalicelib.web.session import signed_in

if TYPE_CHECKING:
    from chalicelib.aws import uploads
    from chalicelib.usecases import auth, edits
else:
    auth, edits, uploads = deferred.modules("usecases.auth", "usecases.edits", "aws.uploads")

bp = http.Blueprint(__name__)

EDITED_MEANWHILE = N_("Le ticket a changé entre-temps (une réponse de l'intervenant, par exemple) : votre modification "
                      "n'a pas été enregistrée. Vos saisies sont conservées ci-dessous : vérifiez-les et enregistrez à nouveau.")


def _seen_version(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return -1  # no version: it cannot match, the form is shown again


@bp.route("/admin/tickets/{ticket_id}/edit", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def edit_ticket(session: auth.Session, ticket_id: str) -> Response:
    view = load_ticket(ticket_id)
    if view is None:
        return not_found(session)
    form = http.form(bp.current_request)
    form_id = form.get("form_id")
    values: dict[str, Any] = {**{k: v for k, v in form.as_dict().items() if k in edit_rules.EDITABLE_FIELDS},
                              "edit_files": http.file_pairs(form, field="edit"), "editing": True}

    def again(status: int, errors: dict[str, str], file_errors: list[Any] | None = None,
              shown: store.TicketView = view, notice: str | None = None) -> Response:
        return render_ticket_page(session, shown, status, notice=notice, values=values, file_errors=file_errors,
                                  errors={f"edit_{name}": message for name, message in errors.items()})

    if not tokens.looks_like_secret(form_id):
        return again(400, {"form": N_("Formulaire invalide, rechargez la page.")})
    pairs = list(zip(form.getlist("edit_key"), form.getlist("edit_name"), strict=False))
    edit, errors = edit_rules.validate_edit(form.as_dict(), len(pairs))
    if edit is None:
        return again(400, errors)
    accepted, rejected = uploads.verify_all(ticket_id, pairs, frozenset(), view.recorded_file_ids())
    if rejected:
        values["edit_files"] = http.file_pairs(form, rejected, field="edit")
        return again(400, {"files": N_("Certains fichiers n'ont pas été acceptés.")}, rejected)
    files = [f.as_dict() for f in accepted]
    try:
        if http.recorded(lambda: edits.edit_request(view, session.manager, edit, files, _seen_version(form.get("version")),
                                                     form_id, clock.now()), form_id):
            return http.redirect(f"/admin/tickets/{ticket_id}#events")
    except NothingChanged:
        return again(400, {"form": N_("Rien n'a changé : modifiez un champ ou ajoutez un fichier.")})
    return again(409, {}, shown=store.load_ticket(ticket_id), notice=EDITED_MEANWHILE)
