"""Each urgency chases at its own pace, never wakes a contractor by SMS at night, and a change of
urgency re-plans the ticket's schedules in the transaction that records it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
from chalice.test import Client

from chalicelib.data import store
from chalicelib.domain import clock
from chalicelib.domain.forms import NewRequest
from chalicelib.outbox import dispatcher
from chalicelib.usecases import changes, tickets, timers, urgency
from tests.integration.conftest import FORM_HEADERS, People
from tests.integration.test_admin import csrf_of, signed_in_headers

GROUP = "relais"


def held(name: str) -> dict[str, Any]:
    return dict(boto3.client("scheduler").get_schedule(Name=name, GroupName=GROUP))


def when(name: str) -> str:
    """The schedule's time as EventBridge Scheduler holds it: expression and time zone."""
    schedule = held(name)
    return f"{schedule['ScheduleExpression']} {schedule['ScheduleExpressionTimezone']}"


def request(people: People, level: str, sent_at: datetime, channels: tuple[str, ...] = ("sms", "email")) -> Any:
    """A request sent at `sent_at`; its outbox items (due then) are sent as the sweep would at that time."""
    form = NewRequest("", "intervention", "Fuite sous l'évier", "Fuite au lot 12.", "14 rue des Lilas, Lyon", "",
                      level, channels)
    ticket = tickets.create_request(people.manager, people.plumber, form, sent_at)
    dispatcher.sweep(now=max(sent_at, clock.now()))
    return ticket


def test_an_urgent_request_is_chased_after_4_hours_an_emergency_after_1_a_normal_one_after_24(
        people: People, pump: Any, aws: str) -> None:
    noon = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)  # 12:00 in Paris: every reminder falls by day
    urgent, emergency, normal = (request(people, level, noon) for level in ("urgent", "emergency", "normal"))
    pump.drain()
    assert when(f"{emergency.ticket_id}-reminder") == "at(2027-01-12T13:00:00) Europe/Paris"
    assert when(f"{emergency.ticket_id}-answer_overdue") == "at(2027-01-12T14:00:00) Europe/Paris"
    assert when(f"{urgent.ticket_id}-reminder") == "at(2027-01-12T16:00:00) Europe/Paris"
    assert when(f"{urgent.ticket_id}-answer_overdue") == "at(2027-01-12T20:00:00) Europe/Paris"
    assert when(f"{normal.ticket_id}-reminder") == "at(2027-01-13T12:00:00) Europe/Paris"
    assert when(f"{normal.ticket_id}-answer_overdue") == "at(2027-01-14T12:00:00) Europe/Paris"


def test_a_reminder_due_at_night_waits_for_8_in_paris_on_both_sides_of_the_clock_changes(
        people: People, pump: Any, aws: str) -> None:
    # 2027-03-28: Paris goes from 02:00 to 03:00 (UTC+1 to UTC+2); 2027-10-31: back from 03:00 to 02:00.
    spring = request(people, "urgent", datetime(2027, 3, 27, 18, 30, tzinfo=UTC))  # 19:30 in Paris: due 23:30
    autumn = request(people, "urgent", datetime(2027, 10, 30, 19, 0, tzinfo=UTC))  # 21:00 in Paris: due 01:00
    early = request(people, "urgent", datetime(2027, 10, 31, 1, 30, tzinfo=UTC))  # 02:30 (the second one): due 06:30
    emergency = request(people, "emergency", datetime(2027, 3, 27, 19, 0, tzinfo=UTC))  # wakes them: 21:00
    by_email = request(people, "urgent", datetime(2027, 3, 27, 18, 30, tzinfo=UTC), channels=("email",))
    pump.drain()
    assert when(f"{spring.ticket_id}-reminder") == "at(2027-03-28T08:00:00) Europe/Paris"  # 06:00 UTC
    assert when(f"{autumn.ticket_id}-reminder") == "at(2027-10-31T08:00:00) Europe/Paris"  # 07:00 UTC
    assert when(f"{early.ticket_id}-reminder") == "at(2027-10-31T08:00:00) Europe/Paris"
    assert when(f"{emergency.ticket_id}-reminder") == "at(2027-03-27T21:00:00) Europe/Paris"
    assert when(f"{by_email.ticket_id}-reminder") == "at(2027-03-27T23:30:00) Europe/Paris"  # no SMS to hold back
    # The manager's alert keeps its distance after the reminder it follows: never before it.
    assert when(f"{spring.ticket_id}-answer_overdue") == "at(2027-03-28T12:00:00) Europe/Paris"
    # The fire at 08:00 is the one the ticket wants: the contractor gets the SMS then.
    payload = json.loads(held(f"{spring.ticket_id}-reminder")["Target"]["Input"])
    assert payload["at"] == "2027-03-28T06:00:00.000Z"
    assert timers.fire(payload, now=datetime(2027, 3, 28, 6, 0, tzinfo=UTC)) == "done"


