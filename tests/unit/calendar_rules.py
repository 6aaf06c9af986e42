"""What RFC 5545 (iCalendar) and RFC 5546 (iTIP: REQUEST, CANCEL) require of a calendar file, checked
explicitly, beside the strict parse of the `ical` library (which fills in a missing UID or DTSTAMP
rather than refusing the file)."""

from __future__ import annotations

import re


def problems(data: bytes) -> list[str]:
    """Everything the file breaks; [] when it is valid."""
    from ical.calendar_stream import IcsCalendarStream
    from icalendar import Calendar

    found: list[str] = []
    text = data.decode("utf-8")
    if not text.endswith("\r\n") or re.search(r"(?<!\r)\n", text):
        found.append("lines must end with CRLF (3.1)")
    if any(len(line.encode()) > 75 for line in text.split("\r\n")):
        found.append("a content line is longer than 75 octets (3.1)")
    try:
        IcsCalendarStream.calendar_from_ics(text)
    except Exception as exc:  # the validator's own words are the report
        found.append(f"ical refuses it: {exc}")
    cal = Calendar.from_ical(text)
    for name in ("PRODID", "VERSION", "METHOD"):
        if len(re.findall(rf"^{name}[:;]", text.split("BEGIN:VTIMEZONE")[0], re.M)) != 1:
            found.append(f"VCALENDAR needs exactly one {name}")
    if str(cal.get("VERSION")) != "2.0":
        found.append("VERSION must be 2.0")
    method = str(cal.get("METHOD", ""))
    events = [c for c in cal.subcomponents if c.name == "VEVENT"]
    zones = {str(c.get("TZID")): c for c in cal.subcomponents if c.name == "VTIMEZONE"}
    if len(events) != 1:
        found.append("one VEVENT expected")
    for zone_id, zone in zones.items():
        rules = [c for c in zone.subcomponents if c.name in ("STANDARD", "DAYLIGHT")]
        if not rules or any(r.get(p) is None for r in rules for p in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO")):
            found.append(f"VTIMEZONE {zone_id} needs STANDARD/DAYLIGHT with DTSTART, TZOFFSETFROM, TZOFFSETTO (3.6.5)")
    for tzid in set(re.findall(r";TZID=([^:;]+)[:;]", text)):
        if tzid not in zones:
            found.append(f"TZID={tzid} without its VTIMEZONE (3.2.19)")
    for event in events:
        for name in ("UID", "DTSTAMP", "DTSTART", "SEQUENCE", "ORGANIZER"):  # ORGANIZER, SEQUENCE: RFC 5546 3.2.2, 3.2.5
            if event.get(name) is None:
                found.append(f"VEVENT without {name}")
        if event.get("DTEND") is not None and event.get("DURATION") is not None:
            found.append("DTEND and DURATION together (3.6.1)")
        if not re.search(r"\r\nDTSTAMP:\d{8}T\d{6}Z\r\n", text):
            found.append("DTSTAMP must be in UTC (3.8.7.2)")
        if method == "REQUEST" and event.get("ATTENDEE") is None:
            found.append("a REQUEST names its ATTENDEE (RFC 5546 3.2.2)")
        if method == "CANCEL" and str(event.get("STATUS", "")) != "CANCELLED":
            found.append("a CANCEL of the whole event says STATUS:CANCELLED (RFC 5546 3.2.5)")
        if method not in ("REQUEST", "CANCEL", "PUBLISH"):
            found.append(f"unexpected METHOD {method}")
        start, end = event.get("DTSTART"), event.get("DTEND")
        if start is not None and end is not None and end.dt <= start.dt:
            found.append("DTEND must be after DTSTART")
    return found
