"""Which timers a ticket needs, derived from the ticket alone.

Each time-driven step (reminder, presence check, invoice request…) is one EventBridge
one-time schedule with a fixed name per ticket and step. Its time comes from the ticket's
own attributes, so after any change the wanted set is recomputed and compared with the
set before: new or moved timers are (re)placed, vanished ones deleted. A timer that fires
acts only if the ticket still wants exactly that timer: late, double or stale fires do nothing.

How fast a request is chased depends on its urgency (chalicelib/config.py, `Cadence`): the
ticket's urgency is part of what the times derive from, so changing it re-plans its timers in the
same transaction (`replan_after_urgency_change` in chalicelib/usecases/urgency.py). Timers that
write to the contractor by SMS never fall in the night (20:00-08:00 Europe/Paris) unless the
request is an emergency: they move to 08:00, Paris wall-clock time, whatever the UTC offset that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.config import Cadence, Timers
from chalicelib.data.models import Ticket
from chalicelib.domain import clock
from chalicelib.domain.lifecycle import State

REMINDER = "reminder"
ANSWER_OVERDUE = "answer_overdue"
PRESENCE_CHECK = "presence_check"
PRESENCE_OVERDUE = "presence_overdue"
COMPLETION_OFFER = "completion_offer"
INVOICE_REQUEST = "invoice_request"
INVOICE_OVERDUE = "invoice_overdue"
OCCUPANT_REMINDER = "occupant_reminder"
STEPS = (REMINDER, ANSWER_OVERDUE, PRESENCE_CHECK, PRESENCE_OVERDUE, COMPLETION_OFFER, INVOICE_REQUEST, INVOICE_OVERDUE,
         OCCUPANT_REMINDER)
OCCUPANT_REMINDER_HOUR = time(18, 0)  # Europe/Paris, the day before the intervention


@dataclass(frozen=True)
class Timer:
    step: str
    at: datetime  # aware, UTC
    round: int = 0  # which invoice request this is; 0 for the other steps

    def payload(self, ticket_id: str) -> dict[str, Any]:
        return {"ticket_id": ticket_id, "step": self.step, "at": clock.iso(self.at), "round": self.round}


@dataclass(frozen=True)
class TimerChange:
    action: str  # "upsert" | "delete"
    name: str
    timer: Timer | None


def schedule_name(ticket_id: str, step: str) -> str:
    return f"{ticket_id}-{step}"


def _planned(ticket: Ticket, hour: str | None = None) -> datetime | None:
    if not ticket.planned_date or not ticket.planned_time:
        return None
    local = datetime.combine(datetime.fromisoformat(ticket.planned_date).date(),
                             time.fromisoformat(hour or ticket.planned_time), tzinfo=clock.PARIS)
    return local


def out_of_the_night(moment: datetime, timers: Timers) -> datetime:
    """`moment`, or 08:00 Europe/Paris when it falls in the night (20:00-08:00 by default). The
    morning is built as a Paris date and hour, so it is 08:00 on both sides of a DST change."""
    local = clock.paris(moment)
    if timers.night_ends <= local.hour < timers.night_starts:
        return moment
    day = local.date() + timedelta(days=1) if local.hour >= timers.night_starts else local.date()
    return datetime.combine(day, time(timers.night_ends), tzinfo=clock.PARIS)


def quiet_nights(ticket: Ticket, timers: Timers) -> bool:
    """Whether the ticket's contractor timers keep out of the night: an SMS would wake them, unless
    the request is an emergency."""
    return timers.cadence(ticket.urgency).quiet_nights and "sms" in [str(c) for c in ticket.channels or []]


def _to_contractor(moment: datetime, ticket: Ticket, timers: Timers) -> datetime:
    return out_of_the_night(moment, timers) if quiet_nights(ticket, timers) else moment


def _unanswered(ticket: Ticket, cadence: Cadence, timers: Timers) -> list[Timer]:
    """The reminder, then the manager's alert: never before the reminder it follows, so a reminder
    moved to the morning moves the alert by as much."""
    sent = clock.parse_iso(str(ticket.request_sent_at))
    reminder = _to_contractor(sent + timedelta(hours=cadence.reminder_hours), ticket, timers)
    alert = max(sent + timedelta(hours=cadence.answer_alert_hours),
                reminder + timedelta(hours=cadence.answer_alert_hours - cadence.reminder_hours))
    result = [] if ticket.reminders_sent else [Timer(REMINDER, reminder)]
    return result + ([] if ticket.answer_alerted else [Timer(ANSWER_OVERDUE, alert)])


def wanted(ticket: Ticket, timers: Timers) -> dict[str, Timer]:
    """The timers this ticket needs now, by step."""
    state = State(ticket.state)
    cadence = timers.cadence(ticket.urgency)
    result: list[Timer] = []
    if state in (State.SENT, State.QUOTE_REQUESTED) and ticket.request_sent_at:
        result += _unanswered(ticket, cadence, timers)
    elif state is State.SCHEDULED and (planned := _planned(ticket)) is not None:
        if (occupant_reminder := _occupant_reminder(ticket, planned)) is not None:
            result.append(occupant_reminder)
        if not ticket.presence_requested_at:
            result.append(Timer(PRESENCE_CHECK, planned))  # the hour the contractor chose: they are at work
        elif not ticket.presence_alerted:
            expected = _planned(ticket, ticket.late_until) or planned
            result.append(Timer(PRESENCE_OVERDUE, expected + timedelta(minutes=cadence.presence_grace_minutes)))
    elif state is State.ON_SITE and ticket.on_site_at:
        result.append(Timer(COMPLETION_OFFER, _to_contractor(
            clock.parse_iso(ticket.on_site_at) + timedelta(hours=timers.completion_offer_hours), ticket, timers)))
    elif state in (State.COMPLETED, State.INVOICE_REQUESTED) and ticket.completed_at:
        done = int(ticket.invoice_requests or 0)
        due = (clock.parse_iso(ticket.completed_at) + timedelta(days=timers.invoice_first_days)
               + timedelta(days=timers.invoice_every_days) * done)
        if done < timers.invoice_max_requests:
            result.append(Timer(INVOICE_REQUEST, _to_contractor(due, ticket, timers), round=done + 1))
        elif not ticket.invoice_alerted:
            result.append(Timer(INVOICE_OVERDUE, due))
    return {timer.step: Timer(timer.step, timer.at.astimezone(clock.UTC_ZONE), timer.round) for timer in result}


def occupant_date_key(ticket: Ticket) -> str:
    return f"{ticket.planned_date} {ticket.planned_time}"


def _occupant_reminder(ticket: Ticket, planned: datetime) -> Timer | None:
    """The occupant's reminder: the day before at 18:00, for the date they were told, once; none
    when they learnt the date after that hour (the message they got is the reminder)."""
    told = ticket.occupant_told or {}
    if (told.get("date"), told.get("time")) != (ticket.planned_date, ticket.planned_time):
        return None
    if ticket.occupant_reminded == occupant_date_key(ticket) or not (ticket.occupant_phone or ticket.occupant_email):
        return None
    at = datetime.combine(planned.date() - timedelta(days=1), OCCUPANT_REMINDER_HOUR, tzinfo=clock.PARIS)
    return Timer(OCCUPANT_REMINDER, at) if at > clock.parse_iso(str(told.get("at"))) else None


def changes(ticket_id: str, before: dict[str, Timer], after: dict[str, Timer]) -> list[TimerChange]:
    """What to tell the Scheduler so that the ticket's schedules match `after`."""
    result = [TimerChange("delete", schedule_name(ticket_id, step), None) for step in before if step not in after]
    result += [TimerChange("upsert", schedule_name(ticket_id, step), timer)
               for step, timer in after.items() if before.get(step) != timer]
    return result


def still_wanted(ticket: Ticket, timers: Timers, payload: dict[str, Any]) -> Timer | None:
    """The timer a fire is for, if the ticket still wants exactly it (same step, time, round)."""
    timer = wanted(ticket, timers).get(str(payload.get("step")))
    if timer is None or timer.payload(ticket.ticket_id) != {**payload, "ticket_id": ticket.ticket_id}:
        return None
    return timer
