"""The manager's own alert preferences: per kind of alert, an email at once or the morning digest.

The form carries the version it showed: another tab's save in between is caught when written; the
same form sent twice (a double click) lands on what the first one saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.domain import clock
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.session import admin_page, signed_in

if TYPE_CHECKING:
    from chalicelib.data import alert_digest
    from chalicelib.domain import alerts
else:
    alert_digest, alerts = deferred.modules("data.alert_digest", "domain.alerts")

bp = http.Blueprint(__name__)

SAVED = N_("Préférences enregistrées : les prochaines alertes les suivent.")
CHANGED = N_("Vos préférences ont été modifiées entre-temps (un autre onglet ?) : voici celles enregistrées.")


def _page(session: Any, status: int = 200, notice: str | None = None) -> Response:
    saved = alert_digest.preferences(session.manager.manager_id)
    choices = {kind: (saved.choices or {}).get(kind) or default for kind, (_label, default) in alerts.KINDS.items()}
    return admin_page(session, "admin/alert_preferences.html", status=status, kinds=alerts.KINDS, choices=choices,
                      urgent_at_once=bool(saved.urgent_at_once), version="" if saved.version is None else str(saved.version),
                      notice=notice, notice_is_error=status >= 400)


@bp.route("/admin/alerts", methods=["GET"])
@signed_in
def show_preferences(session: Any) -> Response:
    params = bp.current_request.query_params
    return _page(session, notice=SAVED if params and params.get("done") == "saved" else None)


@bp.route("/admin/alerts", methods=["POST"], content_types=http.FORM_CONTENT_TYPES)
@signed_in
def save_preferences(session: Any) -> Response:
    from pynamodb.exceptions import PutError

    from chalicelib.data import store

    form = http.form(bp.current_request)
    choices = alerts.checked_choices(form.as_dict())
    urgent_at_once = form.get("urgent_at_once") == "on"
    item = alert_digest.preferences(session.manager.manager_id)
    shown = form.get("version")
    if shown != ("" if item.version is None else str(item.version)):
        same = dict(item.choices or {}) == choices and bool(item.urgent_at_once) == urgent_at_once
        return http.redirect("/admin/alerts?done=saved") if same else _page(session, 409, CHANGED)
    try:
        alert_digest.save_preferences(item, choices, urgent_at_once, clock.now_iso())
    except PutError as exc:
        store.failed_conditions(exc)  # busy: a 503 page; a failed condition: saved meanwhile
        return _page(session, 409, CHANGED)
    return http.redirect("/admin/alerts?done=saved")
