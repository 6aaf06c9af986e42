"""Asking for a sign-in link: it tells nobody who is a manager, cannot flood a mailbox, and only
the login page of this site can ask (issue 12, point 4). Timing itself is measured in bench/timing.py."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import throttle
from local.harness import recording_aws_calls
from tests.integration.conftest import FORM_HEADERS, LOGIN_HEADERS, People, sent_messages

KNOWN = "claire.martin@gestion-demo.fr"
LIMITED = "Trop de liens de connexion demandés"


def ask(client: Client, email: str, headers: dict[str, str] | None = None) -> Any:
    return client.http.post("/admin/login", headers=headers or LOGIN_HEADERS, body=urlencode({"email": email}))


def emails_to(aws: str, address: str) -> int:
    return sum(m["destinations"]["ToAddresses"] == [address] for m in sent_messages(aws)["email"])


def test_the_login_page_says_how_many_links_an_address_may_ask(client: Client, people: People) -> None:
    page = client.http.get("/admin/login")
    assert "Au plus 3 liens par adresse et par quart d'heure." in html.unescape(page.body.decode())


def test_an_address_gets_three_sign_in_emails_a_quarter_of_an_hour_whether_or_not_it_is_a_manager(
        client: Client, people: People, pump: Any, aws: str) -> None:
    answers = {address: [ask(client, address) for _ in range(5)] for address in (KNOWN, "intrus@example.com")}
    for responses in answers.values():
        assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
        assert LIMITED in html.unescape(responses[3].body.decode()) and responses[3].headers["Retry-After"] == "900"
    # The same pages for both (but for the address typed in): being limited says nothing about the address either.
    pages = {address: [r.body.decode().replace(address, "…") for r in responses] for address, responses in answers.items()}
    assert pages[KNOWN] == pages["intrus@example.com"]
    pump.drain()
    assert emails_to(aws, KNOWN) == 3
    assert emails_to(aws, "intrus@example.com") == 0


def test_one_client_cannot_ask_for_more_than_ten_sign_in_emails_a_quarter_of_an_hour(
        client: Client, people: People, pump: Any, aws: str) -> None:
    assert {ask(client, f"personne{n}@example.com").status_code for n in range(throttle.LOGIN_EMAILS_PER_CLIENT)} == {200}
    assert ask(client, KNOWN).status_code == 429  # the manager's address was never asked, but this client is over
    pump.drain()
    assert emails_to(aws, KNOWN) == 0


def test_an_unknown_address_costs_the_same_database_work_as_a_managers(client: Client, people: People) -> None:
    ask(client, "premier@example.com")  # warm: the signing key is read once per container
    with recording_aws_calls() as calls:
        assert ask(client, KNOWN).status_code == 200
    known = calls.dynamodb_items()
    with recording_aws_calls() as calls:
        assert ask(client, "intrus@example.com").status_code == 200
    unknown = calls.dynamodb_items()
    assert [operation for operation, _ in known] == [operation for operation, _ in unknown] == ["Query", "TransactWriteItems"]
    assert known[1] == unknown[1] == ("TransactWriteItems", 4)  # two counters, the link and its email (or inert twins)


def test_a_deactivated_managers_address_is_answered_like_an_unknown_one(client: Client, people: People, pump: Any,
                                                                        aws: str) -> None:
    from chalicelib.data import directory

    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr", role=directory.GESTIONNAIRE)
    directory.set_manager_active(people.manager.manager_id, bruno.manager_id, False)
    with recording_aws_calls() as calls:
        response = ask(client, "bruno.petit@gestion-demo.fr")
    assert response.status_code == 200 and ("TransactWriteItems", 4) in calls.dynamodb_items()
    pump.drain()
    assert emails_to(aws, "bruno.petit@gestion-demo.fr") == 0


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame, or a page that sends no referrer
    {"Referer": "https://evil.example/login.html"},
    {"Referer": "http://[127.0.0.1:8000/admin/login"},  # not even a URL
    {},  # neither: no browser posts a form that way
], ids=["other-site", "null-origin", "other-site-referer", "broken-referer", "no-origin"])
def test_only_this_sites_login_page_can_ask_for_a_sign_in_email(client: Client, people: People, pump: Any, aws: str,
                                                                headers: dict[str, str]) -> None:
    response = ask(client, KNOWN, {**FORM_HEADERS, **headers})
    assert response.status_code == 403
    assert "Ouvrez http://127.0.0.1:8000/admin/login" in html.unescape(response.body.decode())
    pump.drain()
    assert emails_to(aws, KNOWN) == 0


def test_a_browser_that_sends_only_a_referer_from_this_site_may_ask(client: Client, people: People, pump: Any,
                                                                    aws: str) -> None:
    response = ask(client, KNOWN, {**FORM_HEADERS, "Referer": "http://127.0.0.1:8000/admin/login"})
    assert response.status_code == 200
    pump.drain()
    assert emails_to(aws, KNOWN) == 1


def test_the_login_form_lets_the_browser_name_this_site(client: Client, people: People) -> None:
    """With the `no-referrer` of the other pages, a browser would send `Origin: null` with the form."""
    assert client.http.get("/admin/login").headers["Referrer-Policy"] == "same-origin"
    expired = client.http.post("/admin/tickets", headers=FORM_HEADERS, body="")  # the form shown when a session ended
    assert expired.status_code == 401 and expired.headers["Referrer-Policy"] == "same-origin"


def test_two_sign_ins_counting_on_the_same_counter_at_once_both_get_their_link(
        client: Client, people: People, pump: Any, aws: str, monkeypatch: Any) -> None:
    """DynamoDB cancels one of two transactions updating the same counter at the same moment
    (TransactionConflict; moto runs them one after the other). That is not "too many links": the
    request tries once more and the manager gets the link."""
    from pynamodb.connection.base import VerboseClientError
    from pynamodb.exceptions import CancellationReason, TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.usecases import auth

    conflicts = [TransactWriteError("conflict", cause=VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}}, "TransactWriteItems",
        cancellation_reasons=[CancellationReason(code="TransactionConflict"), None, None, None]))]

    class ConflictOnce(TransactWrite):
        def __exit__(self, *exc: Any) -> None:
            if conflicts:
                raise conflicts.pop()
            super().__exit__(*exc)

    monkeypatch.setattr(auth, "TransactWrite", ConflictOnce)
    assert ask(client, KNOWN).status_code == 200
    assert not conflicts
    pump.drain()
    assert emails_to(aws, KNOWN) == 1
