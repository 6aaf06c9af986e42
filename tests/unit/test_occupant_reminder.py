"""The occupant's reminder: the day before at 18:00 Europe/Paris, for the date they were told, once
(chalicelib/usecases/planning.py). Pure: a ticket in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.config import settings
from chalicelib.data.models import Ticket
from chalicelib.domain import clock
from chalicelib.usecases import planning


def scheduled(day: str, hour: str, told_at: datetime, **occupant: str) -> Ticket:
    ticket = Ticket("TICKET#X", "META", ticket_id="0" * 26, state="scheduled", planned_date=day, planned_time=hour,
                    occupant_phone=occupant.get("phone", "+33698765432"), occupant_email=occupant.get("email"))
    ticket.occupant_told = {"date": day, "time": hour, "at": clock.iso(told_at)}
    return ticket


def reminder(ticket: Ticket) -> datetime | None:
    timer = planning.wanted(ticket, settings().timers).get(planning.OCCUPANT_REMINDER)
    return timer.at if timer else None


def test_the_day_before_at_18h_paris_in_winter_and_in_summer() -> None:
    told = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert reminder(scheduled("2026-03-10", "08:30", told)) == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # UTC+1
    # The night of the change to summer time: 18:00 on Saturday 28 March is still UTC+1, Sunday's is UTC+2.
    assert reminder(scheduled("2026-03-29", "10:00", told)) == datetime(2026, 3, 28, 17, 0, tzinfo=UTC)
    assert reminder(scheduled("2026-03-30", "10:00", told)) == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)


def test_none_when_told_after_18h_the_day_before_or_already_reminded_or_for_another_date() -> None:
    late = scheduled("2026-03-10", "08:30", datetime(2026, 3, 9, 17, 30, tzinfo=UTC))  # 18:30 in Paris
    assert reminder(late) is None
    reminded = scheduled("2026-03-10", "08:30", datetime(2026, 3, 1, tzinfo=UTC))
    reminded.occupant_reminded = "2026-03-10 08:30"
    assert reminder(reminded) is None
    moved = scheduled("2026-03-10", "08:30", datetime(2026, 3, 1, tzinfo=UTC))
    moved.planned_date = "2026-03-12"  # a new date the occupant was not told yet
    assert reminder(moved) is None
    nobody = scheduled("2026-03-10", "08:30", datetime(2026, 3, 1, tzinfo=UTC), phone="")
    assert reminder(nobody) is None
