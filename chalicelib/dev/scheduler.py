"""Local stage only: the Scheduler's pending schedules, and firing them as AWS would.

moto stores schedules but never fires them. The local pump fires the due ones; the
/dev/schedules page lists them all and fires one on demand, so a person can walk a
ticket's whole lifecycle in minutes. The list is one read of the stand-in's schedules
(local/moto_extensions.py), not one GetSchedule per timer: the pump reads it every 2 s.

Recurring `cron()` schedules (the managers' morning digests) are listed at their next occurrence,
fired by the pump when an occurrence passes, and kept, as AWS keeps them; the input's
`<aws.scheduler.scheduled-time>` becomes the occurrence's time, as AWS replaces it.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import clock


@dataclass(frozen=True)
class Pending:
    name: str
    at: datetime
    payload: dict[str, Any]
    expression: str = ""
    zone: str = "UTC"

    @property
    def recurring(self) -> bool:
        return self.expression.startswith("cron(")


def _at(expression: str, zone: str) -> datetime:
    from zoneinfo import ZoneInfo

    local = datetime.fromisoformat(expression.removeprefix("at(").removesuffix(")"))
    return local.replace(tzinfo=ZoneInfo(zone or "UTC"))


_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _days(field: str) -> set[int]:
    """Weekdays (0 = Monday) of a cron day-of-week field: *, ?, MON-FRI, MON,WED (what Relais writes)."""
    if field in ("*", "?"):
        return set(range(7))
    days: set[int] = set()
    for part in field.split(","):
        first, _, last = part.partition("-")
        days |= set(range(_WEEKDAYS.index(first), _WEEKDAYS.index(last or first) + 1))
    return days


def next_occurrence(expression: str, zone: str, after: datetime) -> datetime:
    """The first occurrence strictly after `after` of `cron(M H ? * DAYS *)`, wall-clock time in `zone`."""
    from zoneinfo import ZoneInfo

    minute, hour, _day, _month, weekdays, _year = expression.removeprefix("cron(").removesuffix(")").split()
    tz, days = ZoneInfo(zone or "UTC"), _days(weekdays)
    start: date = after.astimezone(tz).date()
    for offset in range(8):
        day = start + timedelta(days=offset)
        moment = datetime.combine(day, time(int(hour), int(minute)), tzinfo=tz)
        if day.weekday() in days and moment > after:
            return moment
    raise ValueError(expression)


def _when(expression: str, zone: str, now: datetime) -> datetime:
    return next_occurrence(expression, zone, now) if expression.startswith("cron(") else _at(expression, zone)


def pending() -> list[Pending]:
    """Every schedule of the group, soonest first (a snapshot: one may go before it is fired)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        return []
    query = urllib.parse.urlencode({"group": settings().schedule_group})
    with urllib.request.urlopen(f"{endpoint}/moto-api/relais/schedules?{query}", timeout=30) as response:  # noqa: S310 - loopback only
        found = json.load(response)["schedules"]
    now = clock.now()
    return sorted((Pending(s["name"], _when(s["expression"], s["timezone"], now), json.loads(s["input"]),
                           s["expression"], s["timezone"]) for s in found), key=lambda p: p.at)


def fire(schedule: Pending, occurrence: datetime | None = None) -> str:
    """Fire one schedule now, then delete it (ActionAfterCompletion=DELETE); a recurring one stays,
    fired as its `occurrence` (now when fired by hand)."""
    from chalicelib.aws.schedules import SCHEDULED_TIME, Scheduler
    from chalicelib.usecases import timers

    if schedule.recurring:
        moment = clock.iso(occurrence or clock.now())
        return timers.fire({k: moment if v == SCHEDULED_TIME else v for k, v in schedule.payload.items()})
    outcome = timers.fire(schedule.payload)
    Scheduler().remove(schedule.name)
    return outcome


_checked_until: list[datetime] = []  # up to when the pump looked for recurring occurrences (this process)


def fire_due(now: datetime | None = None) -> list[str]:
    """What the pump does every round: the one-time schedules whose time passed, and each recurring
    one whose occurrence fell since the last round (from this process's start: AWS does not replay a
    cron occurrence missed while it was down either)."""
    moment = now or clock.now()
    since = _checked_until[0] if _checked_until else moment
    _checked_until[:] = [moment]
    outcomes = []
    for schedule in pending():
        if not schedule.recurring and schedule.at <= moment:
            outcomes.append(fire(schedule))
        elif schedule.recurring and (occurrence := next_occurrence(schedule.expression, schedule.zone, since)) <= moment:
            outcomes.append(fire(schedule, occurrence))
    return outcomes
