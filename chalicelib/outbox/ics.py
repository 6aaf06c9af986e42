"""The intervention as a calendar file (.ics), attached to the acceptance email."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.aws.channels import Attachment
from chalicelib.domain import clock

DURATION = timedelta(hours=1)


def invitation(ticket_id: str, params: dict[str, Any], url: str) -> Attachment:
    """One VEVENT at the planned date and time (Europe/Paris), stable UID so updates replace it."""
    from icalendar import Calendar, Event  # only acceptance emails need it

    start = datetime.combine(datetime.fromisoformat(str(params["planned_date"])).date(),
                             time.fromisoformat(str(params["planned_time"])), tzinfo=clock.PARIS)
    event = Event()
    event.add("uid", f"{ticket_id}@relais")
    event.add("dtstamp", clock.now())
    event.add("dtstart", start)
    event.add("dtend", start + DURATION)
    event.add("summary", f"{params.get('reference', '')} {params.get('title', '')}".strip())
    event.add("location", str(params.get("site_address", "")))
    event.add("description", f"{params.get('access_notes') or ''}\n{url}".strip())
    event.add("url", url)
    event.add("sequence", int(params.get("sequence", 0)))
    cal = Calendar()
    cal.add("prodid", "-//Relais//Intervention//FR")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(event)
    return Attachment("intervention.ics", "text/calendar", cal.to_ical())
