"""The search box: any word or start of a word of the address, title, contractor or reference, accents
and case aside; DynamoDB Queries only (never a Scan), its words written with the ticket; bad input
answered with a message, never a 500."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import keys, listing, search
from chalicelib.data.models import SearchToken, Ticket, ticket_pk
from chalicelib.domain import clock
from chalicelib.domain.forms import NewRequest
from chalicelib.usecases import tickets
from local.harness import recording_aws_calls
from tests.integration.conftest import People, contractor_path, tomorrow_paris
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_timers import act
from tests.integration.test_workspace import list_page, manager_action_with


@pytest.fixture
def headers(client: Client, people: People) -> dict[str, str]:
    return signed_in_headers(client, people)


def create(people: People, title: str, address: str, contractor: Any = None) -> Ticket:
    request = NewRequest("", "intervention", title, "Détails", address, "", "normal", ("email",) if contractor else ("sms",))
    return tickets.create_request(people.manager, contractor or people.plumber, request, clock.now())


def found(client: Client, headers: dict[str, str], text: str) -> list[str]:
    refs, _, _ = list_page(client, headers, f"/admin/tickets?{urlencode({'q': text})}")
    return refs


def test_a_ticket_is_found_by_a_word_or_the_start_of_a_word_of_what_it_is_about(
        client: Client, people: People, headers: dict[str, str]) -> None:
    lilas = create(people, "Dégât des eaux au 3e", "12 Allée des Lilas, 69003 Lyon")
    other = create(people, "Porte de garage bloquée", "5 rue Garibaldi, Lyon", contractor=people.email_only)
    for text in ("lilas", "LILAS", "Lil", "allée", "ALLEE", "degat", "DÉGÂT", "eaux", "69003", "benali", "plomb",
                 "Karim", "lilas dégât", "lyon lil"):
        assert found(client, headers, text) == [lilas.reference], text
    assert found(client, headers, "smith") == [other.reference]  # the contractor's name and company
    assert found(client, headers, "electrics garage") == [other.reference]
    assert sorted(found(client, headers, "lyon")) == sorted([lilas.reference, other.reference])
    assert found(client, headers, "lilas porte") == []
    assert "Aucun ticket ne contient « lilas porte »." in client.http.get(
        "/admin/tickets?q=lilas+porte", headers=headers).body.decode()


def test_a_ticket_is_found_by_part_of_its_reference(client: Client, people: People, headers: dict[str, str]) -> None:
    first = create(people, "Fuite", "1 rue A, Lyon")
    second = create(people, "Fuite", "1 rue A, Lyon")
    year, serial = first.reference.split("-")
    for text in (first.reference, f"{year[2:]}-{serial}", serial, f"{serial} fuite"):
        assert found(client, headers, text) == [first.reference], text
    assert sorted(found(client, headers, f"{year}-0000")) == sorted([first.reference, second.reference])


def test_a_search_page_is_queries_and_one_batch_read_never_a_scan(client: Client, people: People,
                                                                  headers: dict[str, str]) -> None:
    for n in range(30):
        create(people, f"Fuite {n}", "12 allée des Lilas, Lyon")
    create(people, "Porte", "3 rue Garibaldi, Lyon")
    client.http.get("/admin/tickets", headers=headers)  # the directory's choices are read once a minute
    seen: list[str] = []
    url = f"/admin/tickets?{urlencode({'q': 'lilas fuite'})}"
    while url:
        with recording_aws_calls() as calls:
            refs, url, _ = list_page(client, headers, url)
        seen += refs
        operations = calls.dynamodb()
        assert "Scan" not in operations and operations[0] == "BatchGetItem", operations  # the session first
        searched = operations[1:]
        assert len(searched) <= 3 and set(searched) <= {"Query", "BatchGetItem"}, operations
        assert all(call.params.get("IndexName") == "activity" for call in calls if call.operation == "Query")
    assert len(seen) == len(set(seen)) == 30  # 25, then the 5 others: each once


def test_the_words_change_with_the_contractor_and_only_then(client: Client, people: People) -> None:
    ticket = create(people, "Fuite", "1 rue A, Lyon")
    assert act(client, contractor_path(ticket.ticket_id), "answer", {"decision": "refuse", "reason": "Non"}).status_code == 303
    with recording_aws_calls() as calls:
        moved = manager_action_with(client, people, ticket.ticket_id, "reassign",
                                    {"contractor_id": people.email_only.contractor_id})
    assert moved.status_code == 303
    written = [call.params["TransactItems"] for call in calls if call.operation == "TransactWriteItems"]
    assert len(written) == 1  # the new words in the same transaction as the reassignment
    assert [i.ticket_id for i in search.search("smith").items] == [ticket.ticket_id]
    assert search.search("benali").items == []

    path = contractor_path(ticket.ticket_id)
    with recording_aws_calls() as calls:
        act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    sort_keys = [next(iter(op.values()))["Key" if "Delete" in op else "Item"]["sk"]["S"] for call in calls
                 if call.operation == "TransactWriteItems" for op in call.params["TransactItems"]]
    assert sort_keys and not any(sk.startswith(keys.SEARCH_PREFIX) for sk in sort_keys)  # same words: none rewritten


@pytest.mark.parametrize(("text", "message"), [
    ("lilas " * 100, "La recherche est trop longue : 200 caractères au plus."),
    ("!!! --- ???", "Tapez au moins deux lettres ou chiffres"),
    ("a", "Tapez au moins deux lettres ou chiffres"),
    ("alpha beta gamma delta epsilon zeta theta iota kappa", "Cherchez avec 8 mots au plus."),
])
def test_a_search_that_cannot_be_run_says_why_without_asking_dynamodb(client: Client, people: People,
                                                                      headers: dict[str, str], text: str,
                                                                      message: str) -> None:
    create(people, "Fuite", "12 allée des Lilas")
    client.http.get("/admin/tickets", headers=headers)
    with recording_aws_calls() as calls:
        page = client.http.get(f"/admin/tickets?{urlencode({'q': text})}", headers=headers)
    html = page.body.decode()
    assert page.status_code == 200 and message in html and "ticket-list" not in html
    assert calls.dynamodb() == ["BatchGetItem"]  # the session only


@pytest.mark.parametrize("text", ["' OR 1=1 --", '{"$ne": null}', "lilas'); DROP TABLE tickets;--", "*", "%", "\\",
                                  "lilas\u0000", "<script>alert(1)</script>", "SEARCH#li", "li#01", "ﬁ œuvre"])
def test_query_looking_input_is_only_words(client: Client, people: People, headers: dict[str, str], text: str) -> None:
    ticket = create(people, "Fuite", "12 allée des Lilas")
    page = client.http.get(f"/admin/tickets?{urlencode({'q': text})}", headers=headers)
    html = page.body.decode()
    assert page.status_code == 200 and "<script>alert(1)</script>" not in html
    refs = re.findall(r"([0-9]{4}-[0-9]{5})</a></td>", html)
    assert refs in ([], [ticket.reference])
    assert (refs == [ticket.reference]) == (text == "lilas\u0000")  # every word must match: "drop", "table"... do not


def test_upgrade_data_gives_older_tickets_their_words_once(people: People) -> None:
    ticket = create(people, "Fuite", "12 allée des Lilas")
    for token in SearchToken.query(ticket_pk(ticket.ticket_id), SearchToken.sk.startswith(keys.SEARCH_PREFIX)):
        token.delete()  # as a version before search wrote it
    assert search.search("lilas").items == []
    assert listing.rebuild_summaries() == 1
    assert [i.ticket_id for i in search.search("lilas").items] == [ticket.ticket_id]
    assert listing.rebuild_summaries() == 0
