"""The manager's pages, polished (issue #17, points 10-14): the ticket page shows the access notes and
names each photo under its thumbnail; "Non lu" goes when the manager answers; an accepted quote is
not asked for again; the directory shows each ticket's state; /dev/schedules names tickets."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.data import store
from chalicelib.domain import clock
from tests.integration.conftest import People, contractor_path, new_ticket
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_conversation import JPEG, PDF, contractor_message, message_token, upload
from tests.integration.test_timers import accepted_ticket, act, manager_action, quote_ticket, token, tomorrow_paris
from tests.integration.test_workspace import attention, manager_action_with


def ticket_page(client: Client, people: People, ticket_id: str) -> str:
    return client.http.get(f"/admin/tickets/{ticket_id}", headers=signed_in_headers(client, people)).body.decode()


def text_of(html: str) -> str:
    """What the page reads as, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


# -- 10. access notes; photos named under their thumbnails -----------------------------------------

def test_the_ticket_page_shows_the_access_notes_the_manager_typed(client: Client, people: People) -> None:
    ticket = new_ticket(people)  # access notes: "Digicode 4521B"
    facts = re.search(r'<dl class="facts">(.*?)</dl>', ticket_page(client, people, ticket.ticket_id), re.S)
    assert facts and "Accès Digicode 4521B" in text_of(facts.group(1))


def test_a_photo_in_the_thread_shows_its_name_and_size_under_the_thumbnail(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())
    key = upload(client, f"{path}/uploads", {"form_token": form_token}, "fuite évier.jpg", "image/jpeg", JPEG)
    assert contractor_message(client, path, "Voici la fuite.", [(key, "fuite évier.jpg")], form_token).status_code == 303

    thumb = re.search(r'<a href="[^"]+" class="thumb">(.*?)</a>', ticket_page(client, people, ticket.ticket_id), re.S)
    assert thumb, "no thumbnail on the ticket page"
    assert re.search(r"<img [^>]*>.*fuite évier\.jpg.*\b\d+ (o|octets|Ko)\b", unescape(thumb.group(1)), re.S), thumb.group(1)
    assert text_of(thumb.group(1)).startswith("fuite évier.jpg ")  # one name, read once (the image's alt is empty)


# -- 11. "Non lu" goes when the manager replies or closes ----------------------------------------------

def _reply(client: Client, people: People, ticket_id: str) -> Any:
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket_id}", headers=headers).body.decode()
    form_id = re.search(r'action="/admin/tickets/[A-Z0-9]+/messages".*?name="form_id" value="([^"]+)"', page, re.S)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert form_id and csrf
    from urllib.parse import urlencode

    from tests.integration.conftest import FORM_HEADERS

    return client.http.post(f"/admin/tickets/{ticket_id}/messages", headers={**FORM_HEADERS, **headers},
                            body=urlencode({"csrf": csrf.group(1), "form_id": form_id.group(1), "body": "Bien reçu, merci."}))


def _unread(client: Client, people: People, ticket_id: str) -> bool:
    return 'id="unread"' in ticket_page(client, people, ticket_id)


def test_replying_to_the_contractor_clears_non_lu(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    assert contractor_message(client, contractor_path(ticket.ticket_id), "Le code ne marche pas.", []).status_code == 303
    assert _unread(client, people, ticket.ticket_id)
    assert attention(client, signed_in_headers(client, people))["unread_message"] == [ticket.reference]

    assert _reply(client, people, ticket.ticket_id).status_code == 303

    assert not _unread(client, people, ticket.ticket_id)
    assert "unread_message" not in attention(client, signed_in_headers(client, people))
    assert store.load_ticket(ticket.ticket_id).ticket.unread_since is None


def test_closing_the_ticket_clears_non_lu(client: Client, people: People, pump: Any) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    form_token = token(client.http.get(path).body.decode(), "messages")
    proof = upload(client, f"{path}/uploads", {"form_token": form_token}, "photo.jpg", "image/jpeg", JPEG)
    invoice = upload(client, f"{path}/uploads", {"form_token": form_token}, "facture.pdf", "application/pdf", PDF)
    done = act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                            ("proof_key", proof), ("proof_name", "photo.jpg"),
                                            ("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                            ("invoice_amount_excl", "75"), ("invoice_amount", "90"),
                                            ("invoice_number", "F-7")])
    assert done.status_code == 303
    assert _unread(client, people, ticket.ticket_id)

    assert manager_action(client, people, ticket.ticket_id, "close").status_code == 303

    assert store.load_ticket(ticket.ticket_id).ticket.state == "closed"
    assert not _unread(client, people, ticket.ticket_id)
    assert "unread_answer" not in attention(client, signed_in_headers(client, people))


