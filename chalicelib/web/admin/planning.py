"""The week's plan: interventions planned per day for a week, of one manager or of everyone, with
where, who, when (an hour or a window) and how it stands; a single day on a phone. One Query a week."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.config import settings
from chalicelib.domain import clock, ids
from chalicelib.domain.text import N_
from chalicelib.web import deferred, http
from chalicelib.web.session import admin_page, signed_in

if TYPE_CHECKING:
    from chalicelib.data import directory, week_plan
    from chalicelib.usecases import auth
else:
    directory, week_plan = deferred.modules("data.directory", "data.week_plan")

bp = http.Blueprint(__name__)

STATUS_LABELS = {"planned": N_("Prévue"), "late": N_("En retard"), "on_site": N_("Sur place"), "done": N_("Terminée")}
EARLIEST, LATEST = date(2000, 1, 3), date(2100, 12, 27)  # a week out of these is no week anyone plans


def _day(raw: str) -> date | None:
    """A YYYY-MM-DD from the address, or None (anything else, or out of range, is ignored)."""
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None
    return day if day is not None and EARLIEST <= day <= LATEST else None


@bp.route("/admin/planning", methods=["GET"])
@signed_in
def week_page(session: auth.Session) -> Response:
    """`?week=<any day of it>` (this week by default), `?day=<day>` for one day, `?owner=<id>|all`."""
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    today = clock.paris(clock.now()).date()
    day = _day(query.get("day", ""))
    monday = week_plan.monday_of(day or _day(query.get("week", "")) or today)
    owner = query.get("owner", session.manager.manager_id)
    if owner != "all" and not ids.looks_valid(owner):
        owner = session.manager.manager_id
    now, timers = clock.now(), settings().timers
    by_day: dict[str, list[Any]] = {}
    for entry in week_plan.week(monday, None if owner == "all" else owner):
        grace = timers.cadence(entry.urgency).presence_grace_minutes  # late sooner for an emergency
        by_day.setdefault(entry.planned_date, []).append((entry, week_plan.progress(entry, now, grace)))
    shown = [day] if day else [monday + timedelta(days=n) for n in range(7)]

    def url(**params: str) -> str:
        return f"/admin/planning?{urlencode({**params, 'owner': owner})}"

    step = timedelta(days=1) if day else timedelta(days=7)
    here = day or monday
    return admin_page(
        session, "admin/planning.html", days=[d.isoformat() for d in shown], by_day=by_day, monday=monday.isoformat(),
        day=day.isoformat() if day else "", today=today.isoformat(), owner=owner, managers=directory.manager_choices(),
        status_labels=STATUS_LABELS, day_url=lambda d: url(day=d), week_url=url(week=monday.isoformat()),
        previous_url=url(**{"day" if day else "week": (here - step).isoformat()}),
        next_url=url(**{"day" if day else "week": (here + step).isoformat()}))
