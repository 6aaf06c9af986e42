"""SMS as the contractor's phone gets them: from the agency, one GSM-7 segment, a shorter link that
opens the form with one DynamoDB call, and links sent before the change still working."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.aws import clients as aws_clients
from chalicelib.aws import signing_keys
from chalicelib.config import settings
from chalicelib.data import links, store
from chalicelib.data.models import Link
from chalicelib.domain import clock, gsm7, tokens
from chalicelib.usecases import changes, tickets
from local.harness import recording_aws_calls
from tests.integration.conftest import People, contractor_path, new_ticket, sent_messages


@pytest.fixture
def agency(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RELAIS_AGENCY_NAME", "Régie Lumière & Fils")
    monkeypatch.setenv("RELAIS_AGENCY_SMS_SENDER_ID", "REGIELUM")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """The parameters of every SNS Publish, as they leave for AWS (moto keeps no message attributes)."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    sns = aws_clients.client("sns")
    sns.meta.events.register("provide-client-params.sns.Publish", record)
    yield calls
    sns.meta.events.unregister("provide-client-params.sns.Publish", record)
    aws_clients.reset_clients()


def test_the_sms_comes_from_the_agency_in_one_gsm7_segment(agency: None, people: People, pump: Any, aws: str,
                                                           published: list[dict[str, Any]]) -> None:
    from chalicelib.domain.forms import NewRequest

    request = NewRequest("", "intervention", "Chauffe-eau « Atlantic » : fuite côté cour…",
                         "Fuite au 2ᵉ étage.", "Résidence Les Hêtres, 128 boulevard de la Croix-Rousse, 69004 Lyon",
                         "Digicode 4521B", "urgent", ("sms",))
    ticket = tickets.create_request(people.manager, people.plumber, request, clock.now())
    pump.drain()

    (publish,) = published
    assert publish["MessageAttributes"]["AWS.SNS.SMS.SenderID"] == {"DataType": "String", "StringValue": "REGIELUM"}
    text = publish["Message"]
    assert gsm7.is_gsm7(text) and gsm7.septets(text) <= gsm7.ONE_SEGMENT, text
    assert text.startswith(f"Régie Lumière & Fils {ticket.reference} : demande d'intervention. 128 boulevard de la")
    assert text.endswith(f"{settings().base_url}{contractor_path(ticket.ticket_id)}")
    assert [m["message"] for m in sent_messages(aws)["sms"]] == [text]


def test_a_new_link_carries_128_bits_and_opens_the_form_with_one_query(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    secret = path.rsplit("/", 1)[1]
    assert len(path) == len("/t/") + 26 + len("/") + 22  # was 26 + 32 characters
    assert len(secret) * 6 >= 128 and tokens.looks_like_secret(secret)
    with recording_aws_calls() as calls:
        page = client.http.get(path)
    assert page.status_code == 200 and calls.dynamodb() == ["Query"]


def _as_sent_before(ticket_id: str) -> str:
    """The ticket's link as links were made before they were shortened: a 24-byte secret, no size."""
    link = links.current_link(store.load_ticket(ticket_id))
    assert link is not None
    old = tokens.derive_link_secret(signing_keys.at_version(link.key_version), ticket_id, int(link.number), link.nonce,
                                    size=24)
    link.update(actions=[Link.secret_hash.set(tokens.sha256_hex(old)), Link.secret_bytes.remove()])
    return f"/t/{ticket_id}/{old}"


def test_a_link_already_in_a_phone_keeps_working_and_later_sms_carry_it(client: Client, people: People, pump: Any,
                                                                         aws: str) -> None:
    ticket = new_ticket(people)
    pump.drain()
    old_path = _as_sent_before(ticket.ticket_id)
    assert len(old_path.rsplit("/", 1)[1]) == 32
    with recording_aws_calls() as calls:
        page = client.http.get(old_path)
    assert page.status_code == 200 and calls.dynamodb() == ["Query"]
    assert client.http.get(old_path[:-10]).status_code == 404  # its first 22 characters are no link

    view = store.load_ticket(ticket.ticket_id)
    tickets.post_message(view, changes.manager_who(people.manager), "Le gardien vous ouvrira.", [], "sub-1", clock.now())
    pump.drain()
    last = sent_messages(aws)["sms"][-1]["message"]
    assert last.endswith(f"{settings().base_url}{old_path}")
    assert gsm7.septets(last) <= gsm7.ONE_SEGMENT
