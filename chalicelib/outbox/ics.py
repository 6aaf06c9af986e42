"""The intervention as a calendar file (.ics, RFC 5545 + iTIP, RFC 5546), attached to the contractor's
emails: the accepted date (REQUEST), each new date (REQUEST, same UID, higher SEQUENCE: calendars
move the entry they have), and the cancellation of a planned intervention (CANCEL: they remove it)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.aws.channels import Attachment
from chalicelib.config import settings
from chalicelib.data import agency
from chalicelib.domain import clock

DURATION = timedelta(hours=1)
REQUEST, CANCEL = "REQUEST", "CANCEL"


def method_of(params: dict[str, Any]) -> str:
    """Outbox items written before CANCEL existed say `"ics": true`: they are requests."""
    return CANCEL if str(params.get("ics")).lower() == "cancel" else REQUEST


def uid(ticket_id: str) -> str:
    """One per ticket, never changed: the calendar entry every later file updates or cancels."""
    return f"{ticket_id}@relais"


def calendar_file(ticket_id: str, params: dict[str, Any], url: str, attendee: str) -> Attachment:
    """One VEVENT at the planned date and time (or over the planned window), in Europe/Paris with its VTIMEZONE."""
    from icalendar import Calendar, Event, vCalAddress  # only emails with a date need it

    method = method_of(params)
    day = date.fromisoformat(str(params["planned_date"]))
    start = datetime.combine(day, time.fromisoformat(str(params["planned_time"])), tzinfo=clock.PARIS)
    profile = agency.current()
    organizer = vCalAddress(f"mailto:{settings().sender_email}")
    organizer.params["cn"] = profile.name
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params.update({"cn": str(params.get("contractor_name") or attendee), "role": "REQ-PARTICIPANT",
                         "partstat": "ACCEPTED", "rsvp": "FALSE"})  # accepted on the form: nothing to answer here

    event = Event()
    event.add("uid", uid(ticket_id))
    event.add("dtstamp", clock.now())
    event.add("sequence", int(params.get("sequence", 0)))
    event.add("dtstart", start)
    until = str(params.get("planned_until") or "")  # a window ends when it says; a time lasts DURATION
    event.add("dtend", datetime.combine(day, time.fromisoformat(until), tzinfo=clock.PARIS) if until else start + DURATION)
    event.add("summary", f"{params.get('reference', '')} {params.get('title', '')}".strip())
    event.add("location", str(params.get("site_address", "")))
    event.add("description", f"{params.get('access_notes') or ''}\n{url}".strip())
    event.add("url", url)
    event.add("organizer", organizer)
    event.add("attendee", guest)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")

    cal = Calendar()
    cal.add("prodid", "-//Relais//Intervention//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(event)
    cal.add_missing_timezones(first_date=date(day.year, 1, 1), last_date=date(day.year + 1, 12, 31))
    return Attachment("intervention.ics", f"text/calendar; method={method}", cal.to_ical())
