"""Local stage only: the Scheduler's pending schedules, and firing them as AWS would.

moto stores schedules but never fires them. The local pump fires the due ones; the
/dev/schedules page lists them all and fires one on demand, so a person can walk a
ticket's whole lifecycle in minutes. The list is one read of the stand-in's schedules
(local/moto_extensions.py), not one GetSchedule per timer: the pump reads it every 2 s.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import clock


@dataclass(frozen=True)
class Pending:
    name: str
    at: datetime
    payload: dict[str, Any]


def _at(expression: str, zone: str) -> datetime:
    from zoneinfo import ZoneInfo

    local = datetime.fromisoformat(expression.removeprefix("at(").removesuffix(")"))
    return local.replace(tzinfo=ZoneInfo(zone or "UTC"))


def pending() -> list[Pending]:
    """Every schedule of the group, soonest first (a snapshot: one may go before it is fired)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        return []
    query = urllib.parse.urlencode({"group": settings().schedule_group})
    with urllib.request.urlopen(f"{endpoint}/moto-api/relais/schedules?{query}", timeout=30) as response:  # noqa: S310 - loopback only
        found = json.load(response)["schedules"]
    return sorted((Pending(s["name"], _at(s["expression"], s["timezone"]), json.loads(s["input"])) for s in found),
                  key=lambda p: p.at)


def fire(schedule: Pending) -> str:
    """Fire one schedule now, then delete it (ActionAfterCompletion=DELETE)."""
    from chalicelib.aws.schedules import Scheduler
    from chalicelib.usecases import timers

    outcome = timers.fire(schedule.payload)
    Scheduler().remove(schedule.name)
    return outcome


def fire_due(now: datetime | None = None) -> list[str]:
    moment = now or clock.now()
    return [fire(schedule) for schedule in pending() if schedule.at <= moment]
