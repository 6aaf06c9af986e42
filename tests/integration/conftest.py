"""Integration helpers: the Chalice test client, the pump, demo people, and the outbox."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.data import directory
from chalicelib.data.models import Contractor, Manager
from chalicelib.domain import clock, contacts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture
def client(aws: str) -> Iterator[Client]:
    import app as relais_app

    with Client(relais_app.app, project_dir=ROOT, stage_name="local") as test_client:
        yield test_client


@pytest.fixture
def pump(aws: str) -> Any:
    import app as relais_app
    from local import resources
    from local.pump import Pump

    return Pump(resources.stream_arn(os.environ["RELAIS_TABLE"]), relais_app.dispatch_outbox,
                relais_app.sweep_outbox, sweep_every=0)


@dataclass
class People:
    manager: Manager
    plumber: Contractor
    email_only: Contractor


def make_people() -> People:
    """One manager, a plumber reachable by SMS and email, an English-speaking electrician by email."""
    manager = directory.save_manager("Claire Martin", "claire.martin@gestion-demo.fr")
    plumber = directory.save_contractor(
        name="Karim Benali", company="Plomberie Benali", trade="Plombier",
        phone=contacts.normalise_phone("06 12 34 56 78"), email="karim@plomberie-benali.fr", channels=["sms", "email"])
    email_only = directory.save_contractor(
        name="Jane Smith", company="Smith Electrics", trade="Electrician", phone=None,
        email="jane@smith-electrics.co.uk", channels=["email"], language="en")
    return People(manager, plumber, email_only)


@pytest.fixture
def people(aws: str) -> People:
    return make_people()


def sent_messages(endpoint: str) -> dict[str, list[dict[str, Any]]]:
    """What moto says SNS and SES were asked to send."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        state = json.load(response)
    return {"sms": state.get("sns", {}).get("SMS", []), "email": state.get("ses", {}).get("Message", [])}


LINK = re.compile(r"http://127\.0\.0\.1:8000(/t/[A-Z0-9]{26}/[A-Za-z0-9_-]+)")


def link_path(text: str) -> str:
    match = LINK.search(text)
    assert match, f"no contractor link in {text!r}"
    return match.group(1)


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "no form token in the page"
    return match.group(1)


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
# A sign-in request as a browser sends it from the login page: naming the app's origin.
LOGIN_HEADERS = {**FORM_HEADERS, "Origin": "http://127.0.0.1:8000"}


def new_ticket(people: People, contractor: Contractor | None = None, channels: tuple[str, ...] = ("sms", "email")) -> Any:
    from chalicelib.domain.forms import NewRequest
    from chalicelib.usecases import tickets

    request = NewRequest("", "intervention", "Fuite sous l'évier", "Fuite au lot 12.", "14 rue des Lilas, Lyon",
                         "Digicode 4521B", "urgent", channels)
    return tickets.create_request(people.manager, contractor or people.plumber, request, clock.now())


def contractor_path(ticket_id: str) -> str:
    """The contractor's link, as the SMS carries it (derived the way the dispatcher does)."""
    from chalicelib.data import links, store

    view = store.load_ticket(ticket_id)
    link = links.current_link(view)
    assert link is not None
    return f"/t/{ticket_id}/{links.secret_of(link)}"


def tomorrow_paris() -> str:
    from datetime import timedelta

    return (clock.paris(clock.now()) + timedelta(days=1)).date().isoformat()
