"""À traiter for triage: groups that say what to do, counts that equal the rows at every step of a
ticket's life, closed and cancelled tickets gone, the most urgent and the oldest first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain import clock
from chalicelib.domain.forms import NewRequest
from chalicelib.usecases import tickets
from tests.integration.conftest import People, contractor_path, tomorrow_paris
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_conversation import JPEG, PDF, upload
from tests.integration.test_outbox import Outage
from tests.integration.test_timers import act, fire, manager_action, quote_ticket, token

GROUP = re.compile(r'id="attention-([a-z_]+)">\s*<h2>.*?<span class="count">(\d+)</span></h2>(.*?)</section>', re.S)
ROW = re.compile(r"<li>.*?</li>", re.S)


@pytest.fixture
def headers(client: Client, people: People) -> dict[str, str]:
    return signed_in_headers(client, people)


def triage(client: Client, headers: dict[str, str]) -> dict[str, list[str]]:
    """Reason → references as À traiter shows them, checking what every state of the page must hold:
    each group's count is its rows, the total is the tickets shown."""
    html = client.http.get("/admin", headers=headers).body.decode()
    groups: dict[str, list[str]] = {}
    for reason, count, body in GROUP.findall(html):
        rows = ROW.findall(body)
        assert int(count) == len(rows), (reason, count, rows)
        groups[reason] = [re.search(r"<strong>([0-9]{4}-[0-9]{5})</strong>", row).group(1) for row in rows]  # type: ignore[union-attr]
    total = re.search(r'id="attention-total">(\d+)<', html)
    assert total and int(total.group(1)) == len({ref for refs in groups.values() for ref in refs}), html
    return groups


def request(people: People, urgency: str, title: str = "Fuite", address: str = "3 allée des Tilleuls, Lyon") -> Any:
    new = NewRequest("", "intervention", title, "Détails", address, "", urgency, ("sms",))
    return tickets.create_request(people.manager, people.plumber, new, clock.now())


def test_counts_equal_rows_after_every_step_and_a_closed_ticket_leaves(client: Client, people: People, pump: Any,
                                                                       headers: dict[str, str]) -> None:
    ticket = request(people, "urgent")
    ref, path = ticket.reference, contractor_path(ticket.ticket_id)
    assert triage(client, headers) == {}  # sent, not yet overdue: nothing to do

    assert act(client, path, "messages", {"body": "Quel étage ?"}).status_code == 303
    assert triage(client, headers) == {"unread_message": [ref]}
    pump.drain()
    fire(ticket.ticket_id, "answer_overdue")
    assert triage(client, headers) == {"unanswered": [ref], "unread_message": [ref]}  # two rows, one ticket

    assert act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(),
                                        "planned_time": "09:00"}).status_code == 303
    assert triage(client, headers) == {"unread_message": [ref]}  # an acceptance needs nothing
    pump.drain()
    fire(ticket.ticket_id, "presence_check")
    pump.drain()
    fire(ticket.ticket_id, "presence_overdue")
    assert triage(client, headers) == {"presence_missing": [ref], "unread_message": [ref]}

    assert act(client, path, "presence", {}).status_code == 303
    assert triage(client, headers) == {"unread_message": [ref]}
    html = client.http.get(path).body.decode()
    form = {"form_token": token(html, "messages")}
    proof = upload(client, f"{path}/uploads", form, "photo.jpg", "image/jpeg", JPEG)
    invoice = upload(client, f"{path}/uploads", form, "facture.pdf", "application/pdf", PDF)
    done = act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                            ("proof_key", proof), ("proof_name", "photo.jpg"),
                                            ("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                            ("invoice_amount_excl", "75"), ("invoice_amount", "90"),
                                            ("invoice_number", "F-7")])
    assert done.status_code == 303
    assert triage(client, headers) == {"invoice_to_check": [ref], "unread_message": [ref]}

    assert manager_action(client, people, ticket.ticket_id, "close").status_code == 303
    assert triage(client, headers) == {}  # closed: off the list, its unread message too


