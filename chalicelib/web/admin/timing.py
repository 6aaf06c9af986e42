"""What the ticket page and À traiter show about timing: the urgency's cadence next to the planned
automatic steps, and whether "Relancer l'intervenant" may be used now or from when."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.web import deferred

if TYPE_CHECKING:
    from chalicelib.data.models import Ticket
    from chalicelib.usecases import manual_reminder, planning
else:
    manual_reminder, planning = deferred.modules("usecases.manual_reminder", "usecases.planning")

# À traiter's reasons where the contractor owes the answer: their rows carry the button.
WAITING_ON_CONTRACTOR = frozenset({"unanswered", "presence_missing", "invoice_missing"})


def panel(ticket: Ticket) -> dict[str, Any]:
    timers = settings().timers
    upcoming = manual_reminder.next_possible(ticket)
    return {
        "cadence": timers.cadence(ticket.urgency),
        "quiet_nights": planning.quiet_nights(ticket, timers),
        "night": (timers.night_starts, timers.night_ends),
        "can_remind": manual_reminder.reminder_template(ticket) is not None,
        "remind_from": clock.iso(upcoming) if upcoming and upcoming > clock.now() else "",
    }
