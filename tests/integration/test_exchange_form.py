"""The contractor's exchange form: bad links, read-only GETs, bad input, double submits, races."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import store
from chalicelib.data.models import Event, Notification, RelaisItem, ticket_pk
from chalicelib.domain import clock
from chalicelib.usecases import tickets
from tests.integration.conftest import (
    FORM_HEADERS,
    People,
    contractor_path,
    form_token,
    new_ticket,
    tomorrow_paris,
)


def accept_body(html: str, **overrides: str) -> str:
    fields = {"form_token": form_token(html), "decision": "accept", "planned_date": tomorrow_paris(),
              "planned_time": "14:30", "comment": ""}
    fields.update(overrides)
    return urlencode(fields)


def partition(ticket_id: str) -> list[RelaisItem]:
    return list(RelaisItem.query(ticket_pk(ticket_id), consistent_read=True))


def events_of(ticket_id: str) -> list[Event]:
    return [i for i in partition(ticket_id) if isinstance(i, Event)]


def notifications_of(ticket_id: str) -> list[Notification]:
    return [i for i in partition(ticket_id) if isinstance(i, Notification)]


# -- links -------------------------------------------------------------------------------------

def test_wrong_links_show_a_clear_page_and_change_nothing(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    other = new_ticket(people)
    good = contractor_path(ticket.ticket_id)
    secret = good.rsplit("/", 1)[1]
    before = store.load_ticket(ticket.ticket_id).ticket.version
    cases = {
        "malformed": f"/t/{ticket.ticket_id}/abc",
        "unknown secret": f"/t/{ticket.ticket_id}/{'A' * len(secret)}",
        "unknown ticket": f"/t/01M8DXFDPHG8Y8H5SDEJG5332X/{secret}",
        "other ticket's secret": f"/t/{other.ticket_id}/{secret}",
    }
    for name, path in cases.items():
        response = client.http.get(path)
        assert response.status_code == 404, name
        assert "Lien introuvable" in response.body.decode(), name
    assert store.load_ticket(ticket.ticket_id).ticket.version == before


def test_a_revoked_link_is_gone(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    link = store.load_ticket(ticket.ticket_id).links[0]
    link.update(actions=[type(link).revoked.set(True)])
    response = client.http.get(path)
    assert response.status_code == 410
    assert "plus valide" in response.body.decode()


def test_a_revoked_link_is_gone_on_every_route_behind_it_and_changes_nothing(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    token = re.search(r'name="form_token" value="([^"]+)"', client.http.get(path).body.decode()).group(1)  # type: ignore[union-attr]
    link = store.load_ticket(ticket.ticket_id).links[0]
    link.update(actions=[type(link).revoked.set(True)])
    before = store.load_ticket(ticket.ticket_id).ticket.version
    answer = urlencode({"form_token": token, "decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    routes = {
        "answer": client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=answer),
        "unknown action": client.http.post(f"{path}/nothing", headers=FORM_HEADERS, body=answer),
        "message": client.http.post(f"{path}/messages", headers=FORM_HEADERS, body=urlencode({"form_token": token,
                                                                                             "body": "Bonjour"})),
        "upload": client.http.post(f"{path}/uploads", headers=FORM_HEADERS, body=urlencode({"form_token": token})),
        "file": client.http.get(f"{path}/files/01M8DXFDPHG8Y8H5SDEJG5332X"),
        "confirmation": client.http.get(f"{path}/confirmation"),
    }
    for name, response in routes.items():
        assert response.status_code == 410 and "plus valide" in response.body.decode(), name
    assert store.load_ticket(ticket.ticket_id).ticket.version == before


def test_a_link_dies_some_days_after_the_ticket_ends(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    view = store.load_ticket(ticket.ticket_id)
    tickets.cancel_ticket(view, people.manager, "", "cancel-form-0000000000000001", clock.now())
    assert client.http.get(path).status_code == 200  # still readable just after: shows "annulée"
    meta = store.load_ticket(ticket.ticket_id).ticket
    meta.update(actions=[type(meta).closed_at.set("2020-01-01T00:00:00.000Z")], add_version_condition=False)
    assert client.http.get(path).status_code == 410


def test_repeated_wrong_links_from_one_client_are_slowed_down(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    statuses = [client.http.get(f"/t/{ticket.ticket_id}/{'B' * 32}").status_code for _ in range(25)]
    assert statuses[:20] == [404] * 20
    assert statuses[-1] == 429
    assert client.http.get(contractor_path(ticket.ticket_id)).status_code == 200  # the real link still works


def test_get_and_head_never_change_the_ticket(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    before = [(i.sk, getattr(i, "version", None)) for i in partition(ticket.ticket_id)]
    for _ in range(100):
        assert client.http.get(path).status_code == 200
        assert client.http.request("HEAD", path).status_code == 200
        client.http.get(f"{path}/confirmation")
    after = [(i.sk, getattr(i, "version", None)) for i in partition(ticket.ticket_id)]
    assert after == before


def test_link_pages_send_the_protective_headers(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    for status, path in ((200, contractor_path(ticket.ticket_id)), (404, f"/t/{ticket.ticket_id}/{'C' * 32}")):
        response = client.http.get(path)
        assert response.status_code == status
        headers = {k.lower(): v for k, v in response.headers.items()}
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert "noindex" in headers["x-robots-tag"]
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = client.http.get(contractor_path(ticket.ticket_id)).body.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script on a link page"


def test_the_secret_is_stored_only_as_a_hash(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    secret = contractor_path(ticket.ticket_id).rsplit("/", 1)[1]
    assert len(secret) >= 22  # ≥128 bits of url-safe base64
    dump = repr([item.serialize() for item in RelaisItem.scan()])
    assert secret not in dump
    import hashlib

    assert hashlib.sha256(secret.encode()).hexdigest() in dump


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"planned_date": ""}, "planned_date", "Indiquez la date d&#39;intervention."),
        ({"planned_time": ""}, "planned_time", "Indiquez l&#39;heure d&#39;intervention."),
        ({"planned_date": "2020-01-10"}, "planned_date", "déjà passées"),
        ({"planned_date": "2026-02-30"}, "planned_date", "Date invalide"),
        ({"planned_time": "25:61"}, "planned_time", "Heure invalide"),
        ({"comment": "x" * 2001}, "comment", "dépasse 2000 caractères"),
        ({"decision": "refuse", "reason": "  "}, "reason", "Indiquez le motif du refus."),
        ({"decision": ""}, "decision", "accepter ou refuser"),
    ],
)
def test_bad_answers_come_back_with_the_error_next_to_the_field(client: Client, people: People, overrides: dict[str, str],
                                                                field: str, message: str) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    response = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=accept_body(client.http.get(path).body.decode(),
                                                                                         **overrides))
    assert response.status_code == 400
    html = response.body.decode()
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert store.load_ticket(ticket.ticket_id).ticket.state == "sent"
    assert [e.event_type for e in events_of(ticket.ticket_id)] == ["created"]
    if "comment" in overrides:
        assert "x" * 2001 in html  # what was typed is kept


@pytest.mark.parametrize("token", ["", "forged.token.value", None])
def test_missing_or_wrong_form_token_stores_nothing(client: Client, people: People, token: str | None) -> None:
    ticket = new_ticket(people)
    other = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    if token is None:  # a genuine token, but from another ticket's form
        token = form_token(client.http.get(contractor_path(other.ticket_id)).body.decode())
    body = accept_body(client.http.get(path).body.decode(), form_token=token)
    response = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.body.decode()
    assert store.load_ticket(ticket.ticket_id).ticket.state == "sent"


def test_refusing_records_the_reason_and_alerts_the_manager(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    body = accept_body(client.http.get(path).body.decode(), decision="refuse", reason="Pas disponible avant janvier.")
    assert client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body).status_code == 303
    view = store.load_ticket(ticket.ticket_id)
    assert view.ticket.state == "refused"
    assert view.events[-1].data["reason"] == "Pas disponible avant janvier."
    alerts = [n for n in view.notifications if n.audience == "manager"]
    assert [n.template for n in alerts] == ["manager_refused"]
    assert "Pas disponible avant janvier." in client.http.get(path).body.decode()


# -- double submits and races --------------------------------------------------------------------

def test_a_double_click_records_one_answer(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    body = accept_body(client.http.get(path).body.decode())
    first = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)
    second = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert [e.event_type for e in events_of(ticket.ticket_id)] == ["created", "accept"]


def test_twenty_identical_submissions_at_once_record_one_answer(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    body = accept_body(client.http.get(path).body.decode())
    start = threading.Barrier(20)

    def submit(_: int) -> tuple[int, str]:
        start.wait()
        response = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)
        return response.status_code, response.headers.get("Location", "")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(submit, range(20)))
    assert set(results) == {(303, f"{path}/confirmation")}
    assert [e.event_type for e in events_of(ticket.ticket_id)] == ["created", "accept"]
    alerts = [n for n in notifications_of(ticket.ticket_id) if n.audience == "manager"]
    assert len(alerts) == 1
    presence = [n for n in notifications_of(ticket.ticket_id) if n.channel == "schedule" and n.template == "presence_check"]
    assert len(presence) == 1


def _race_accept_against_cancel(client: Client, people: People, attempt: int) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    body = accept_body(client.http.get(path).body.decode())
    manager_view = store.load_ticket(ticket.ticket_id)
    start = threading.Barrier(2)

    def accept() -> int:
        start.wait()
        return client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body).status_code

    def cancel() -> str:
        start.wait()
        try:
            tickets.cancel_ticket(manager_view, people.manager, "Doublon", f"cancel-race-{attempt:020d}", clock.now())
            return "cancelled"
        except (store.Conflict, tickets.lifecycle.NotAllowed):
            return "refused"

    with ThreadPoolExecutor(2) as pool:
        accepted, cancelled = pool.submit(accept), pool.submit(cancel)
        status, outcome = accepted.result(), cancelled.result()
    view = store.load_ticket(ticket.ticket_id)
    kinds = [e.event_type for e in view.events]
    if outcome == "cancelled":
        assert view.ticket.state == "cancelled" and kinds == ["created", "cancel"]
        assert status == 409
        assert "a été annulée par le gestionnaire" in client.http.get(path).body.decode()
    else:
        assert view.ticket.state == "scheduled" and kinds == ["created", "accept"] and status == 303
    # The outbox matches the winner exactly: nothing from the loser.
    templates = sorted(n.template for n in view.notifications if n.channel != "schedule")
    winner = ["cancelled", "cancelled"] if outcome == "cancelled" else ["accepted", "manager_accepted"]
    assert templates == sorted(["intervention_request", "intervention_request", *winner])


def test_accept_and_cancel_at_once_one_wins_and_nothing_is_half_written(client: Client, people: People) -> None:
    for attempt in range(5):
        _race_accept_against_cancel(client, people, attempt)


def test_logs_never_hold_a_link_secret_phone_or_email(client: Client, people: People, pump: object) -> None:
    from tests.integration.test_observability import printed

    with printed() as lines:  # each line as CloudWatch would receive it, at the prod stage's level
        ticket = new_ticket(people)
        pump.drain()  # type: ignore[attr-defined]
        path = contractor_path(ticket.ticket_id)
        client.http.get(path)
        client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=accept_body(client.http.get(path).body.decode()))
        client.http.get(f"/t/{ticket.ticket_id}/{'D' * 32}")
        pump.drain()  # type: ignore[attr-defined]
    logs = "\n".join(lines)
    assert ticket.ticket_id in logs and '"route":"/t/{ticket_id}/{secret}"' in logs  # the logs do say what happened
    for private in (path.rsplit("/", 1)[1], "+33612345678", "612345678", "karim@plomberie-benali.fr",
                    "claire.martin@gestion-demo.fr"):
        assert private not in logs


def test_a_gone_link_answers_in_the_contractors_language(client: Client, people: People) -> None:
    ticket = new_ticket(people, contractor=people.email_only, channels=("email",))
    path = contractor_path(ticket.ticket_id)
    link = store.load_ticket(ticket.ticket_id).links[0]
    link.update(actions=[type(link).revoked.set(True)])
    page = client.http.get(path)
    assert page.status_code == 410 and '<html lang="en">' in page.body.decode()


def test_a_link_taken_back_answers_in_its_own_contractors_language(client: Client, people: People) -> None:
    """Jane (English) is replaced by Karim (French): Jane's old link says it is gone in English."""
    from chalicelib.domain import clock, tokens
    from chalicelib.usecases import ticket_admin

    ticket = new_ticket(people, contractor=people.email_only, channels=("email",))
    janes = contractor_path(ticket.ticket_id)
    ticket_admin.reassign(store.load_ticket(ticket.ticket_id), people.manager, people.plumber, tokens.new_random_secret(),
                          clock.now())
    page = client.http.get(janes)
    assert page.status_code == 410 and '<html lang="en">' in page.body.decode()
    assert store.load_ticket(ticket.ticket_id).ticket.contractor_language == "fr"  # the ticket's is Karim's now
