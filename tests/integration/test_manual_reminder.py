""""Relancer l'intervenant": the step's reminder at once, with the manager's line, one per quarter hour."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from chalicelib.data import store
from chalicelib.domain import clock
from chalicelib.domain.errors import TooSoon
from chalicelib.usecases import manual_reminder, timers
from tests.integration.conftest import FORM_HEADERS, People, new_ticket, sent_messages
from tests.integration.test_admin import csrf_of, signed_in_headers
from tests.integration.test_timers import accepted_ticket, fire


def _page(client: Client, headers: dict[str, str], ticket_id: str) -> str:
    return client.http.get(f"/admin/tickets/{ticket_id}", headers=headers).body.decode()


def _form_id(page: str) -> str:
    match = re.search(r'actions/remind_now".*?name="form_id" value="([^"]+)"', page, re.S)
    assert match, "no Relancer button"
    return match.group(1)


def _remind(client: Client, headers: dict[str, str], ticket_id: str, page: str, note: str = "",
            form_id: str | None = None) -> Any:
    body = urlencode({"csrf": csrf_of(page), "form_id": form_id or _form_id(page), "note": note})
    return client.http.post(f"/admin/tickets/{ticket_id}/actions/remind_now", headers={**FORM_HEADERS, **headers}, body=body)


def _reminders(ticket_id: str) -> int:
    return [e.event_type for e in store.load_ticket(ticket_id).events].count("remind_now")


def test_relancer_sends_the_request_again_with_the_managers_line_then_waits_a_quarter_hour(
        client: Client, people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people, people.email_only, channels=("email",))
    pump.drain()
    headers = signed_in_headers(client, people)
    page = _page(client, headers, ticket.ticket_id)
    before = len(sent_messages(aws)["email"])
    assert _remind(client, headers, ticket.ticket_id, page, "Pouvez-vous passer avant midi ?").status_code == 303
    pump.drain()
    emails = sent_messages(aws)["email"][before:]
    assert [m["destinations"]["ToAddresses"] for m in emails] == [["jane@smith-electrics.co.uk"]]
    assert "Pouvez-vous passer avant midi ?" in emails[0]["body"] and "Reminder" in emails[0]["subject"]
    view = store.load_ticket(ticket.ticket_id)
    assert view.events[-1].event_type == "remind_now" and view.events[-1].data["body"] == "Pouvez-vous passer avant midi ?"
    assert view.events[-1].actor == "manager"
    # It stands for the automatic reminder: only the manager's alert stays planned.
    assert sorted(t for t in timers.planning.wanted(view.ticket, timers.settings().timers)) == ["answer_overdue"]

    page = _page(client, headers, ticket.ticket_id)
    assert "Prochaine relance possible à partir de" in page
    next_at = clock.parse_iso(str(view.ticket.manual_reminder_at)) + timedelta(minutes=15)
    assert f'datetime="{clock.iso(next_at)}"' in page
    again = _remind(client, headers, ticket.ticket_id, page)  # a fresh form, within the quarter hour
    assert again.status_code == 400 and "la suivante est possible 15 minutes après" in again.body.decode()
    pump.drain()
    assert _reminders(ticket.ticket_id) == 1 and len(sent_messages(aws)["email"]) == before + 1
    # After the quarter hour, the next one goes.
    manual_reminder.remind_now(store.load_ticket(ticket.ticket_id), people.manager, "", "later", next_at)
    assert _reminders(ticket.ticket_id) == 2


def test_a_double_click_or_two_managers_at_once_send_one_reminder(client: Client, people: People, pump: Any,
                                                                     aws: str) -> None:
    ticket = new_ticket(people, people.email_only, channels=("email",))
    pump.drain()
    headers = signed_in_headers(client, people)
    page = _page(client, headers, ticket.ticket_id)
    form_id = _form_id(page)
    assert _remind(client, headers, ticket.ticket_id, page, form_id=form_id).status_code == 303
    assert _remind(client, headers, ticket.ticket_id, page, form_id=form_id).status_code == 303  # the same click again
    assert _reminders(ticket.ticket_id) == 1
    other = new_ticket(people, people.email_only, channels=("email",))
    views = [store.load_ticket(other.ticket_id) for _ in range(4)]  # each read before any write

    def remind(n: int) -> str:
        try:
            manual_reminder.remind_now(views[n], people.manager, "", f"click-{n}", clock.now())
        except (store.Conflict, TooSoon):
            return "refused"
        return "sent"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(remind, range(4)))
    assert outcomes == ["refused", "refused", "refused", "sent"]
    assert _reminders(other.ticket_id) == 1


def test_each_step_reminds_of_what_it_asks_and_a_planned_job_has_nothing_to_remind(client: Client, people: People,
                                                                                     pump: Any, aws: str) -> None:
    ticket, _ = accepted_ticket(client, people, pump)
    headers = signed_in_headers(client, people)
    assert 'id="remind-now"' not in _page(client, headers, ticket.ticket_id)  # the date is set: nothing owed yet
    fire(ticket.ticket_id, "presence_check")
    pump.drain()
    before = len(sent_messages(aws)["email"])
    assert _remind(client, headers, ticket.ticket_id, _page(client, headers, ticket.ticket_id)).status_code == 303
    pump.drain()
    assert any("Confirmez votre présence" in m["subject"] for m in sent_messages(aws)["email"][before:])


def test_at_night_the_sms_waits_for_8_and_the_email_goes_at_once(people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)  # urgent, SMS and email
    night = datetime(2027, 1, 12, 21, 30, tzinfo=UTC)  # 22:30 in Paris
    manual_reminder.remind_now(store.load_ticket(ticket.ticket_id), people.manager, "", "night", night)
    sent = [n for n in store.load_ticket(ticket.ticket_id).notifications if n.created_at == clock.iso(night)]
    due = {n.channel: n.outbox_due for n in sent if n.audience == "contractor"}
    assert due == {"sms": "2027-01-13T07:00:00.000Z", "email": clock.iso(night)}


def test_a_row_of_a_traiter_that_waits_on_the_contractor_has_the_button(client: Client, people: People, pump: Any,
                                                                         aws: str) -> None:
    ticket = new_ticket(people, people.email_only, channels=("email",))
    pump.drain()
    fire(ticket.ticket_id, "answer_overdue")
    pump.drain()
    headers = signed_in_headers(client, people)
    home = client.http.get("/admin", headers=headers).body.decode()
    row = re.search(r'id="attention-unanswered".*?</section>', home, re.S)
    assert row and f"/admin/tickets/{ticket.ticket_id}/actions/remind_now" in row.group(0)
    form_id = re.search(r'remind_now".*?name="form_id" value="([^"]+)"', row.group(0), re.S)
    assert form_id
    body = urlencode({"csrf": csrf_of(home), "form_id": form_id.group(1), "back": "attention"})
    answer = client.http.post(f"/admin/tickets/{ticket.ticket_id}/actions/remind_now",
                              headers={**FORM_HEADERS, **headers}, body=body)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin")
    assert _reminders(ticket.ticket_id) == 1