# -- 12. an accepted quote is not asked for again -------------------------------------------------------

def _accepted_quote(client: Client, people: People) -> Any:
    ticket = quote_ticket(people)
    path = contractor_path(ticket.ticket_id)
    form_token = token(client.http.get(path).body.decode(), "messages")
    key = upload(client, f"{path}/uploads", {"form_token": form_token}, "devis.pdf", "application/pdf", PDF)
    sent = act(client, path, "quote", [("amount_excl", "100"), ("amount_incl", "120"), ("valid_until", tomorrow_paris()),
                                       ("quote_key", key), ("quote_name", "devis.pdf")])
    assert sent.status_code == 303
    assert manager_action(client, people, ticket.ticket_id, "accept_quote").status_code == 303
    return ticket


@pytest.mark.parametrize("planned", [False, True], ids=["to-plan", "planned"])
def test_after_accepting_the_quote_demander_un_devis_is_gone(client: Client, people: People, planned: bool) -> None:
    ticket = _accepted_quote(client, people)
    if planned:
        path = contractor_path(ticket.ticket_id)
        accepted = act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "10:00"})
        assert accepted.status_code == 303
    page = ticket_page(client, people, ticket.ticket_id)
    assert "Annuler le ticket" in page  # the actions are there...
    assert "Demander un devis" not in page and "/actions/request_quote" not in page  # ...but not this one


def test_a_quote_request_sent_after_the_quote_was_accepted_changes_nothing(client: Client, people: People) -> None:
    """A page left open in another tab since before the acceptance still has the button."""
    from chalicelib.domain.errors import NotAllowed
    from chalicelib.usecases import tickets

    ticket = _accepted_quote(client, people)
    before = store.load_ticket(ticket.ticket_id)
    with pytest.raises(NotAllowed):
        tickets.request_quote(before, people.manager, "", "quote-again-1", clock.now())
    after = store.load_ticket(ticket.ticket_id)
    assert after.ticket.state == "sent" and len(after.events) == len(before.events)


# -- 13. the directory shows each ticket's state -------------------------------------------------------

def test_the_contractors_page_shows_each_tickets_state_now(client: Client, people: People, pump: Any) -> None:
    waiting = new_ticket(people)
    planned, _ = accepted_ticket(client, people, pump)
    moved = new_ticket(people)
    assert manager_action_with(client, people, moved.ticket_id, "reassign",
                               {"contractor_id": people.email_only.contractor_id}).status_code == 303

    html = client.http.get(f"/admin/contractors/{people.plumber.contractor_id}",
                           headers=signed_in_headers(client, people)).body.decode()
    rows = {text_of(row).split(" ")[2]: text_of(row)
            for row in re.findall(r"<tr>(.*?)</tr>", re.search(r'id="history">(.*?)</table>', html, re.S).group(1), re.S)
            if "<td>" in row}  # type: ignore[union-attr]
    assert "Voir l'état du ticket" not in html
    assert rows[waiting.reference].endswith("Demande envoyée")
    assert rows[planned.reference].endswith("Planifiée")
    assert rows[moved.reference].endswith("Confié à un autre intervenant")


# -- 14. /dev/schedules names tickets by reference and title ---------------------------------------------

def test_dev_schedules_lists_timers_by_reference_and_title(client: Client, people: People, pump: Any) -> None:
    ticket, _ = accepted_ticket(client, people, pump)
    page = client.http.get("/dev/schedules").body.decode()
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "Demande de confirmation de présence" in r)
    assert f"{ticket.reference} · Fuite sous l'évier" in text_of(row)
    assert ticket.ticket_id not in text_of(row)  # the link still goes to the ticket page, the id only in its address
    assert f'href="/admin/tickets/{ticket.ticket_id}"' in row
