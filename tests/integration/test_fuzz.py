"""Fuzzing every route of the product: no request, however odd, gets a server error.

A few thousand requests, generated from a fixed seed over `app.routes` (the dev pages of the local
stage aside): path parameters that are right, wrong, huge or exotic; any method; form bodies
built from the product's field names with right and wrong values, raw bytes, JSON; odd headers and
cookies; with and without a manager session and its CSRF token, and a contractor's live link.
In-process (Chalice's test client) against the loopback moto server; it stops after REQUESTS
requests or DEADLINE_SECONDS, whichever comes first, and fails on any answer ≥ 500.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from chalice.local import LambdaEventConverter
from chalice.test import Client

from chalicelib.data import directory, throttle
from tests.integration.conftest import People, contractor_path, form_token, new_ticket, tomorrow_paris
from tests.integration.test_admin import csrf_of, draft_of, signed_in_headers

SEED = 2
REQUESTS = 3000
DEADLINE_SECONDS = 150
MINIMUM_REQUESTS = 500  # even on a very busy machine, enough to mean something
# OPTIONS never reaches the app: API Gateway answers it (and Chalice's test client fails on its empty body).
METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH"]
ACTIONS = ["answer", "quote", "reschedule", "presence", "late", "completion", "invoice", "cancel", "request_quote",
           "accept_quote", "reject_quote", "request_completion", "request_invoice", "waive_invoice", "close", "reassign",
           "reassign_quote", "change_owner", "mark_read", "resend", "message", "nope"]
ODD = ["", " ", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "%00", "%2F", "..", "../../etc/passwd",
       "<script>alert(1)</script>", "' OR '1'='1", "é", "Ω≈ç√", "😀" * 3, "\u202efdp.exe", "\u0000", "\ufeff", "ﷺ",
       "a" * 27, "01M8DXFDPHG8Y8H5SDEJG5332X", "0" * 26, "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"]


class World(SimpleNamespace):
    """What valid values the fuzzer may pick: ids, the contractor's link, a manager session and its tokens."""


def _world(client: Client, people: People) -> World:
    ticket, other = new_ticket(people), new_ticket(people, people.email_only, channels=("email",))
    path = contractor_path(ticket.ticket_id)
    form = client.http.get(path).body.decode()
    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr", role=directory.GESTIONNAIRE)
    world = World(ticket_ids=[ticket.ticket_id, other.ticket_id], secret=path.rsplit("/", 1)[1],
                  contractor_ids=[people.plumber.contractor_id, people.email_only.contractor_id],
                  manager_ids=[people.manager.manager_id, bruno.manager_id], form_token=form_token(form), people=people)
    _sign_in(client, world)
    return world


def _sign_in(client: Client, world: World) -> None:
    world.session = signed_in_headers(client, world.people)
    page = client.http.get("/admin/tickets/new", headers=world.session).body.decode()
    world.csrf, world.draft = csrf_of(page), draft_of(page)
    managers = client.http.get("/admin/managers", headers=world.session).body.decode()
    tokens = re.findall(r'name="new_token" value="([^"]+)"', managers)
    world.new_token = tokens[0] if tokens else ""


