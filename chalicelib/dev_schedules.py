"""Local stage only: the Scheduler's pending schedules, and firing them as AWS would.

moto stores schedules but never fires them. The local pump fires the due ones; the
/dev/schedules page lists them all and fires one on demand, so a person can walk a
ticket's whole lifecycle in minutes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import aws, clock
from chalicelib.config import settings


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
    """Every schedule of the group, soonest first."""
    client = aws.client("scheduler")
    group = settings().schedule_group
    result: list[Pending] = []
    for page in client.get_paginator("list_schedules").paginate(GroupName=group):
        for summary in page.get("Schedules", []):
            detail = client.get_schedule(Name=summary["Name"], GroupName=group)
            at = _at(detail["ScheduleExpression"], detail.get("ScheduleExpressionTimezone", ""))
            result.append(Pending(summary["Name"], at, json.loads(detail["Target"].get("Input") or "{}")))
    return sorted(result, key=lambda p: p.at)


def fire(schedule: Pending) -> str:
    """Fire one schedule now, then delete it (ActionAfterCompletion=DELETE)."""
    from chalicelib import timers
    from chalicelib.schedules import Scheduler

    outcome = timers.fire(schedule.payload)
    Scheduler().remove(schedule.name)
    return outcome


def fire_due(now: datetime | None = None) -> list[str]:
    moment = now or clock.now()
    return [fire(schedule) for schedule in pending() if schedule.at <= moment]
