"""The .ics a contractor's calendar receives: valid (RFC 5545, iTIP REQUEST/CANCEL), in Europe/Paris
with its VTIMEZONE, one UID per ticket, and the SEQUENCE it is given."""

from __future__ import annotations

from datetime import datetime

import pytest
from icalendar import Calendar

from chalicelib.domain import clock
from chalicelib.outbox import ics
from tests.unit import calendar_rules

TICKET = "01KB2Z8ZK1V3X4Y5Z6A7B8C9D0"
PARAMS = {"planned_date": "2026-07-01", "planned_time": "14:30", "reference": "2026-00005", "title": "Fuite sous l'évier",
          "site_address": "14 rue des Lilas, Lyon", "access_notes": "Digicode 4521B", "contractor_name": "Karim Benali",
          "sequence": 7}


def _event(data: bytes) -> Calendar:
    (event,) = [c for c in Calendar.from_ical(data).subcomponents if c.name == "VEVENT"]
    return event


@pytest.mark.parametrize(("marker", "method", "status"), [(True, "REQUEST", "CONFIRMED"), ("request", "REQUEST", "CONFIRMED"),
                                                          ("cancel", "CANCEL", "CANCELLED")])
def test_the_calendar_file_is_valid_and_says_what_to_do(marker: object, method: str, status: str) -> None:
    attachment = ics.calendar_file(TICKET, {**PARAMS, "ics": marker}, "https://relais.example/t/X/s", "karim@example.fr")
    assert calendar_rules.problems(attachment.data) == []
    assert attachment.content_type == f"text/calendar; method={method}"
    cal = Calendar.from_ical(attachment.data)
    assert str(cal["METHOD"]) == method
    event = _event(attachment.data)
    assert str(event["UID"]) == f"{TICKET}@relais" and int(event["SEQUENCE"]) == 7 and str(event["STATUS"]) == status
    # Summer time in Paris: 14:30 there is 12:30 UTC, whatever the reader's time zone.
    assert event.decoded("DTSTART") == datetime(2026, 7, 1, 14, 30, tzinfo=clock.PARIS)
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 7200
    assert str(event["ATTENDEE"]) == "mailto:karim@example.fr" and event["ATTENDEE"].params["RSVP"] == "FALSE"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    (zone,) = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
    assert str(zone["TZID"]) == "Europe/Paris"


def test_the_checker_refuses_what_the_calendar_file_used_to_be() -> None:
    """Before: TZID=Europe/Paris with no VTIMEZONE, no ORGANIZER, no ATTENDEE."""
    old = (b"BEGIN:VCALENDAR\r\nPRODID:-//Relais//Intervention//FR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
           b"UID:x@relais\r\nDTSTAMP:20261129T091840Z\r\nDTSTART;TZID=Europe/Paris:20261201T143000\r\n"
           b"DTEND;TZID=Europe/Paris:20261201T153000\r\nSEQUENCE:0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    found = calendar_rules.problems(old)
    assert "TZID=Europe/Paris without its VTIMEZONE (3.2.19)" in found and "VEVENT without ORGANIZER" in found


def test_the_same_ticket_keeps_its_uid_and_a_later_date_its_higher_sequence() -> None:
    first = _event(ics.calendar_file(TICKET, {**PARAMS, "ics": True, "sequence": 3}, "u", "k@example.fr").data)
    moved = _event(ics.calendar_file(TICKET, {**PARAMS, "ics": True, "sequence": 5, "planned_time": "08:00"}, "u",
                                     "k@example.fr").data)
    assert first["UID"] == moved["UID"] and int(moved["SEQUENCE"]) > int(first["SEQUENCE"])
