"""The agency is the sender (issue 14, section 1): an administrateur edits its profile on the
"Agence" page; the next SMS opens with its name and carries its sender ID, emails come from its
name, and the contractor's form names it with a number to call, still in one DynamoDB call."""

from __future__ import annotations

import html
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.utils import parseaddr
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.aws import clients as aws_clients
from chalicelib.config import settings
from chalicelib.data import agency, directory
from chalicelib.domain.errors import NotAdministrateur
from local.harness import recording_aws_calls
from tests.integration.conftest import People, contractor_path, new_ticket, sent_messages
from tests.integration.test_admin import csrf_of, signed_in_headers
from tests.integration.test_manager_roles import _as
from tests.integration.test_people import _post

PROFILE = {"name": "Régie Lumière & Fils", "sms_sender_id": "REGIELUM", "phone": "04 72 10 20 30",
           "postal_address": "3 place Bellecour, 69002 Lyon", "reply_domain": "reponses.regie-lumiere.fr"}


@pytest.fixture
def sent_params() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The parameters of every SNS Publish and SES SendEmail, as they leave for AWS (moto keeps
    neither the SMS sender ID nor the From's display name)."""
    calls: dict[str, list[dict[str, Any]]] = {"sns": [], "sesv2": []}
    hooks = {"sns": "provide-client-params.sns.Publish", "sesv2": "provide-client-params.sesv2.SendEmail"}
    for service, event in hooks.items():
        aws_clients.client(service).meta.events.register(event, lambda params, _s=service, **_: calls[_s].append(params))
    yield calls
    aws_clients.reset_clients()


def _edit(client: Client, headers: dict[str, str], **changes: str) -> Any:
    page = client.http.get("/admin/agency", headers=headers).body.decode()
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    return _post(client, headers, "/admin/agency", {"csrf": csrf_of(page), "version": version, **PROFILE, **changes})


def test_an_edited_profile_signs_the_next_sms_and_email(client: Client, people: People, pump: Any, aws: str,
                                                        sent_params: dict[str, list[dict[str, Any]]]) -> None:
    headers = signed_in_headers(client, people)
    assert 'href="/admin/agency"' in client.http.get("/admin/tickets", headers=headers).body.decode()
    saved = _edit(client, headers)
    assert saved.status_code == 303 and saved.headers["Location"] == "/admin/agency?done=saved"
    page = html.unescape(client.http.get(saved.headers["Location"], headers=headers).body.decode())
    assert "Profil de l'agence enregistré" in page and 'value="+33472102030"' in page  # the phone, as E.164

    ticket = new_ticket(people)
    pump.drain()
    (publish,) = sent_params["sns"]
    assert publish["MessageAttributes"]["AWS.SNS.SMS.SenderID"]["StringValue"] == "REGIELUM"
    assert publish["Message"].startswith(f"Régie Lumière & Fils {ticket.reference} :")
    assert [m["message"] for m in sent_messages(aws)["sms"]] == [publish["Message"]]
    (email,) = sent_params["sesv2"]
    name, address = parseaddr(email["FromEmailAddress"])
    assert str(make_header(decode_header(name))) == "Régie Lumière & Fils" and address == settings().sender_email


def test_bad_input_changes_nothing_and_says_what_is_wrong(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    refused = _edit(client, headers, name="", sms_sender_id="Régie Lumière", phone="12", postal_address="",
                    reply_domain="pas un domaine")
    page = html.unescape(refused.body.decode())
    assert refused.status_code == 400
    for message in ("Indiquez le nom de l'agence.", "L'expéditeur SMS compte 1 à 11 lettres ou chiffres",
                    "Numéro de téléphone invalide.", "Indiquez l'adresse postale de l'agence.",
                    "Indiquez un nom de domaine, par exemple reponses.agence.fr."):
        assert message in page
    assert 'value="Régie Lumière"' in page  # what was typed stays in the form
    agency.forget()
    assert agency.load() == (settings().agency, None)


def test_a_gestionnaire_sees_the_profile_but_cannot_change_it(client: Client, people: People) -> None:
    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr", role=directory.GESTIONNAIRE)
    headers = _as(client, bruno)
    page = html.unescape(client.http.get("/admin/agency", headers=headers).body.decode())
    assert settings().agency.name in page and "Seul un administrateur peut modifier le profil" in page
    refused = _edit(client, headers)
    assert refused.status_code == 403
    with pytest.raises(NotAdministrateur):  # checked again when written: a role lost after the page was served
        agency.save(settings().agency, None, bruno.manager_id)
    agency.forget()
    assert agency.load() == (settings().agency, None)


def test_a_double_submit_saves_once_and_a_stale_form_overwrites_nothing(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    page = client.http.get("/admin/agency", headers=headers).body.decode()
    fields = {"csrf": csrf_of(page), "version": "", **PROFILE}
    first, second = (_post(client, headers, "/admin/agency", fields) for _ in range(2))
    assert (first.status_code, second.status_code) == (303, 303)  # the second click lands on what the first saved
    assert agency.load()[1] == 1

    stale = _post(client, headers, "/admin/agency", {**fields, "name": "Autre agence"})  # a tab opened before the save
    assert stale.status_code == 409
    assert "modifié entre-temps" in html.unescape(stale.body.decode())
    agency.forget()
    assert agency.load()[0].name == PROFILE["name"]


def test_the_contractors_form_names_the_agency_and_a_number_to_call_in_one_query(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    assert _edit(client, headers).status_code == 303
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    agency.forget()  # another container: nothing cached
    with recording_aws_calls() as calls:
        page = client.http.get(path)
    assert page.status_code == 200 and calls.dynamodb() == ["Query"]
    text = html.unescape(page.body.decode())
    assert "Votre interlocuteur : Claire Martin, Régie Lumière & Fils" in text
    assert '<a class="button secondary call" href="tel:+33472102030">Appeler le +33472102030</a>' in text