def test_refusals_quotes_and_failures_each_say_what_to_do_and_a_cancelled_ticket_leaves_with_its_failure(
        client: Client, people: People, pump: Any, headers: dict[str, str]) -> None:
    refused = request(people, "normal")
    refusal = {"decision": "refuse", "reason": "Pas dispo"}
    assert act(client, contractor_path(refused.ticket_id), "answer", refusal).status_code == 303
    quote = quote_ticket(people)
    path = contractor_path(quote.ticket_id)
    pdf = upload(client, f"{path}/uploads", {"form_token": token(client.http.get(path).body.decode(), "messages")},
                 "devis.pdf", "application/pdf", PDF)
    assert act(client, path, "quote", [("amount_excl", "100"), ("amount_incl", "120"), ("valid_until", tomorrow_paris()),
                                       ("quote_key", pdf), ("quote_name", "devis.pdf")]).status_code == 303
    pump.drain()  # what these two sent went out: only the next request meets the outage
    with Outage("sns", "Publish"):
        failing = request(people, "normal")
        for _ in range(4):
            pump.drain()
            from chalicelib.outbox import dispatcher
            dispatcher.sweep()
    groups = triage(client, headers)
    assert groups["refused"] == [refused.reference]
    assert groups["quote_pending"] == [quote.reference]
    assert groups["delivery_failed"] == [failing.reference]
    html = client.http.get("/admin", headers=headers).body.decode()
    assert "Refusées : à confier à un autre intervenant" in html and "Devis à accepter ou refuser" in html

    assert manager_action(client, people, failing.ticket_id, "cancel", "Plus utile").status_code == 303
    assert triage(client, headers) == {"refused": [refused.reference], "quote_pending": [quote.reference]}


def test_each_group_lists_the_most_urgent_then_the_oldest_with_urgency_address_and_age(
        client: Client, people: People, headers: dict[str, str]) -> None:
    order = [request(people, "normal", address="1 rue Vieille, Lyon"), request(people, "emergency"),
             request(people, "normal", address="2 rue Neuve, Lyon"), request(people, "urgent")]
    for ticket in order:  # refused in this order: the first refused has waited longest
        act(client, contractor_path(ticket.ticket_id), "answer", {"decision": "refuse", "reason": "Non"})
    assert triage(client, headers)["refused"] == [order[1].reference, order[3].reference, order[0].reference,
                                                  order[2].reference]
    html = client.http.get("/admin", headers=headers).body.decode()
    rows = ROW.findall(html)
    assert "urgency-emergency" in rows[0] and "Urgence absolue" in rows[0]
    assert "urgency-urgent" in rows[1] and "1 rue Vieille, Lyon" in rows[2]
    assert re.search(r'class="age"[^>]*>\d+ min<', rows[0])


def list_rows(client: Client, headers: dict[str, str], url: str) -> tuple[list[str], str]:
    html = client.http.get(url, headers=headers).body.decode()
    return re.findall(r'<td><a href="/admin/tickets/[A-Z0-9]+">([0-9]{4}-[0-9]{5})</a></td>', html), html


def test_the_list_shows_address_urgency_and_plan_sorts_counts_and_keeps_its_view_in_the_url(
        client: Client, people: People, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date, timedelta

    from chalicelib.data import listing
    from chalicelib.i18n.formatting import long_date

    later = (date.fromisoformat(tomorrow_paris()) + timedelta(days=1)).isoformat()
    normal = request(people, "normal", address="1 rue Alpha, Lyon")
    emergency = request(people, "emergency", address="2 rue Beta, Lyon")
    urgent = request(people, "urgent", address="3 rue Gamma, Lyon")
    for ticket, day in ((urgent, tomorrow_paris()), (normal, later)):
        act(client, contractor_path(ticket.ticket_id), "answer", {"decision": "accept", "planned_date": day,
                                                                 "planned_time": "09:00"})
    refs, html = list_rows(client, headers, "/admin/tickets")
    assert refs == [normal.reference, urgent.reference, emergency.reference]  # last activity first
    assert '<span class="count" id="ticket-total">3</span>' in html
    row = re.search(rf"<tr>\s*<td><a [^>]*>{urgent.reference}</a>.*?</tr>", html, re.S).group(0)  # type: ignore[union-attr]
    for shown in ("3 rue Gamma, Lyon", "Urgente", "Karim Benali", "Plomberie Benali", long_date(tomorrow_paris()), "09:00"):
        assert shown in row, shown
    assert list_rows(client, headers, "/admin/tickets?sort=urgency")[0] == [emergency.reference, urgent.reference,
                                                                            normal.reference]
    assert list_rows(client, headers, "/admin/tickets?sort=planned")[0] == [urgent.reference, normal.reference,
                                                                            emergency.reference]  # unplanned last
    _, filtered = list_rows(client, headers, "/admin/tickets?state=scheduled&owner=all")
    assert 'href="/admin/tickets?state=scheduled&amp;owner=all&amp;sort=planned"' in filtered  # a sort keeps the filters

    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    monkeypatch.setattr(listing, "COUNT_MAX", 2)
    for url in ("/admin/tickets", "/admin/tickets?sort=urgency"):
        refs, html = list_rows(client, headers, url)
        assert len(refs) == 2 and '<span class="count" id="ticket-total">2+</span>' in html, url  # "10 000+" at scale
    next_url = re.search(r'href="([^"]+)" rel="next"', list_rows(client, headers, "/admin/tickets")[1]).group(1)  # type: ignore[union-attr]
    assert "n=3" in next_url  # the total the first page counted goes along: the next pages do not count again
