"""A schedule's expression names exactly its instant, also on the nights the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.aws.schedules import _expression
from chalicelib.dev.scheduler import _at


def _instants(start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(minutes=15 * i) for i in range(hours * 4)]


# 2026-03-29: Paris goes from 02:00 to 03:00; 2026-10-25: from 03:00 back to 02:00 (02:xx happens twice).
@pytest.mark.parametrize("at", _instants(datetime(2026, 3, 28, 23, tzinfo=UTC), 4)
                         + _instants(datetime(2026, 10, 24, 23, tzinfo=UTC), 4))
def test_each_expression_reads_back_as_its_own_instant(at: datetime) -> None:
    expression, zone = _expression(at)
    assert _at(expression, zone) == at  # read as EventBridge Scheduler reads it: the first of two Paris times


def test_ordinary_times_are_written_in_paris_time_and_the_repeated_hour_in_utc() -> None:
    assert _expression(datetime(2026, 12, 1, 13, 30, tzinfo=UTC)) == ("at(2026-12-01T14:30:00)", "Europe/Paris")
    assert _expression(datetime(2026, 7, 1, 6, 15, tzinfo=UTC)) == ("at(2026-07-01T08:15:00)", "Europe/Paris")
    first, second = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # both 02:30 in Paris
    assert _expression(first) == ("at(2026-10-25T00:30:00)", "UTC")
    assert _expression(second) == ("at(2026-10-25T01:30:00)", "UTC")
