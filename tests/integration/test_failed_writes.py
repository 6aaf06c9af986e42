"""One rule for failed writes: only a condition that failed is the conflict a page names ("already
another contractor's", "changed meanwhile", "duplicate"). A throttled, busy or failing table is an
error: people get the 503 "try again in a moment" page holding what they sent, and a Lambda function
fails so that it is invoked again. DynamoDB's answers are injected into the botocore clients pynamodb
uses; everything else runs against the moto server."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.awsrequest import AWSResponse
from chalice.test import Client

from chalicelib.data import directory, store
from chalicelib.data.models import Event, RelaisItem, ticket_pk
from tests.infra.test_bounces import KARIM_EMAIL, sent_email, ses_event, sns
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, new_ticket
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_outbox import fail_for_good
from tests.integration.test_people import _contractor_form, _post
from tests.integration.test_timers import act, fire, manager_action


class TableBusy:
    """DynamoDB refuses `operation` (`times` times, or always) as botocore hands it over after its own
    retries: a transaction cancelled for `reason` on its first item (botocore never retries a
    cancellation), or, with `code`, the whole request (ProvisionedThroughputExceededException…)."""

    def __init__(self, operation: str = "TransactWriteItems", reason: str = "ThrottlingError",
                 code: str | None = None, times: int | None = None) -> None:
        self.operation, self.reason, self.code, self.times, self.calls = operation, reason, code, times, 0
        clients = (store.connection().client, RelaisItem._get_connection().connection.client)
        self._clients = list({id(c): c for c in clients}.values())

    def _refuse(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.times is not None and self.calls >= self.times:
            return None  # sent to the moto server
        self.calls += 1
        if self.code is not None:
            status = 500 if self.code == "InternalServerError" else 400
            return AWSResponse("https://dynamodb", status, {}, None), {"Error": {"Code": self.code, "Message": "busy"}}
        items = json.loads(params["body"])["TransactItems"]  # the request as it would go out
        reasons = [{"Code": self.reason}] + [{"Code": "None"}] * (len(items) - 1)
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return AWSResponse("https://dynamodb", 400, {}, None), {"Error": error, "CancellationReasons": reasons}

    def __enter__(self) -> TableBusy:
        for client in self._clients:
            client.meta.events.register(f"before-call.dynamodb.{self.operation}", self._refuse)
        return self

    def __exit__(self, *_: object) -> None:
        for client in self._clients:
            client.meta.events.unregister(f"before-call.dynamodb.{self.operation}", self._refuse)


def busy_page_fields(response: Any) -> list[tuple[str, str]]:
    """The 503 page, in both languages, and what it sends again."""
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    page = html.unescape(response.body.decode())
    assert "Service momentanément occupé" in page and "Service momentarily busy" in page
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)


@pytest.mark.parametrize("refusal", [{"reason": "ThrottlingError"}, {"code": "InternalServerError"}],
                         ids=["throttled", "internal-error"])
def test_adding_a_contractor_while_the_table_is_busy_is_no_duplicate_and_keeps_the_form(
        client: Client, people: People, refusal: dict[str, str]) -> None:
    headers = signed_in_headers(client, people)
    fields = _contractor_form(client, headers)  # a phone and an email nobody has
    with TableBusy(**refusal) as busy:
        response = _post(client, headers, "/admin/contractors", fields)
    assert busy.calls == 1
    assert "déjà celui d'un autre intervenant" not in html.unescape(response.body.decode())
    sent = busy_page_fields(response)
    assert ("name", "Sophie Durand") in sent and ("channels", "sms") in sent and ("channels", "email") in sent
    assert len(directory.list_contractors()) == 2  # nothing stored

    again = client.http.post("/admin/contractors", headers={**FORM_HEADERS, **headers}, body=urlencode(sent))
    assert again.status_code == 303  # the page's button: saved as typed
    assert [c.name for c in directory.list_contractors()].count("Sophie Durand") == 1


def test_a_bounce_while_the_table_is_busy_fails_so_that_lambda_tries_again(people: People, pump: Any) -> None:
    import app as relais_app

    ticket = new_ticket(people)
    pump.drain()
    email = sent_email(ticket.ticket_id)
    with TableBusy(), pytest.raises(Exception) as raised:  # the invocation fails: no "duplicate"
        relais_app.handle_bounce(sns(ses_event("Bounce", email.provider_id, KARIM_EMAIL)), None)
    assert isinstance(raised.value, store.Busy)
    assert relais_app.handle_bounce(sns(ses_event("Bounce", email.provider_id, KARIM_EMAIL)), None) == {"recorded": 1}


def test_marking_read_or_resending_while_the_table_is_busy_is_no_change_meanwhile(
        client: Client, people: People, pump: Any) -> None:
    written = new_ticket(people)
    assert act(client, contractor_path(written.ticket_id), "messages", {"body": "Je passe demain."}).status_code == 303
    with TableBusy(reason="TransactionConflict"):
        response = manager_action(client, people, written.ticket_id, "mark_read")
    assert "a changé entre-temps" not in html.unescape(response.body.decode())
    busy_page_fields(response)
    assert store.load_ticket(written.ticket_id).ticket.unread_since  # still unread

    failing = new_ticket(people, channels=("sms",))
    fail_for_good(pump)
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{failing.ticket_id}", headers=headers).body.decode()
    fields = {"csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
              "form_id": re.search(r'actions/resend".*?name="form_id" value="([^"]+)"', page, re.S).group(1),  # type: ignore[union-attr]
              "notification_id": re.search(r'name="notification_id" value="([^"]+)"', page).group(1)}  # type: ignore[union-attr]
    with TableBusy():
        response = client.http.post(f"/admin/tickets/{failing.ticket_id}/actions/resend",
                                    headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert "a changé entre-temps" not in html.unescape(response.body.decode())
    busy_page_fields(response)
    assert [n.status for n in store.load_ticket(failing.ticket_id).notifications if n.channel == "sms"] == ["failed"]


def test_a_change_that_meets_another_transaction_once_is_written_not_called_a_change_meanwhile(
        client: Client, people: People) -> None:
    """Real DynamoDB cancels a transaction that meets another one on the same item (TransactionConflict),
    conditions unchecked: the same write goes once more, and holds if nothing it read has changed."""
    written = new_ticket(people)
    assert act(client, contractor_path(written.ticket_id), "messages", {"body": "Je passe demain."}).status_code == 303
    with TableBusy(reason="TransactionConflict", times=1) as busy:
        response = manager_action(client, people, written.ticket_id, "mark_read")
    assert busy.calls == 1 and response.status_code == 303
    assert not store.load_ticket(written.ticket_id).ticket.unread_since


def test_a_contractor_message_while_the_table_is_busy_comes_back_to_be_sent_again(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    with TableBusy():
        response = act(client, path, "messages", {"body": "Le robinet est commandé."})
    sent = busy_page_fields(response)
    assert ("body", "Le robinet est commandé.") in sent
    again = client.http.post(f"{path}/messages", headers=FORM_HEADERS, body=urlencode(sent))
    assert again.status_code == 303
    messages = [i for i in RelaisItem.query(ticket_pk(ticket.ticket_id)) if isinstance(i, Event) and i.event_type == "message"]
    assert [m.data["body"] for m in messages] == ["Le robinet est commandé."]


def test_a_timer_while_the_table_is_busy_fails_so_that_it_fires_again(people: People, pump: Any) -> None:
    ticket = new_ticket(people)
    pump.drain()
    with TableBusy(), pytest.raises(Exception) as raised:  # the invocation fails: a "stale" alert would be lost
        fire(ticket.ticket_id, "answer_overdue")
    assert isinstance(raised.value, store.Busy)
    assert fire(ticket.ticket_id, "answer_overdue") == "done"


def test_a_login_link_opened_while_the_table_is_busy_still_works_afterwards(client: Client, people: People) -> None:
    from tests.integration.test_admin import _login_secret

    secret = _login_secret(people)
    with TableBusy("UpdateItem", code="ProvisionedThroughputExceededException"):
        response = client.http.post(f"/admin/login/{secret}", headers=FORM_HEADERS, body="")
    busy_page_fields(response)  # not "this link is no longer valid"
    assert client.http.post(f"/admin/login/{secret}", headers=FORM_HEADERS, body="").status_code == 303
