"""The contractor's calendar follows the ticket: the accepted date arrives as an entry, a new date
moves that same entry, a cancellation removes it. Read from the emails as SES is asked to send them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from chalice.test import Client
from icalendar import Calendar

from chalicelib.aws import clients as aws_clients
from chalicelib.domain import clock
from tests.integration.conftest import People, new_ticket
from tests.integration.test_timers import accepted_ticket, act, manager_action
from tests.unit import calendar_rules


@pytest.fixture
def calendar_files() -> Iterator[list[tuple[str, bytes]]]:
    """(the part's method, the .ics) of every email SES is asked to send, in order."""
    files: list[tuple[str, bytes]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        raw = params.get("Content", {}).get("Raw", {}).get("Data")
        if raw:
            for part in BytesParser(policy=policy.default).parsebytes(raw).iter_attachments():
                if part.get_content_type() == "text/calendar":
                    files.append((str(part.get_param("method")), part.get_payload(decode=True)))

    ses = aws_clients.client("sesv2")
    ses.meta.events.register("provide-client-params.sesv2.SendEmail", record)
    yield files
    ses.meta.events.unregister("provide-client-params.sesv2.SendEmail", record)
    aws_clients.reset_clients()


def _event(data: bytes) -> Any:
    (event,) = [c for c in Calendar.from_ical(data).subcomponents if c.name == "VEVENT"]
    return event


def test_a_new_date_moves_the_same_entry_and_a_cancellation_removes_it(client: Client, people: People, pump: Any,
                                                                       calendar_files: list[tuple[str, bytes]]) -> None:
    ticket, path = accepted_ticket(client, people, pump, "14:30")
    later = (clock.paris(clock.now()) + timedelta(days=3)).date()
    assert act(client, path, "reschedule", {"planned_date": later.isoformat(), "planned_time": "08:15"}).status_code == 303
    pump.drain()
    assert manager_action(client, people, ticket.ticket_id, "cancel", "Le locataire a réparé lui-même.").status_code == 303
    pump.drain()

    assert [method for method, _ in calendar_files] == ["REQUEST", "REQUEST", "CANCEL"]
    for _, data in calendar_files:
        assert calendar_rules.problems(data) == []
    accepted, moved, cancelled = (_event(data) for _, data in calendar_files)
    assert accepted["UID"] == moved["UID"] == cancelled["UID"] == f"{ticket.ticket_id}@relais"
    assert int(accepted["SEQUENCE"]) < int(moved["SEQUENCE"]) < int(cancelled["SEQUENCE"])
    assert moved.decoded("DTSTART").date() == later and moved.decoded("DTSTART").strftime("%H:%M") == "08:15"
    assert str(cancelled["STATUS"]) == "CANCELLED" and str(moved["STATUS"]) == "CONFIRMED"
    assert str(cancelled["ATTENDEE"]) == f"mailto:{people.plumber.email}"


def test_a_request_cancelled_before_any_date_sends_no_calendar_file(client: Client, people: People, pump: Any,
                                                                     calendar_files: list[tuple[str, bytes]]) -> None:
    ticket = new_ticket(people)
    pump.drain()
    assert manager_action(client, people, ticket.ticket_id, "cancel", "Plus nécessaire.").status_code == 303
    pump.drain()
    assert calendar_files == []
