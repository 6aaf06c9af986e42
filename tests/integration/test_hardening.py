"""Smaller gaps (issue 12, point 6): HSTS and a `__Host-` session cookie where the app is served over
https, wrong links that cost the same whether or not the ticket exists and little when flooded,
and a cancel dialog that says what the contractor can still do."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import throttle
from chalicelib.domain import ids
from local.harness import recording_aws_calls
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, form_token, new_ticket, tomorrow_paris
from tests.integration.test_admin import csrf_of, signed_in_headers

HTTPS_ORIGIN = "https://relais.gestion-demo.fr"


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app as on AWS: a stage other than local, served over https."""
    from chalicelib.config import settings
    from chalicelib.web.http import security_headers

    monkeypatch.setenv("RELAIS_STAGE", "prod")
    monkeypatch.setenv("RELAIS_BASE_URL", HTTPS_ORIGIN)
    settings.cache_clear()
    security_headers.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()
    security_headers.cache_clear()


def test_every_response_outside_the_local_stage_demands_https(client: Client, people: People, deployed: None) -> None:
    ticket = new_ticket(people)
    paths = ["/admin/login", "/admin", contractor_path(ticket.ticket_id), f"/t/{ids.new_id()}/{'x' * 32}", "/static/relais.css"]
    for response in map(client.http.get, paths):
        assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_make_run_on_plain_http_sends_no_hsts(client: Client, people: People) -> None:
    assert "Strict-Transport-Security" not in client.http.get("/admin/login").headers


def test_over_https_the_session_cookie_is_host_only(client: Client, people: People, deployed: None) -> None:
    from tests.integration.test_admin import _login_secret

    response = client.http.post(f"/admin/login/{_login_secret(people)}", headers=FORM_HEADERS, body="")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-relais_session=")
    attributes = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
    assert {"Path", "Secure", "HttpOnly", "SameSite"} <= attributes and "Domain" not in attributes
    assert "; Path=/;" in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert client.http.get("/admin", headers={"Cookie": f"__Host-relais_session={value}"}).status_code == 200
    # The plain name (which a subdomain could set) is not read over https.
    assert client.http.get("/admin", headers={"Cookie": f"relais_session={value}"}).status_code == 302
    out = client.http.post("/admin/logout", headers={**FORM_HEADERS, "Cookie": f"__Host-relais_session={value}"},
                           body=urlencode({"csrf": csrf_of(client.http.get(
                               "/admin", headers={"Cookie": f"__Host-relais_session={value}"}).body.decode())}))
    assert out.headers["Set-Cookie"].startswith("__Host-relais_session=;")


def test_on_plain_http_the_session_cookie_keeps_its_plain_name(client: Client, people: People) -> None:
    cookie = signed_in_headers(client, people)["Cookie"]
    assert cookie.startswith("relais_session=")


def test_a_flood_of_wrong_links_costs_one_counter_and_stops_writing(client: Client, people: People,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.config import settings

    monkeypatch.setattr(throttle, "WRONG_LINK_ANSWER_SECONDS", 0.0)
    throttle.forget()
    limit = settings().wrong_link_limit
    with recording_aws_calls() as work:
        statuses = [client.http.get(f"/t/{ids.new_id()}/{'x' * 32}").status_code for _ in range(limit + 20)]
    assert statuses == [404] * limit + [429] * 20
    assert work.dynamodb().count("UpdateItem") == limit + 1  # nothing written once over
    [counter] = _wrong_link_counters()
    assert int(counter["hits"]["N"]) == limit + 1 and "expires" in counter

    throttle.forget()  # another container: it learns from the counter, with one write
    with recording_aws_calls() as work:
        assert client.http.get(f"/t/{ids.new_id()}/{'x' * 32}").status_code == 429
        assert client.http.get(f"/t/{ids.new_id()}/{'x' * 32}").status_code == 429
    assert work.dynamodb() == ["Query", "UpdateItem", "Query"]


def test_a_wrong_secret_reads_the_same_whether_or_not_the_ticket_exists(client: Client, people: People,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "WRONG_LINK_ANSWER_SECONDS", 0.0)
    ticket = new_ticket(people)
    assert client.http.get(contractor_path(ticket.ticket_id)).status_code == 200
    with recording_aws_calls() as known:
        assert client.http.get(f"/t/{ticket.ticket_id}/{'x' * 32}").status_code == 404
    with recording_aws_calls() as unknown:
        assert client.http.get(f"/t/{ids.new_id()}/{'x' * 32}").status_code == 404

    def reads(work: list[tuple[str, int]]) -> list[tuple[str, bool]]:
        return sorted((operation, count > 0) for operation, count in work)

    # One read that finds a ticket's partition and one that finds nothing, then the counter.
    assert reads(known.dynamodb_items()) == reads(unknown.dynamodb_items()) == [
        ("Query", False), ("Query", True), ("UpdateItem", False)]
    assert sorted(count for _, count in known.dynamodb_items()) == sorted(count for _, count in unknown.dynamodb_items())


def _wrong_link_counters() -> list[dict[str, Any]]:
    import boto3

    from chalicelib.config import settings

    items = boto3.client("dynamodb").scan(TableName=settings().table_name)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("WRONGLINK#")]


CANCEL_DIALOG = re.compile(r'class="action action-cancel"[^>]*data-confirm="([^"]+)"')


def test_the_cancel_dialog_says_the_contractor_can_still_write_and_they_can(client: Client, people: People) -> None:
    from chalicelib.data import directory

    ticket = new_ticket(people)
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    dialog = CANCEL_DIALOG.search(page)
    assert dialog and html.unescape(dialog.group(1)) == (
        "Annuler ce ticket ? L'intervenant en sera prévenu. Il ne pourra plus répondre à la demande, mais pourra "
        "encore vous écrire (messages et fichiers) pendant 30 jours.")
    english = directory.save_manager("Ann Lee", "ann.lee@gestion-demo.fr", language="en")
    from types import SimpleNamespace

    english_page = client.http.get(f"/admin/tickets/{ticket.ticket_id}",
                                   headers=signed_in_headers(client, SimpleNamespace(manager=english))).body.decode()  # type: ignore[arg-type]
    english_dialog = CANCEL_DIALOG.search(english_page)
    assert english_dialog and "can still write to you (messages and files) for 30 days" in html.unescape(english_dialog.group(1))

    cancelled = client.http.post(f"/admin/tickets/{ticket.ticket_id}/cancel", headers={**FORM_HEADERS, **headers},
                                 body=urlencode({"csrf": csrf_of(page), "reason": "Doublon", "form_id": "c" * 43}))
    assert cancelled.status_code == 303
    path = contractor_path(ticket.ticket_id)
    form = client.http.get(path).body.decode()
    assert "annulée" in form and 'name="accept"' not in form
    answer = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=urlencode({
        "form_token": form_token(form), "decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "10:00"}))
    assert answer.status_code == 409  # no more answering the request...
    message = client.http.post(f"{path}/messages", headers=FORM_HEADERS,
                               body=urlencode({"form_token": form_token(form), "body": "J'avais déjà commandé la pièce."}))
    assert message.status_code == 303  # ...but still writing to the manager
    from chalicelib.data import store

    assert [e.event_type for e in store.load_ticket(ticket.ticket_id).events][-1] == "message"
