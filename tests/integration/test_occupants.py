"""The occupant is told: the date when the contractor sets it or moves it, a reminder the day before at
18:00, a cancellation; their own read-only page says absent to the manager. The contractor sees the
occupant's contact details only once they accepted."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from chalicelib.data import store
from chalicelib.domain import clock
from chalicelib.domain.forms import NewRequest
from chalicelib.domain.occupants import Occupant
from chalicelib.usecases import tickets, timers
from local.harness import recording_aws_calls
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, sent_messages
from tests.integration.test_admin import csrf_of, draft_of, signed_in_headers
from tests.integration.test_timers import act, schedule, schedule_names

OCCUPANT_PHONE = "+33698765432"
OCCUPANT_EMAIL = "lea.roux@example.fr"
OCCUPANT_LINK = re.compile(r"http://127\.0\.0\.1:8000(/o/[A-Z0-9]{26}/[A-Za-z0-9_-]+)")


def occupied_ticket(people: People) -> Any:
    request = NewRequest("", "intervention", "Fuite sous l'évier", "Fuite au lot 12.", "14 rue des Lilas, Lyon",
                         "Digicode 4521B", "urgent", ("sms", "email"), Occupant("Léa Roux", OCCUPANT_PHONE, OCCUPANT_EMAIL))
    return tickets.create_request(people.manager, people.plumber, request, clock.now())


def in_days(days: int) -> str:
    return (clock.paris(clock.now()) + timedelta(days=days)).date().isoformat()


def occupant_sms(aws: str) -> list[str]:
    return [m["message"] for m in sent_messages(aws)["sms"] if m["phone_number"] == OCCUPANT_PHONE]


def occupant_path(aws: str) -> str:
    match = OCCUPANT_LINK.search(occupant_sms(aws)[-1])
    assert match, occupant_sms(aws)
    return match.group(1)


def accepted(client: Client, people: People, pump: Any, day: str, hour: str = "08:30") -> tuple[Any, str]:
    ticket = occupied_ticket(people)
    path = contractor_path(ticket.ticket_id)
    assert act(client, path, "answer", {"decision": "accept", "planned_date": day, "planned_time": hour}).status_code == 303
    pump.drain()
    return ticket, path


def absent_token(html: str) -> str:
    match = re.search(r'action="[^"]+/absent".*?name="form_token" value="([^"]+)"', html, re.S)
    assert match, "no 'Je serai absent' form"
    return match.group(1)


def test_the_occupant_gets_the_date_by_sms_and_email_and_a_page_of_their_own(client: Client, people: People, pump: Any,
                                                                            aws: str) -> None:
    ticket = occupied_ticket(people)
    path = contractor_path(ticket.ticket_id)
    assert OCCUPANT_PHONE not in client.http.get(path).body.decode()  # not before accepting
    day = in_days(3)
    assert act(client, path, "answer", {"decision": "accept", "planned_date": day, "planned_time": "08:30"}).status_code == 303
    pump.drain()

    [sms] = occupant_sms(aws)
    assert sms.startswith("Intervention le ") and " à 8 h 30, entreprise Plomberie Benali. http://127.0.0.1:8000/o/" in sms
    assert "/t/" not in sms
    emails = [m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == [OCCUPANT_EMAIL]]
    assert len(emails) == 1 and "/t/" not in emails[0]["body"] and "/o/" in emails[0]["body"]
    assert OCCUPANT_PHONE in client.http.get(path).body.decode()  # accepted: the contractor may call them

    page_path = occupant_path(aws)
    with recording_aws_calls() as calls:
        page = client.http.get(page_path)
    assert page.status_code == 200 and calls.dynamodb() == ["Query"]  # as lean as the contractor's form
    body = page.body.decode()
    assert "Plomberie Benali" in body and "8 h 30" in body and "Je serai absent" in body
    assert "/t/" not in body and "Accepter" not in body and "Digicode" not in body
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    # Each link opens its own page only.
    occupant_secret, contractor_secret = page_path.rsplit("/", 1)[1], path.rsplit("/", 1)[1]
    assert client.http.get(f"/t/{ticket.ticket_id}/{occupant_secret}").status_code == 404
    assert client.http.get(f"/o/{ticket.ticket_id}/{contractor_secret}").status_code == 404
    assert store.load_ticket(ticket.ticket_id).ticket.state == "scheduled"  # the page changed nothing


def test_je_serai_absent_alerts_the_manager_once_and_is_rate_limited(client: Client, people: People, pump: Any,
                                                                     aws: str) -> None:
    ticket, path = accepted(client, people, pump, in_days(3))
    page_path = occupant_path(aws)
    token = absent_token(client.http.get(page_path).body.decode())
    body = urlencode({"form_token": token, "note": "Disponible jeudi matin"})
    first = client.http.post(f"{page_path}/absent", headers=FORM_HEADERS, body=body)
    again = client.http.post(f"{page_path}/absent", headers=FORM_HEADERS, body=body)  # a double click
    assert first.status_code == again.status_code == 303
    pump.drain()

    view = store.load_ticket(ticket.ticket_id)
    [absence] = [e for e in view.events if e.event_type == "occupant_absent"]
    assert absence.actor == "occupant" and absence.actor_name == "Léa Roux" and absence.data["body"] == "Disponible jeudi matin"
    alerts = [m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == [people.manager.email]
              and "occupant a signalé" in m["body"]]
    assert len(alerts) == 1 and "Disponible jeudi matin" in alerts[0]["body"]
    assert "Vous avez signalé votre absence" in client.http.get(page_path).body.decode()
    # The manager sees it on the ticket; the contractor's thread does not show it.
    admin = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "Disponible jeudi matin" in admin and "L&#39;occupant sera absent" in admin
    assert "Disponible jeudi matin" not in client.http.get(path).body.decode()

    token = absent_token(client.http.get(page_path).body.decode())
    soon = client.http.post(f"{page_path}/absent", headers=FORM_HEADERS, body=urlencode({"form_token": token, "note": "Encore"}))
    assert soon.status_code == 429 and "Vous pourrez écrire à nouveau après" in soon.body.decode()
    assert len([e for e in store.load_ticket(ticket.ticket_id).events if e.event_type == "occupant_absent"]) == 1


def test_a_forged_or_missing_token_records_nothing(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket, _ = accepted(client, people, pump, in_days(3))
    page_path = occupant_path(aws)
    response = client.http.post(f"{page_path}/absent", headers=FORM_HEADERS, body=urlencode({"form_token": "x", "note": "a"}))
    assert response.status_code == 400 and "Le formulaire a expiré" in response.body.decode()
    assert not [e for e in store.load_ticket(ticket.ticket_id).events if e.event_type == "occupant_absent"]


def test_the_reminder_is_planned_the_day_before_at_18h_and_sent_once(client: Client, people: People, pump: Any,
                                                                     aws: str) -> None:
    day = in_days(3)
    ticket, _ = accepted(client, people, pump, day)
    name = f"{ticket.ticket_id}-occupant_reminder"
    assert name in schedule_names()
    eve = datetime.combine(datetime.fromisoformat(day).date() - timedelta(days=1), time(18, 0))
    assert schedule(name)["ScheduleExpression"] == f"at({eve.isoformat()})"
    assert schedule(name)["ScheduleExpressionTimezone"] == "Europe/Paris"

    import json
    payload = json.loads(schedule(name)["Target"]["Input"])
    assert timers.fire(payload) == "done"
    assert timers.fire(payload) in ("duplicate", "stale")
    pump.drain()
    reminders = [s for s in occupant_sms(aws) if s.startswith("Rappel : intervention demain")]
    assert len(reminders) == 1 and "/o/" in reminders[0]
    assert name not in schedule_names()  # done: the ticket no longer wants it


def test_a_new_date_and_a_cancellation_are_told_and_the_reminder_follows(client: Client, people: People, pump: Any,
                                                                         aws: str) -> None:
    ticket, path = accepted(client, people, pump, in_days(3))
    first_link = occupant_path(aws)
    new_day = in_days(5)
    assert act(client, path, "reschedule", {"planned_date": new_day, "planned_time": "14:00"}).status_code == 303
    pump.drain()
    moved = occupant_sms(aws)[-1]
    assert moved.startswith("Intervention déplacée au ") and "à 14 h" in moved
    assert occupant_path(aws) == first_link  # one page per ticket, the same link in every message
    eve = datetime.combine(datetime.fromisoformat(new_day).date() - timedelta(days=1), time(18, 0))
    assert schedule(f"{ticket.ticket_id}-occupant_reminder")["ScheduleExpression"] == f"at({eve.isoformat()})"

    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    form_id = re.search(r'actions/cancel".*?name="form_id" value="([^"]+)"', page, re.S).group(1)  # type: ignore[union-attr]
    body = urlencode({"csrf": csrf_of(page), "form_id": form_id, "reason": "Fuite réparée par le syndic"})
    assert client.http.post(f"/admin/tickets/{ticket.ticket_id}/actions/cancel", headers={**FORM_HEADERS, **headers},
                            body=body).status_code == 303
    pump.drain()
    cancelled = occupant_sms(aws)[-1]
    assert cancelled.startswith("Intervention du ") and "annulée" in cancelled and "à 14 h" in cancelled
    assert f"{ticket.ticket_id}-occupant_reminder" not in schedule_names()
    assert "Cette intervention est annulée." in client.http.get(first_link).body.decode()


def test_a_request_without_an_occupant_tells_nobody(client: Client, people: People, pump: Any, aws: str) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    answer = {"decision": "accept", "planned_date": in_days(3), "planned_time": "08:30"}
    assert act(client, path, "answer", answer).status_code == 303
    pump.drain()
    assert not [m for m in sent_messages(aws)["sms"] if "/o/" in m["message"]]
    assert f"{ticket.ticket_id}-occupant_reminder" not in schedule_names()
    assert not store.load_ticket(ticket.ticket_id).occupant_links


def test_the_new_request_form_checks_the_occupants_contacts(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    page = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    fields = {"csrf": csrf_of(page), "draft": draft_of(page), "contractor_id": people.plumber.contractor_id,
              "title": "Fuite", "description": "Fuite au lot 12.", "site_address": "14 rue des Lilas, Lyon",
              "urgency": "normal", "channels": "sms", "occupant_name": "Léa Roux"}
    for extra, message in (({"occupant_phone": "12"}, "Numéro de téléphone invalide."),
                           ({"occupant_phone": "04 78 00 00 00"}, "Ce numéro ne reçoit pas de SMS"),
                           ({"occupant_email": "lea@"}, "Adresse e-mail invalide."),
                           ({}, "Indiquez le portable ou l&#39;e-mail de l&#39;occupant")):
        response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode({**fields, **extra}))
        assert response.status_code == 400 and message in response.body.decode(), extra
    created = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers},
                               body=urlencode({**fields, "occupant_phone": "06 98 76 54 32", "occupant_language": "en"}))
    assert created.status_code == 303
    ticket = store.load_ticket(created.headers["Location"].rsplit("/", 1)[1]).ticket
    assert (ticket.occupant_name, ticket.occupant_phone, ticket.occupant_email, ticket.occupant_language) == \
        ("Léa Roux", OCCUPANT_PHONE, None, "en")


def test_a_reassignment_drops_the_date_the_occupant_had_and_the_next_one_is_told(client: Client, people: People, pump: Any,
                                                                                  aws: str) -> None:
    from chalicelib.data import directory
    from chalicelib.domain import contacts
    from chalicelib.usecases import ticket_admin

    ticket, _ = accepted(client, people, pump, in_days(3))
    other = directory.save_contractor(
        name="Paul Morel", company="Morel Sanitaire", trade="Plombier", phone=contacts.normalise_phone("06 11 22 33 44"),
        email=None, channels=["sms"])
    ticket_admin.reassign(store.load_ticket(ticket.ticket_id), people.manager, other, "reassign-1", clock.now())
    pump.drain()
    dropped = occupant_sms(aws)[-1]
    assert dropped.startswith("Intervention du ") and "annulée, entreprise Plomberie Benali" in dropped
    assert f"{ticket.ticket_id}-occupant_reminder" not in schedule_names()

    path = contractor_path(ticket.ticket_id)
    answer = {"decision": "accept", "planned_date": in_days(4), "planned_time": "10:00"}
    assert act(client, path, "answer", answer).status_code == 303
    pump.drain()
    told = occupant_sms(aws)[-1]
    assert told.startswith("Intervention le ") and "à 10 h, entreprise Morel Sanitaire." in told
