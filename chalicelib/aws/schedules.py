"""EventBridge Scheduler: one-time schedules that fire the timers Lambda, and each manager's daily
digest (a recurring cron() schedule). Thin; takes its client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws import clients
from chalicelib.config import settings
from chalicelib.domain import clock

RETRY_POLICY = {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}
# A time already past (a re-plan that brings a reminder forward) is placed a minute ahead: the input
# keeps the wanted time, which is what a fire checks (chalicelib/usecases/planning.still_wanted).
SOONEST = timedelta(minutes=1)
# Replaced by EventBridge Scheduler with the occurrence's time when a recurring schedule fires.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def _expression(at: datetime) -> tuple[str, str]:
    """(expression, time zone): Paris wall-clock time, as operators read it in the console, except
    in the hour the clocks go back, when a Paris time names two instants: then UTC, which names one."""
    local = clock.paris(at)
    ambiguous = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    if ambiguous:
        return f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})", "UTC"
    return f"at({local.strftime('%Y-%m-%dT%H:%M:%S')})", "Europe/Paris"


class Scheduler:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client or clients.client("scheduler")

    def place(self, name: str, at: datetime, payload: dict[str, Any]) -> str:
        """Create the schedule, or replace it under its fixed name (a reschedule)."""
        expression, zone = _expression(max(at, clock.now() + SOONEST))
        return self._put(name, expression, zone, "DELETE", payload)

    def place_recurring(self, name: str, cron: str, zone: str, payload: dict[str, Any]) -> str:
        """A `cron(...)` schedule evaluated in `zone` (wall-clock time there, DST included), kept
        after each fire; its input's "at" is the occurrence's time, so a fire knows its day."""
        return self._put(name, cron, zone, "NONE", {**payload, "at": SCHEDULED_TIME})

    def _put(self, name: str, expression: str, zone: str, after: str, payload: dict[str, Any]) -> str:
        config = settings()
        request = {
            "Name": name,
            "GroupName": config.schedule_group,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": zone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": after,
            "Target": {
                "Arn": config.schedule_target_arn,
                "RoleArn": config.scheduler_role_arn,
                "Input": json.dumps(payload),
                "RetryPolicy": RETRY_POLICY,
                "DeadLetterConfig": {"Arn": config.scheduler_dlq_arn},
            },
        }
        try:
            return str(self._client.create_schedule(**request)["ScheduleArn"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConflictException":
                raise
        return str(self._client.update_schedule(**request)["ScheduleArn"])

    def remove(self, name: str) -> str:
        """Delete the schedule; one already gone (fired, or deleted before) is fine."""
        try:
            self._client.delete_schedule(Name=name, GroupName=settings().schedule_group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        return f"deleted:{name}"