def _change_urgency(client: Client, people: People, ticket_id: str, level: str) -> Any:
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket_id}", headers=headers).body.decode()
    match = re.search(r'actions/change_urgency".*?name="form_id" value="([^"]+)"', page, re.S)
    assert match, "no urgency change on the ticket page"
    body = urlencode({"csrf": csrf_of(page), "form_id": match.group(1), "urgency": level})
    return client.http.post(f"/admin/tickets/{ticket_id}/actions/change_urgency", headers={**FORM_HEADERS, **headers},
                            body=body)


def test_raising_the_urgency_on_the_ticket_page_brings_the_reminder_forward(client: Client, people: People, pump: Any,
                                                                            aws: str) -> None:
    sent = clock.now().replace(microsecond=0)
    ticket = request(people, "normal", sent, channels=("email",))
    pump.drain()
    old = json.loads(held(f"{ticket.ticket_id}-reminder")["Target"]["Input"])
    assert old["at"] == clock.iso(sent + timedelta(hours=24))
    assert _change_urgency(client, people, ticket.ticket_id, "emergency").status_code == 303
    pump.drain()
    new = json.loads(held(f"{ticket.ticket_id}-reminder")["Target"]["Input"])
    assert new["at"] == clock.iso(sent + timedelta(hours=1))
    alert = json.loads(held(f"{ticket.ticket_id}-answer_overdue")["Target"]["Input"])
    assert alert["at"] == clock.iso(sent + timedelta(hours=2))
    assert timers.fire(old) == "stale"  # the replaced time: a late fire of it does nothing
    view = store.load_ticket(ticket.ticket_id)
    assert view.ticket.urgency == "emergency"
    event = view.events[-1]
    assert event.event_type == "change_urgency" and event.data["urgency"] == {"before": "normal", "after": "emergency"}
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "relance après 1 h sans réponse, alerte après 2 h" in page
    same = _change_urgency(client, people, ticket.ticket_id, "emergency")
    assert same.status_code == 400 and "déjà l&#39;urgence du ticket" in same.body.decode()
    unknown = _change_urgency(client, people, ticket.ticket_id, "tomorrow")
    assert unknown.status_code == 400 and store.load_ticket(ticket.ticket_id).ticket.version == view.ticket.version


def test_replan_after_urgency_change_is_one_transaction_with_the_callers_other_edits(people: People, pump: Any,
                                                                                    aws: str) -> None:
    """What an edit of a sent request calls: its own field changes ride in the same write."""
    sent = clock.now().replace(microsecond=0)
    ticket = request(people, "emergency", sent, channels=("email",))
    pump.drain()
    view, stale = store.load_ticket(ticket.ticket_id), store.load_ticket(ticket.ticket_id)

    def new_access(t: Any) -> None:
        t.access_notes = "Clé chez la gardienne"

    urgency.replan_after_urgency_change(view, changes.manager_who(people.manager), "normal", now=clock.now(),
                                        submission_id="edit-1", also=new_access,
                                        data={"access_notes": {"before": "", "after": "Clé chez la gardienne"}})
    pump.drain()
    after = store.load_ticket(ticket.ticket_id)
    assert (after.ticket.urgency, after.ticket.access_notes) == ("normal", "Clé chez la gardienne")
    assert json.loads(held(f"{ticket.ticket_id}-reminder")["Target"]["Input"])["at"] == clock.iso(sent + timedelta(hours=24))
    assert after.events[-1].data["access_notes"]["after"] == "Clé chez la gardienne"
    # A stale view (the ticket moved since it was read) writes nothing: the version guards the write.
    try:
        urgency.replan_after_urgency_change(stale, changes.manager_who(people.manager), "urgent", now=clock.now())
    except store.Conflict:
        pass
    else:
        raise AssertionError("a stale view was written")
    assert store.load_ticket(ticket.ticket_id).ticket.urgency == "normal"
