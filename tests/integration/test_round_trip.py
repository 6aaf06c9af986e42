"""The first round trip: request sent by SMS and email, contractor answers, manager alerted."""

from __future__ import annotations

from urllib.parse import urlencode

from chalice.test import Client

from chalicelib.data import store
from chalicelib.domain import clock
from chalicelib.domain.forms import NewRequest
from chalicelib.usecases import tickets
from tests.integration.conftest import People, form_token, link_path, sent_messages, tomorrow_paris

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def new_ticket(people: People, channels: tuple[str, ...] = ("sms", "email"), contractor=None):  # type: ignore[no-untyped-def]
    request = NewRequest("", "intervention", "Fuite sous l'évier", "Fuite au lot 12.", "14 rue des Lilas, Lyon",
                         "Digicode 4521B", "urgent", channels)
    return tickets.create_request(people.manager, contractor or people.plumber, request, clock.now())


def test_request_reaches_the_contractor_by_sms_and_email_with_the_same_link(client: Client, people: People, pump, aws) -> None:  # type: ignore[no-untyped-def]
    ticket = new_ticket(people)
    pump.drain()
    sent = sent_messages(aws)
    assert len(sent["sms"]) == 1 and len(sent["email"]) == 1
    sms, email = sent["sms"][0], sent["email"][0]
    assert sms["phone_number"] == "+33612345678"
    assert ticket.reference in sms["message"] and len(sms["message"]) <= 320
    assert ticket.reference in email["subject"]
    assert "Voir les détails de l&#39;intervention" in email["body"] or "Voir les détails de l'intervention" in email["body"]
    assert link_path(sms["message"]) == link_path(email["body"])


def test_contractor_accepts_and_the_manager_is_alerted(client: Client, people: People, pump, aws) -> None:  # type: ignore[no-untyped-def]
    ticket = new_ticket(people)
    pump.drain()
    path = link_path(sent_messages(aws)["sms"][0]["message"])
    page = client.http.get(path)
    assert page.status_code == 200
    html = page.body.decode()
    assert "Fuite sous l&#39;évier" in html and "Accepter" in html and "Refuser" in html
    body = urlencode({"form_token": form_token(html), "decision": "accept", "planned_date": tomorrow_paris(),
                      "planned_time": "14:30", "comment": "Je passe avec un joint neuf."})
    answer = client.http.post(f"{path}/answer", headers=FORM, body=body)
    assert answer.status_code == 303
    confirmation = client.http.get(answer.headers["Location"])
    assert "Votre réponse a bien été envoyée" in confirmation.body.decode()
    view = store.load_ticket(ticket.ticket_id)
    assert view.ticket.state == "scheduled" and view.ticket.planned_time == "14:30"
    pump.drain()
    alerts = [m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == ["claire.martin@gestion-demo.fr"]]
    assert len(alerts) == 1 and "14:30" in alerts[0]["subject"]
