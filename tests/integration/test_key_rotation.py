"""Rotating the signing key in SSM (`put-parameter --overwrite`) cuts nobody off: links already
sent keep working and are sent again unchanged, forms and sessions opened before it still
work, and a second rotation retires the first key's tokens but never its links."""

from __future__ import annotations

import os
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from chalicelib.aws import signing_keys
from chalicelib.data import links, store
from chalicelib.data.models import Link, ticket_pk
from chalicelib.domain import clock, tokens
from chalicelib.usecases import changes, tickets
from tests.integration.conftest import (
    FORM_HEADERS,
    LOGIN_HEADERS,
    People,
    contractor_path,
    form_token,
    link_path,
    new_ticket,
    sent_messages,
    tomorrow_paris,
)
from tests.integration.test_admin import signed_in_headers


def rotate() -> None:
    boto3.client("ssm").put_parameter(Name=os.environ["RELAIS_SIGNING_KEY_PARAMETER"], Value=secrets.token_urlsafe(48),
                                      Type="SecureString", Overwrite=True)
    signing_keys.forget()  # what each container does by itself within signing_keys._CACHE_SECONDS


def last_sms_link(aws: str) -> str:
    return link_path(sent_messages(aws)["sms"][-1]["message"])


def test_links_and_forms_from_before_a_rotation_keep_working(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    pump.drain()
    path = last_sms_link(aws)  # what the contractor received
    html = client.http.get(path).body.decode()

    rotate()

    assert signing_keys.current().version == 2
    assert client.http.get(path).status_code == 200
    view = store.load_ticket(ticket.ticket_id)
    tickets.post_message(view, changes.manager_who(people.manager), "Le code a changé : 7788", [],
                         tokens.new_random_secret(), clock.now())
    pump.drain()
    assert last_sms_link(aws) == path  # a later message carries the same link, still valid
    body = urlencode({"form_token": form_token(html), "decision": "accept", "planned_date": tomorrow_paris(),
                      "planned_time": "14:30", "comment": ""})
    accepted = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)  # the form was opened before
    assert accepted.status_code == 303 and store.load_ticket(ticket.ticket_id).ticket.state == "scheduled"

    later = new_ticket(people)
    assert Link.get(ticket_pk(later.ticket_id), "LINK#0001").key_version == 2
    assert client.http.get(contractor_path(later.ticket_id)).status_code == 200


def test_a_second_rotation_retires_the_first_keys_forms_but_not_its_links(client: Client, people: People, pump: Any,
                                                                          aws: str) -> None:
    ticket = new_ticket(people)
    pump.drain()
    path = last_sms_link(aws)
    html = client.http.get(path).body.decode()

    rotate()
    rotate()

    body = urlencode({"form_token": form_token(html), "decision": "refuse", "reason": "Pas disponible"})
    expired = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)
    assert expired.status_code == 400 and "Le formulaire a expiré" in expired.body.decode()
    assert store.load_ticket(ticket.ticket_id).ticket.state == "sent"  # nothing recorded
    fresh = client.http.get(path)  # the link itself still opens the form, with a token under the new key
    assert fresh.status_code == 200
    body = urlencode({"form_token": form_token(fresh.body.decode()), "decision": "refuse", "reason": "Pas disponible"})
    assert client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body).status_code == 303
    assert contractor_path(ticket.ticket_id) == path  # derived again from version 1, kept by SSM


def test_a_manager_stays_signed_in_and_a_login_link_sent_across_a_rotation_works(client: Client, people: People,
                                                                                 pump: Any, aws: str) -> None:
    signed_in = signed_in_headers(client, people)
    asked = client.http.post("/admin/login", headers=LOGIN_HEADERS, body=urlencode({"email": people.manager.email}))
    assert asked.status_code == 200

    rotate()  # between the request for a link and its email

    assert client.http.get("/admin", headers=signed_in).status_code == 200
    pump.drain()
    mail = next(m for m in reversed(sent_messages(aws)["email"]) if "/admin/login/" in m["body"])
    match = re.search(r"http://127\.0\.0\.1:8000(/admin/login/[A-Za-z0-9_-]+)", mail["body"])
    assert match
    assert client.http.get(match.group(1)).status_code == 200
    assert client.http.post(match.group(1), headers=FORM_HEADERS, body="").status_code == 303


def test_a_link_saved_before_versions_were_recorded_survives_the_rotation(client: Client, people: People, pump: Any,
                                                                          aws: str) -> None:
    ticket = new_ticket(people)
    pump.drain()
    path = last_sms_link(aws)
    legacy = Link.get(ticket_pk(ticket.ticket_id), "LINK#0001")
    legacy.key_version = None  # as the previous version of Relais saved it
    legacy.save()

    rotate()  # even once a rotation happened, the version is found by the stored hash
    assert links.record_key_versions() == 1
    assert links.record_key_versions() == 0

    assert Link.get(ticket_pk(ticket.ticket_id), "LINK#0001").key_version == 1
    view = store.load_ticket(ticket.ticket_id)
    tickets.post_message(view, changes.manager_who(people.manager), "Le code a changé : 7788", [],
                         tokens.new_random_secret(), clock.now())
    pump.drain()
    assert last_sms_link(aws) == path and client.http.get(path).status_code == 200


def test_a_container_that_has_not_seen_the_rotation_yet_accepts_what_others_sign(monkeypatch: pytest.MonkeyPatch,
                                                                                 people: People) -> None:
    before = signing_keys.signer()  # this container read version 1...
    boto3.client("ssm").put_parameter(Name=os.environ["RELAIS_SIGNING_KEY_PARAMETER"], Value=secrets.token_urlsafe(48),
                                      Type="SecureString", Overwrite=True)
    signed_elsewhere = tokens.SignedTokens(signing_keys._get_parameter(os.environ["RELAIS_SIGNING_KEY_PARAMETER"]).value)
    token = signed_elsewhere.dumps("session", {"m": people.manager.manager_id, "s": "x"})  # ...another one signs with 2
    real = time.monotonic
    monkeypatch.setattr(signing_keys.time, "monotonic", lambda: real() + 60)  # a minute later, still inside the 5-minute cache

    assert before.loads("session", token, 3600) == {"m": people.manager.manager_id, "s": "x"}
    assert signing_keys.current().version == 2  # and this container signs with the new version from now on
    assert tokens.SignedTokens(signing_keys.signing_key()).loads("session", token, 3600) is not None


def test_ssm_failing_does_not_fail_a_container_that_has_the_key(monkeypatch: pytest.MonkeyPatch, people: People) -> None:
    from tests.integration.test_outbox import Outage

    key = signing_keys.current()
    real = time.monotonic
    monkeypatch.setattr(signing_keys.time, "monotonic", lambda: real() + 400)  # the 5-minute cache ran out
    with Outage("ssm", "GetParameter") as outage:
        assert signing_keys.current() == key
        for _ in range(50):  # forged tokens would each ask SSM for a newer key
            assert signing_keys.signer().loads("session", "a.b.c", 3600) is None
        assert outage.calls == 1  # then nothing before signing_keys._RECHECK_SECONDS
        signing_keys.forget()
        with pytest.raises(Exception, match="Could not connect"):
            signing_keys.current()  # a cold start without a key cannot sign anything: it fails
    assert signing_keys.current() == key