def _odd(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return "x" * rng.choice([300, 3000, 70_000])  # huge
    if roll < 0.3:
        return "".join(rng.choice("azAZ09-_.~ !éà😀\u202e<>\"'&;=/?#%") for _ in range(rng.randint(1, 40)))
    return rng.choice(ODD)


def _pick(rng: random.Random, valid: list[str]) -> str:
    return rng.choice(valid) if valid and rng.random() < 0.6 else _odd(rng)


def _path_value(rng: random.Random, name: str, world: World) -> str:
    valid = {"ticket_id": world.ticket_ids, "secret": [world.secret], "contractor_id": world.contractor_ids,
             "manager_id": world.manager_ids, "action": ACTIONS, "activation": ["deactivate", "reactivate"], "file_id": [],
             "name": ["relais.css", "upload.js"]}
    value = _pick(rng, valid.get(name, []))
    return quote(value, safe="") if rng.random() < 0.8 else value.replace("/", "%2F").replace("?", "%3F").replace("#", "%23")


def _fields(rng: random.Random, world: World) -> dict[str, Any]:
    """Field names of the product's forms, with values right or wrong."""
    valid: dict[str, list[str]] = {
        "csrf": [world.csrf], "form_token": [world.form_token], "draft": [world.draft], "new_token": [world.new_token],
        "email": ["claire.martin@gestion-demo.fr", "nouveau@example.com"], "name": ["Bruno", "Élise Durand"],
        "role": ["administrateur", "gestionnaire"], "language": ["fr", "en"], "channels": ["sms", "email"],
        "contractor_id": world.contractor_ids, "manager_id": world.manager_ids, "owner": [*world.manager_ids, "all"],
        "title": ["Fuite"], "description": ["Fuite au lot 12."], "site_address": ["14 rue des Lilas, Lyon"],
        "access_notes": ["Digicode"], "urgency": ["urgent", "normal"], "request_kind": ["intervention", "quote"],
        "decision": ["accept", "refuse"], "planned_date": [tomorrow_paris()], "planned_time": ["14:30"],
        "late_until": ["15:00"], "reason": ["Doublon"], "body": ["Bonjour"], "amount": ["120,50"],
        "quote_amount": ["1200"], "invoice_amount": ["99.90"], "invoice_number": ["F-1"], "phone": ["06 12 34 56 78"],
        "company": ["Plomberie"], "trade": ["Plombier"], "size": ["1024", "0", "-5"], "filename": ["photo.jpg"],
        "content_type": ["image/jpeg", "application/pdf"], "form_id": ["f" * 43], "message_form_id": ["m" * 43],
        "file_key": [f"incoming/{world.ticket_ids[0]}/x"], "file_name": ["photo.jpg"], "quote_key": [], "quote_name": [],
        "proof_key": [], "proof_name": [], "invoice_key": [], "invoice_name": [],
    }
    names = set(rng.sample(sorted(valid), rng.randint(0, len(valid))))
    names |= {name for name in ("csrf", "form_token") if rng.random() < 0.8}  # mostly past the token checks
    return {name: [_pick(rng, valid[name]) for _ in range(rng.choice([1, 1, 1, 2, 12]))] for name in sorted(names)}


def _body(rng: random.Random, world: World) -> tuple[bytes, str | None]:
    roll = rng.random()
    if roll < 0.75:
        return urlencode(_fields(rng, world), doseq=True).encode(), "application/x-www-form-urlencoded"
    if roll < 0.8:
        return json.dumps({k: v[0] for k, v in _fields(rng, world).items()}).encode(), "application/json"
    if roll < 0.87:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 2000))), rng.choice(
            ["application/x-www-form-urlencoded", "application/octet-stream", None])
    if roll < 0.92:
        return b"a=" + b"%" * 100_000, "application/x-www-form-urlencoded"
    return b"", rng.choice(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", None])


def _headers(rng: random.Random, world: World, content_type: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if content_type:
        headers["Content-Type"] = content_type
    roll = rng.random()
    if roll < 0.6:
        headers["Cookie"] = world.session["Cookie"]
    elif roll < 0.7:
        headers["Cookie"] = rng.choice(["relais_session=" + _odd(rng).replace(";", ""), "relais_session=eyJtIjoiMDEifQ.x.y",
                                        "=;;;;", "relais_next=%2Fadmin%2F..%2F..", "relais_session=" + "A" * 4000])
    if rng.random() < 0.5:
        headers["Origin"] = rng.choice(["http://127.0.0.1:8000", "https://evil.example", "null", _odd(rng)[:200]])
    if rng.random() < 0.2:
        headers["Referer"] = rng.choice(["http://127.0.0.1:8000/admin/login", "http://[127.0.0.1:8000/", _odd(rng)[:200]])
    if rng.random() < 0.1:
        headers["Accept-Language"] = _odd(rng)[:200]
    return headers


def _query(rng: random.Random, world: World) -> str:
    if rng.random() < 0.6:
        return ""
    names = ["after", "before", "state", "contractor", "owner", "from", "to", "ref", "done", "draft"]
    return "?" + urlencode({name: _pick(rng, ["sent", "all", "2026-01-01", "created", "invited"])
                            for name in rng.sample(names, rng.randint(1, 4))})


def test_no_request_to_the_product_gets_a_server_error(client: Client, people: People, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import app as relais_app

    monkeypatch.setattr(throttle, "WRONG_LINK_ANSWER_SECONDS", 0.0)  # no timing here: the count matters
    world = _world(client, people)
    routes = sorted((path, sorted(methods)) for path, methods in relais_app.app.routes.items() if not path.startswith("/dev/"))
    rng = random.Random(SEED)  # noqa: S311 - reproducible test input, not a secret
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    sent = 0
    while sent < REQUESTS and time.monotonic() - started < DEADLINE_SECONDS:
        route, methods = rng.choice(routes)
        method = rng.choice(methods) if rng.random() < 0.85 else rng.choice(METHODS)
        path = re.sub(r"\{(\w+)\}", lambda m: _path_value(rng, m.group(1), world), route) + _query(rng, world)
        body, content_type = _body(rng, world) if method not in ("GET", "HEAD") or rng.random() < 0.1 else (b"", None)
        headers = _headers(rng, world, content_type)
        # Clients from many addresses, so the per-client limits show up now and then without stopping everything.
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", f"198.51.100.{rng.randint(1, 60)}")
        try:
            response = client.http.request(method, path, headers=headers, body=body)
            status = response.status_code
        except Exception as exc:  # the local gateway or the app raised instead of answering
            status, response = 599, SimpleNamespace(body=repr(exc).encode())
        sent += 1
        statuses[status] += 1
        if status >= 500:
            failures.append(f"{method} {route} -> {status}: {path[:120]!r} {body[:120]!r} {headers} "
                            f"{response.body[:300]!r}")
        if route == "/admin/logout" and "csrf=" in body.decode("latin-1") and headers.get("Cookie") == world.session["Cookie"]:
            _sign_in(client, world)  # it may have signed the fuzzer out: keep a live session for the next ones
    with capsys.disabled():
        print(f"\nfuzz: {sent} requests in {time.monotonic() - started:.0f} s over {len(routes)} routes, "
              f"statuses {dict(sorted(statuses.items()))}, {len(failures)} server error(s)")
    assert sent >= MINIMUM_REQUESTS
    assert failures == [], "\n".join(failures[:20])


@pytest.mark.parametrize("name", ["%00.css", "relais.css%00", "x" * 70_000 + ".css", "relais.css%20", "a.b.css"])
def test_a_static_file_name_that_cannot_be_ours_is_not_found(client: Client, name: str) -> None:
    """Found by the fuzzer: a NUL in the name (API Gateway decodes %00) raised a 500."""
    from urllib.parse import unquote

    assert client.http.get(f"/static/{unquote(name)}").status_code == 404
