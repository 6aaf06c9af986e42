"""The rest of the lifecycle on EventBridge Scheduler: schedules as AWS holds them, fires, and
every step the contractor answers on the form."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from chalicelib.config import settings
from chalicelib.data import store
from chalicelib.dev import scheduler
from chalicelib.domain import clock
from chalicelib.usecases import planning, timers
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, new_ticket, sent_messages, tomorrow_paris
from tests.integration.test_admin import csrf_of, signed_in_headers
from tests.integration.test_conversation import JPEG, PDF, upload

GROUP = "relais"


def token(html: str, action: str) -> str:
    match = re.search(rf'action="[^"]+/{action}"[^>]*>(?:(?!</form>).)*?name="form_token" value="([^"]+)"', html, re.S)
    assert match, f"no {action} form on the page"
    return match.group(1)


def act(client: Client, path: str, action: str, fields: list[tuple[str, str]] | dict[str, str]) -> Any:
    html = client.http.get(path).body.decode()
    items = list(fields.items()) if isinstance(fields, dict) else fields
    body = urlencode([("form_token", token(html, action)), *items])
    return client.http.post(f"{path}/{action}", headers=FORM_HEADERS, body=body)


def schedule(name: str) -> dict[str, Any]:
    return dict(boto3.client("scheduler").get_schedule(Name=name, GroupName=GROUP))


def schedule_names() -> list[str]:
    return sorted(s["Name"] for s in boto3.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"])


def fire(ticket_id: str, step: str) -> str:
    """What EventBridge Scheduler does at the schedule's time (the input is the schedule's payload)."""
    payload = json.loads(schedule(f"{ticket_id}-{step}")["Target"]["Input"])
    return timers.fire(payload)


def accepted_ticket(client: Client, people: People, pump: Any, when: str = "14:30") -> tuple[Any, str]:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    response = act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": when})
    assert response.status_code == 303
    pump.drain()
    return ticket, path


def manager_action(client: Client, people: People, ticket_id: str, action: str, reason: str = "") -> Any:
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket_id}", headers=headers).body.decode()
    match = re.search(rf'actions/{action}".*?name="form_id" value="([^"]+)"', page, re.S)
    assert match, f"no {action} button on the ticket page"
    body = urlencode({"csrf": csrf_of(page), "form_id": match.group(1), "reason": reason})
    return client.http.post(f"/admin/tickets/{ticket_id}/actions/{action}", headers={**FORM_HEADERS, **headers}, body=body)


def state(ticket_id: str) -> str:
    return str(store.load_ticket(ticket_id).ticket.state)


def sms_texts(aws: str) -> list[str]:
    return [m["message"] for m in sent_messages(aws)["sms"]]


# -- schedules as AWS holds them ---------------------------------------------------------------

def test_accepting_places_the_presence_check_at_day_d_hour_h(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket, _ = accepted_ticket(client, people, pump, "14:30")
    held = schedule(f"{ticket.ticket_id}-presence_check")
    assert held["ScheduleExpression"] == f"at({tomorrow_paris()}T14:30:00)"
    assert held["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert held["ActionAfterCompletion"] == "DELETE"
    assert held["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = held["Target"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"]["Arn"].startswith("arn:aws:sqs:")
    assert json.loads(target["Input"])["step"] == "presence_check"
    # The request's reminder timers went away with the answer.
    assert schedule_names() == [f"{ticket.ticket_id}-presence_check"]


def test_a_reschedule_replaces_the_schedule_under_its_name_and_cancel_deletes_it(client: Client, people: People, pump: Any,
                                                                                 aws: str) -> None:
    ticket, path = accepted_ticket(client, people, pump, "14:30")
    same = act(client, path, "reschedule", {"planned_date": tomorrow_paris(), "planned_time": "14:30"})
    assert same.status_code == 400 and "C&#39;est déjà la date et l&#39;heure prévues" in same.body.decode()
    assert [e.event_type for e in store.load_ticket(ticket.ticket_id).events].count("reschedule") == 0
    day_after = (clock.paris(clock.now()) + timedelta(days=2)).date().isoformat()
    assert act(client, path, "reschedule", {"planned_date": day_after, "planned_time": "08:15"}).status_code == 303
    pump.drain()
    assert schedule(f"{ticket.ticket_id}-presence_check")["ScheduleExpression"] == f"at({day_after}T08:15:00)"
    alerts = [m for m in sent_messages(aws)["email"] if "changé la date" in m["subject"]]
    assert len(alerts) == 1
    assert manager_action(client, people, ticket.ticket_id, "cancel", "Doublon").status_code == 303
    pump.drain()
    assert schedule_names() == []


# -- presence at D/H ------------------------------------------------------------------------------

def test_the_presence_check_asks_the_contractor_and_the_form_shows_one_big_button(client: Client, people: People,
                                                                                  pump: Any, aws: str) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    assert fire(ticket.ticket_id, "presence_check") == "done"
    pump.drain()
    assert any("confirmez votre présence." in text for text in sms_texts(aws))
    html = client.http.get(path).body.decode()
    assert "Je suis sur place" in html and "Je serai en retard" in html
    # Nobody confirms: 30 minutes later the manager is alerted.
    assert f"{ticket.ticket_id}-presence_overdue" in schedule_names()
    assert fire(ticket.ticket_id, "presence_overdue") == "done"
    pump.drain()
    assert any("n'a pas confirmé sa présence" in m["subject"] for m in sent_messages(aws)["email"])


def test_a_schedule_fired_three_times_at_once_sends_one_sms(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket, _ = accepted_ticket(client, people, pump)
    payload = json.loads(schedule(f"{ticket.ticket_id}-presence_check")["Target"]["Input"])
    before = len(sms_texts(aws))
    with ThreadPoolExecutor(3) as pool:
        outcomes = sorted(pool.map(timers.fire, [payload] * 3))
    assert outcomes.count("done") == 1
    pump.drain()
    assert len(sms_texts(aws)) == before + 1
    assert [e.event_type for e in store.load_ticket(ticket.ticket_id).events].count("presence_check") == 1


def test_stale_fires_send_nothing(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket, path = accepted_ticket(client, people, pump, "14:30")
    stale = json.loads(schedule(f"{ticket.ticket_id}-presence_check")["Target"]["Input"])
    act(client, path, "reschedule", {"planned_date": tomorrow_paris(), "planned_time": "16:00"})
    assert timers.fire(stale) == "stale"  # the old time: the ticket now wants 16:00
    pump.drain()  # the replaced schedule reaches the Scheduler
    fresh = json.loads(schedule(f"{ticket.ticket_id}-presence_check")["Target"]["Input"])
    assert timers.fire(fresh) == "done"
    act(client, path, "presence", {})
    assert timers.fire(fresh) in ("stale", "duplicate")  # already answered
    other, _ = accepted_ticket(client, people, pump)
    payload = json.loads(schedule(f"{other.ticket_id}-presence_check")["Target"]["Input"])
    manager_action(client, people, other.ticket_id, "cancel")
    before = len(sms_texts(aws))
    assert timers.fire(payload) == "stale"  # after cancel
    pump.drain()
    assert [t for t in sms_texts(aws)[before:] if "présence" in t] == []


def test_a_delay_moves_the_alert_and_the_manager_is_told(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket, path = accepted_ticket(client, people, pump, "14:30")
    fire(ticket.ticket_id, "presence_check")
    bad = act(client, path, "late", {"late_until": "14:00"})
    assert bad.status_code == 400 and "après l&#39;heure prévue" in bad.body.decode()
    assert act(client, path, "late", {"late_until": "15:15"}).status_code == 303
    pump.drain()
    held = schedule(f"{ticket.ticket_id}-presence_overdue")
    assert held["ScheduleExpression"] == f"at({tomorrow_paris()}T15:35:00)"  # an urgent job: 20 minutes of grace
    assert any("sera en retard" in m["subject"] for m in sent_messages(aws)["email"])


# -- the whole way: presence, end of work without invoice, invoice chase, invoice, close ------------

def test_from_presence_to_closed_with_the_invoice_chase(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    fire(ticket.ticket_id, "presence_check")
    assert act(client, path, "presence", {}).status_code == 303
    assert state(ticket.ticket_id) == "on_site"
    pump.drain()
    on_site_at = clock.parse_iso(store.load_ticket(ticket.ticket_id).ticket.on_site_at or "")
    offer = schedule(f"{ticket.ticket_id}-completion_offer")["ScheduleExpression"]
    offered = planning.out_of_the_night(on_site_at + timedelta(hours=4), settings().timers)  # an SMS: never at night
    assert offer == f"at({clock.paris(offered).strftime('%Y-%m-%dT%H:%M:%S')})"
    assert fire(ticket.ticket_id, "completion_offer") == "done"
    assert state(ticket.ticket_id) == "completion_requested"
    pump.drain()
    assert any("travaux terminés ?" in text for text in sms_texts(aws))

    html = client.http.get(path).body.decode()
    proof = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "apres.jpg", "image/jpeg", JPEG)
    no_proof = act(client, path, "completion", {"done_on": clock.paris(clock.now()).date().isoformat()})
    assert no_proof.status_code == 400 and "au moins une photo" in no_proof.body.decode()
    done = act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                            ("proof_key", proof), ("proof_name", "apres.jpg")])
    assert done.status_code == 303 and state(ticket.ticket_id) == "completed"
    pump.drain()
    assert "Envoyer votre facture" in client.http.get(path).body.decode()

    for round_ in (1, 2, 3):  # 2 days after, then every 7 days, 3 times
        assert json.loads(schedule(f"{ticket.ticket_id}-invoice_request")["Target"]["Input"])["round"] == round_
        assert fire(ticket.ticket_id, "invoice_request") == "done"
        pump.drain()
    assert state(ticket.ticket_id) == "invoice_requested"
    assert sum("envoyez votre facture." in text for text in sms_texts(aws)) == 3
    assert fire(ticket.ticket_id, "invoice_overdue") == "done"
    pump.drain()
    assert any("toujours manquante" in m["subject"] for m in sent_messages(aws)["email"])

    html = client.http.get(path).body.decode()
    photo = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "facture.jpg", "image/jpeg", JPEG)
    invoice = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "facture.pdf", "application/pdf", PDF)
    refused = act(client, path, "invoice", [("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                            ("invoice_key", photo), ("invoice_name", "facture.jpg"),
                                            ("invoice_amount_excl", "400,00"),
                                            ("invoice_amount", "480,00"), ("invoice_number", "F-2026-118")])
    assert refused.status_code == 400 and "facture.jpg : Un seul PDF, ou des photos des pages : pas les deux." in unescape(
        refused.body.decode())
    sent = act(client, path, "invoice", [("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                         ("invoice_amount_excl", "400,00"),
                                         ("invoice_amount", "480,00"), ("invoice_number", "F-2026-118")])
    assert sent.status_code == 303 and state(ticket.ticket_id) == "invoiced"
    assert store.load_ticket(ticket.ticket_id).ticket.invoice["amount"] == "480.00"  # type: ignore[index]
    assert manager_action(client, people, ticket.ticket_id, "close").status_code == 303
    assert state(ticket.ticket_id) == "closed"
    pump.drain()
    assert schedule_names() == []


def test_completion_with_the_invoice_goes_straight_to_invoiced(client: Client, people: People, pump: Any) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    html = client.http.get(path).body.decode()
    t = {"form_token": token(html, "messages")}
    proof = upload(client, f"{path}/uploads", t, "photo.jpg", "image/jpeg", JPEG)
    invoice = upload(client, f"{path}/uploads", t, "facture.pdf", "application/pdf", PDF)
    partial = act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                               ("proof_key", proof), ("proof_name", "photo.jpg"),
                                               ("invoice_amount_excl", "75"), ("invoice_amount", "90")])
    assert partial.status_code == 400 and "Joignez la facture (PDF ou photos)." in partial.body.decode()
    done = act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                            ("proof_key", proof), ("proof_name", "photo.jpg"),
                                            ("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                            ("invoice_amount_excl", "75"), ("invoice_amount", "90"), ("invoice_number", "F-7")])
    assert done.status_code == 303 and state(ticket.ticket_id) == "invoiced"
    pump.drain()
    assert schedule_names() == []


def test_the_manager_waives_the_invoice_and_the_chase_stops(client: Client, people: People, pump: Any) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    html = client.http.get(path).body.decode()
    proof = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "photo.jpg", "image/jpeg", JPEG)
    act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                     ("proof_key", proof), ("proof_name", "photo.jpg")])
    pump.drain()
    assert f"{ticket.ticket_id}-invoice_request" in schedule_names()
    stale = json.loads(schedule(f"{ticket.ticket_id}-invoice_request")["Target"]["Input"])
    assert manager_action(client, people, ticket.ticket_id, "waive_invoice").status_code == 303
    pump.drain()
    assert schedule_names() == [] and timers.fire(stale) == "stale"


# -- quotes -------------------------------------------------------------------------------------

def quote_ticket(people: People) -> Any:
    from chalicelib.domain.forms import NewRequest
    from chalicelib.usecases import tickets

    request = NewRequest("", "quote", "Remplacement chauffe-eau", "300 L", "14 rue des Lilas", "", "normal", ("sms", "email"))
    return tickets.create_request(people.manager, people.plumber, request, clock.now())


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"amount_excl": "-10", "amount_incl": "12"}, "amount_excl", "ne peut pas être négatif"),
    ({"amount_excl": "douze", "amount_incl": "12"}, "amount_excl", "Montant invalide"),
    ({"amount_excl": "1 200,00", "amount_incl": "1000"}, "amount_incl", "HT + TVA ne font pas le TTC"),
    ({"valid_until": "2020-01-01"}, "valid_until", "déjà passée"),
    ({"no_file": "1"}, "quote_file", "Joignez le devis (PDF ou photos)."),
])
def test_bad_quotes_get_field_errors_and_nothing_is_stored(client: Client, people: People, fields: dict[str, str],
                                                           field: str, message: str) -> None:
    ticket = quote_ticket(people)
    path = contractor_path(ticket.ticket_id)
    html = client.http.get(path).body.decode()
    pdf = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "devis.pdf", "application/pdf", PDF)
    form = {"amount_excl": "1000", "amount_incl": "1200", "valid_until": tomorrow_paris(), **fields}
    items = [(k, v) for k, v in form.items() if k != "no_file"]
    if "no_file" not in fields:
        items += [("quote_key", pdf), ("quote_name", "devis.pdf")]
    response = act(client, path, "quote", items)
    assert response.status_code == 400
    assert re.search(rf'id="{field}(-error|_file-error)">[^<]*{re.escape(message)}', response.body.decode())
    assert state(ticket.ticket_id) == "quote_requested"


def test_a_quote_accepted_becomes_the_intervention(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket = quote_ticket(people)
    path = contractor_path(ticket.ticket_id)
    html = client.http.get(path).body.decode()
    pdf = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "devis.pdf", "application/pdf", PDF)
    sent = act(client, path, "quote", [("amount_excl", "1 500,00"), ("amount_incl", "1 800,00"),
                                       ("valid_until", tomorrow_paris()), ("quote_key", pdf), ("quote_name", "devis.pdf")])
    assert sent.status_code == 303 and state(ticket.ticket_id) == "quote_submitted"
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "1\u202f500,00 €" in page and "devis.pdf" in page
    no_reason = manager_action(client, people, ticket.ticket_id, "reject_quote", "")
    assert no_reason.status_code == 400 and "Indiquez le motif." in no_reason.body.decode()
    assert manager_action(client, people, ticket.ticket_id, "accept_quote").status_code == 303
    assert state(ticket.ticket_id) == "sent"
    pump.drain()
    assert any("devis accepté, date ?" in text for text in sms_texts(aws))
    answer = act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "10:00"})
    assert answer.status_code == 303 and state(ticket.ticket_id) == "scheduled"


# -- unanswered requests, actions out of their state, the calendar file ----------------------------

def test_an_unanswered_request_is_sent_again_once_then_the_manager_is_alerted(client: Client, people: People, pump: Any,
                                                                             aws: str) -> None:
    ticket = new_ticket(people)
    pump.drain()
    created = clock.parse_iso(store.load_ticket(ticket.ticket_id).ticket.request_sent_at or "")
    reminder = schedule(f"{ticket.ticket_id}-reminder")["ScheduleExpression"]
    reminded = planning.out_of_the_night(created + timedelta(hours=4), settings().timers)  # urgent: after 4 h, by day
    assert reminder == f"at({clock.paris(reminded).strftime('%Y-%m-%dT%H:%M:%S')})"
    assert fire(ticket.ticket_id, "reminder") == "done"
    pump.drain()
    assert sum(ticket.reference in text for text in sms_texts(aws)) == 2
    assert f"{ticket.ticket_id}-reminder" not in schedule_names()  # once only
    assert fire(ticket.ticket_id, "answer_overdue") == "done"
    pump.drain()
    assert any("Pas de réponse" in m["subject"] for m in sent_messages(aws)["email"])


@pytest.mark.parametrize(("setup", "action", "fields"), [
    ("sent", "invoice", {"invoice_amount_excl": "10", "invoice_vat_rate": "0", "invoice_amount": "10", "invoice_number": "F1"}),
    ("cancelled", "presence", {}),
    ("scheduled", "answer", {"decision": "accept", "planned_time": "09:00"}),
])
def test_actions_outside_their_state_are_refused_and_change_nothing(client: Client, people: People, pump: Any, setup: str,
                                                                    action: str, fields: dict[str, str]) -> None:
    ticket, path = accepted_ticket(client, people, pump) if setup == "scheduled" else (new_ticket(people), None)
    path = path or contractor_path(ticket.ticket_id)
    page = client.http.get(path).body.decode()
    form_token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    if action == "invoice":  # a valid invoice: only the ticket's state can refuse it
        invoice = upload(client, f"{path}/uploads", {"form_token": token(page, "messages")}, "facture.pdf",
                         "application/pdf", PDF)
        fields = {**fields, "invoice_key": invoice, "invoice_name": "facture.pdf"}
    if setup == "cancelled":
        manager_action(client, people, ticket.ticket_id, "cancel")
    before = store.load_ticket(ticket.ticket_id)
    body = urlencode({"form_token": form_token, "planned_date": tomorrow_paris(), **fields})
    response = client.http.post(f"{path}/{action}", headers=FORM_HEADERS, body=body)
    assert response.status_code == 409
    assert "La demande a changé entre-temps et votre réponse n'a pas été enregistrée." in unescape(response.body.decode())
    after = store.load_ticket(ticket.ticket_id)
    assert after.ticket.version == before.ticket.version and len(after.events) == len(before.events)


def test_the_acceptance_email_carries_a_calendar_file(client: Client, people: People, pump: Any) -> None:
    accepted_ticket(client, people, pump, "14:30")
    listing = client.http.get("/dev/outbox.json").json_body
    confirmations = [m for m in listing if m["attachments"] == ["intervention.ics"]]
    assert len(confirmations) == 1 and "14:30" in confirmations[0]["subject"]


def test_the_dev_schedules_page_fires_a_timer_now(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    page = client.http.get("/dev/schedules").body.decode()
    assert "Demande de confirmation de présence" in page and "Déclencher maintenant" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    forged = client.http.post("/dev/schedules/fire", headers=FORM_HEADERS,
                              body=urlencode({"csrf": "x", "name": f"{ticket.ticket_id}-presence_check"}))
    assert forged.status_code == 403
    fired = client.http.post("/dev/schedules/fire", headers=FORM_HEADERS,
                             body=urlencode({"csrf": csrf, "name": f"{ticket.ticket_id}-presence_check"}))
    assert fired.status_code == 303
    assert "Je suis sur place" in client.http.get(path).body.decode()
    assert scheduler.pending() == [] or all(p.payload["step"] != "presence_check" for p in scheduler.pending())


def test_a_file_already_in_the_thread_cannot_be_sent_again_as_ones_own_quote(client: Client, people: People) -> None:
    ticket = quote_ticket(people)
    path = contractor_path(ticket.ticket_id)
    html = client.http.get(path).body.decode()
    theirs = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "plan.pdf", "application/pdf", PDF)
    sent = act(client, path, "messages", [("body", "Le plan"), ("file_key", theirs), ("file_name", "plan.pdf")])
    assert sent.status_code == 303
    reused = act(client, path, "quote", [("amount_excl", "100"), ("amount_incl", "120"), ("valid_until", tomorrow_paris()),
                                         ("quote_key", theirs), ("quote_name", "devis.pdf")])
    assert reused.status_code == 400 and "devis.pdf : Ce fichier a déjà été envoyé." in reused.body.decode()
    assert state(ticket.ticket_id) == "quote_requested"
