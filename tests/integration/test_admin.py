"""The manager's side: sign-in by emailed link, sessions, CSRF, creating and cancelling requests."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import store
from tests.integration.conftest import FORM_HEADERS, LOGIN_HEADERS, People, new_ticket, sent_messages

LOGIN_LINK = re.compile(r"http://127\.0\.0\.1:8000(/admin/login/[A-Za-z0-9_-]+)")


def login_link(client: Client, pump: Any, aws: str, email: str = "claire.martin@gestion-demo.fr") -> str:
    response = client.http.post("/admin/login", headers=LOGIN_HEADERS, body=urlencode({"email": email}))
    assert response.status_code == 200
    pump.drain()
    mails = [m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == [email]]
    match = LOGIN_LINK.search(mails[-1]["body"])
    assert match
    return match.group(1)


def session_cookie(response: Any) -> str:
    header = response.headers["Set-Cookie"]
    return header.split(";", 1)[0]


def _login_secret(people: People) -> str:
    """A login link's secret, as if the manager had asked for it and opened the email."""
    from chalicelib.aws.signing_keys import signing_key
    from chalicelib.data import directory
    from chalicelib.data.models import LoginToken
    from chalicelib.domain import clock, tokens
    from chalicelib.usecases import auth

    nonce = tokens.new_nonce()
    secret = tokens.derive_login_secret(signing_key(), nonce)
    stored = directory.get_manager(people.manager.manager_id)
    LoginToken(f"LOGIN#{tokens.sha256_hex(secret)}", "LOGIN", manager_id=people.manager.manager_id,
               expires_at=clock.iso(clock.now() + auth.LOGIN_LINK_LIFETIME),
               session_generation=int(stored.session_generation or 0) if stored else 0).save()
    return secret


def signed_in_headers(client: Client, people: People) -> dict[str, str]:
    """A manager session, opened the way a manager does (the login link, then the button)."""
    secret = _login_secret(people)
    response = client.http.post(f"/admin/login/{secret}", headers=FORM_HEADERS, body="")
    assert response.status_code == 303
    return {"Cookie": session_cookie(response)}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def draft_of(html: str) -> str:
    match = re.search(r'name="draft" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_manager_signs_in_with_an_emailed_single_use_link(client: Client, people: People, pump: Any, aws: str) -> None:
    path = login_link(client, pump, aws)
    confirm = client.http.get(path)  # a mail scanner opening the link spends nothing
    assert confirm.status_code == 200 and "Se connecter" in confirm.body.decode()
    assert client.http.get(path).status_code == 200
    response = client.http.post(path, headers=FORM_HEADERS, body="")
    assert response.status_code == 303 and response.headers["Location"] == "/admin"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    tickets_page = client.http.get("/admin", headers={"Cookie": session_cookie(response)})
    assert tickets_page.status_code == 200 and "À traiter" in tickets_page.body.decode()
    again = client.http.post(path, headers=FORM_HEADERS, body="")
    assert again.status_code == 410
    assert client.http.get(path).status_code == 410


def test_an_expired_login_link_is_refused(client: Client, people: People, pump: Any, aws: str) -> None:
    from chalicelib.data.models import LoginToken
    from chalicelib.domain import tokens

    path = login_link(client, pump, aws)
    token = LoginToken.get(f"LOGIN#{tokens.sha256_hex(path.rsplit('/', 1)[1])}", "LOGIN")
    token.update(actions=[LoginToken.expires_at.set("2020-01-01T00:00:00.000Z")])
    assert client.http.get(path).status_code == 410
    assert client.http.post(path, headers=FORM_HEADERS, body="").status_code == 410


def test_unknown_addresses_get_the_same_answer_and_no_email(client: Client, people: People, pump: Any, aws: str) -> None:
    known = client.http.post("/admin/login", headers=LOGIN_HEADERS, body=urlencode({"email": "claire.martin@gestion-demo.fr"}))
    unknown = client.http.post("/admin/login", headers=LOGIN_HEADERS, body=urlencode({"email": "intrus@example.com"}))
    assert known.status_code == unknown.status_code == 200
    assert known.body == unknown.body
    pump.drain()
    assert [m["destinations"]["ToAddresses"] for m in sent_messages(aws)["email"]] == [["claire.martin@gestion-demo.fr"]]


@pytest.mark.parametrize("path", ["/admin", "/admin/tickets", "/admin/tickets/new", "/admin/tickets/01M8DXFDPHG8Y8H5SDEJG5332X"])
def test_admin_pages_need_a_session(client: Client, people: People, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"
    forged = client.http.get(path, headers={"Cookie": "relais_session=eyJtIjoiMDEifQ.forged.sig"})
    assert forged.status_code == 302


@pytest.mark.parametrize("path", ["/admin/tickets", "/admin/logout", "/admin/tickets/01M8DXFDPHG8Y8H5SDEJG5332X/cancel"])
def test_admin_posts_need_a_session_and_a_csrf_token(client: Client, people: People, path: str) -> None:
    assert client.http.post(path, headers=FORM_HEADERS, body="").status_code == 401
    headers = {**FORM_HEADERS, **signed_in_headers(client, people)}
    assert client.http.post(path, headers=headers, body="csrf=wrong").status_code == 403
    assert client.http.post(path, headers=headers, body="").status_code == 403


def test_creating_a_request_sends_it_with_the_contractors_preferred_channels(client: Client, people: People, pump: Any,
                                                                             aws: str) -> None:
    headers = signed_in_headers(client, people)
    form = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    assert "Karim Benali" in form
    fields = {"csrf": csrf_of(form), "draft": draft_of(form), "request_kind": "intervention",
              "contractor_id": people.plumber.contractor_id, "title": "Radiateur froid",
              "description": "Le radiateur du séjour reste froid.", "site_address": "3 rue Neuve, Lyon",
              "access_notes": "", "urgency": "normal"}
    response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert response.status_code == 303
    again = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert again.headers["Location"] == response.headers["Location"]  # a double click creates one ticket
    ticket_id = response.headers["Location"].rsplit("/", 1)[1]
    view = store.load_ticket(ticket_id)
    assert view.ticket.state == "sent" and view.ticket.channels == ["sms", "email"]
    pump.drain()
    sent = sent_messages(aws)
    assert len(sent["sms"]) == 1 and len(sent["email"]) == 1
    page = client.http.get(response.headers["Location"], headers=headers).body.decode()
    assert "Radiateur froid" in page and page.count("Envoyée") == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"title": ""}, "title"), ({"contractor_id": ""}, "contractor_id"), ({"site_address": ""}, "site_address"),
     ({"channels": "sms"}, "channels"), ({"urgency": "tomorrow"}, "urgency")],
)
def test_a_bad_request_form_keeps_what_was_typed(client: Client, people: People, change: dict[str, str], field: str) -> None:
    headers = signed_in_headers(client, people)
    form = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    fields = {"csrf": csrf_of(form), "draft": draft_of(form), "request_kind": "intervention",
              "contractor_id": people.email_only.contractor_id, "title": "Panne d'éclairage",
              "description": "Hall B sans lumière.", "site_address": "5 place Bellecour", "urgency": "urgent", **change}
    response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert response.status_code == 400
    html = response.body.decode()
    assert f'id="{field}-error"' in html
    assert "Hall B sans lumière." in html


def test_the_manager_cancels_and_the_contractor_is_told(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"csrf": csrf_of(page), "form_id": form_id, "reason": "Le locataire a réparé lui-même."})
    response = client.http.post(f"/admin/tickets/{ticket.ticket_id}/cancel", headers={**FORM_HEADERS, **headers}, body=body)
    assert response.status_code == 303
    assert store.load_ticket(ticket.ticket_id).ticket.state == "cancelled"
    pump.drain()
    sms = sent_messages(aws)["sms"]
    assert "annulée" in sms[-1]["message"]



def test_a_cancellation_reason_over_2000_characters_is_refused_with_its_limit(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"csrf": csrf_of(page), "form_id": form_id, "reason": "x" * 2001})
    response = client.http.post(f"/admin/tickets/{ticket.ticket_id}/cancel", headers={**FORM_HEADERS, **headers}, body=body)
    assert response.status_code == 400
    assert "Le motif dépasse 2000 caractères." in html.unescape(response.body.decode())
    assert store.load_ticket(ticket.ticket_id).ticket.state == "sent"

def test_the_dev_outbox_lists_messages_locally_and_is_hidden_elsewhere(client: Client, people: People, pump: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    new_ticket(people)
    pump.drain()
    listing = client.http.get("/dev/outbox.json").json_body
    assert [m["channel"] for m in listing] and {m["channel"] for m in listing} == {"sms", "email"}
    assert all(set(m) == {"channel", "to", "subject", "body", "links", "sent_at", "attachments"} for m in listing)
    assert all(m["links"] and m["links"][0].startswith("http://127.0.0.1:8000/t/") for m in listing)
    assert client.http.get("/dev/outbox").status_code == 200
    from chalicelib.config import settings

    monkeypatch.setattr(type(settings()), "is_local", property(lambda self: False))
    assert client.http.get("/dev/outbox").status_code == 404
    assert client.http.get("/dev/outbox.json").status_code == 404


def test_an_english_speaking_contractor_gets_english(client: Client, people: People, pump: Any, aws: str) -> None:
    from tests.integration.conftest import contractor_path

    ticket = new_ticket(people, contractor=people.email_only, channels=("email",))
    pump.drain()
    assert "Work request" in sent_messages(aws)["email"][0]["subject"]
    html = client.http.get(contractor_path(ticket.ticket_id)).body.decode()
    assert "Accept" in html and "Accepter" not in html


def test_logging_out_ends_the_session_even_for_a_copied_cookie(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    page = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    assert client.http.get("/admin", headers=headers).status_code == 200
    out = client.http.post("/admin/logout", headers={**FORM_HEADERS, **headers}, body=urlencode({"csrf": csrf_of(page)}))
    assert out.status_code == 303 and "Max-Age=0" in out.headers["Set-Cookie"]
    replayed = client.http.get("/admin", headers=headers)  # the old cookie, kept by someone
    assert replayed.status_code == 302 and replayed.headers["Location"] == "/admin/login"


def test_after_signing_in_the_manager_lands_where_they_were_going(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    wanted = f"/admin/tickets/{ticket.ticket_id}"
    sent_away = client.http.get(wanted)  # from an alert email, signed out
    assert sent_away.status_code == 302 and sent_away.headers["Location"] == "/admin/login"
    remembered = session_cookie(sent_away)
    assert remembered.startswith("relais_next=")

    signed_in = client.http.post(f"/admin/login/{_login_secret(people)}", headers={**FORM_HEADERS, "Cookie": remembered},
                                 body="")

    assert signed_in.status_code == 303 and signed_in.headers["Location"] == wanted
    cookies = signed_in.headers["Set-Cookie"]
    assert any(c.startswith("relais_next=;") and "Max-Age=0" in c for c in cookies)  # used once: the next sign-in goes home


@pytest.mark.parametrize("going", ["https%3A%2F%2Fevil.example", "%2F%2Fevil.example%2Fadmin", "%2Fadmin%2F..%2F..%2Fx",
                                   "%2Fdev%2Foutbox"])
def test_only_an_admin_page_of_relais_is_a_place_to_land(client: Client, people: People, going: str) -> None:
    signed_in = client.http.post(f"/admin/login/{_login_secret(people)}",
                                 headers={**FORM_HEADERS, "Cookie": f"relais_next={going}"}, body="")
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/admin"


def test_a_form_sent_after_the_session_ended_gets_a_page_that_says_so(client: Client, people: People) -> None:
    response = client.http.post("/admin/tickets", headers=FORM_HEADERS, body=urlencode({"title": "Fuite"}))
    assert response.status_code == 401 and response.headers["Content-Type"].startswith("text/html")
    assert "Votre session a expiré" in response.body.decode()
    uploads = client.http.post("/admin/drafts/uploads", headers=FORM_HEADERS, body="")  # upload.js reads JSON
    assert uploads.status_code == 401 and uploads.json_body == {"error": "authentication required"}


def test_the_login_page_speaks_the_language_of_the_manager_who_asked(client: Client, people: People) -> None:
    from chalicelib.data import directory

    english = directory.save_manager("John Smith", "john.smith@gestion-demo.fr", language="en")
    secret = _login_secret(People(english, people.plumber, people.email_only))
    page = client.http.get(f"/admin/login/{secret}").body.decode()
    assert '<html lang="en">' in page and "Connexion" not in page


def test_a_manager_with_an_accented_domain_can_sign_in(client: Client, people: People, pump: Any, aws: str) -> None:
    from chalicelib.data import directory
    from chalicelib.domain import contacts

    directory.save_manager("Élise Durand", contacts.normalise_email("elise@gérance-durand.fr"))
    asked = client.http.post("/admin/login", headers=LOGIN_HEADERS, body=urlencode({"email": "Elise@Gérance-Durand.fr"}))
    assert asked.status_code == 200
    pump.drain()
    assert [m["destinations"]["ToAddresses"] for m in sent_messages(aws)["email"]] == [["elise@xn--grance-durand-bhb.fr"]]


def test_a_manager_action_sent_twice_is_recorded_once_and_a_stale_one_shows_the_ticket_as_it_is(
        client: Client, people: People) -> None:
    ticket = new_ticket(people)
    session = signed_in_headers(client, people)
    headers = {**FORM_HEADERS, **session}
    pages = [client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=session).body.decode() for _ in range(2)]
    first, stale = (urlencode({"csrf": csrf_of(page), "reason": "",
                               "form_id": re.search(r'name="form_id" value="([^"]+)"', page).group(1)})  # type: ignore[union-attr]
                    for page in pages)
    cancel = f"/admin/tickets/{ticket.ticket_id}/cancel"

    assert client.http.post(cancel, headers=headers, body=first).status_code == 303
    events = len(store.load_ticket(ticket.ticket_id).events)
    again = client.http.post(cancel, headers=headers, body=first)  # a double click: the same form
    assert again.status_code == 303 and again.headers["Location"] == f"/admin/tickets/{ticket.ticket_id}"
    late = client.http.post(cancel, headers=headers, body=stale)  # another page, opened before the cancel
    assert late.status_code == 409 and "Le ticket a changé entre-temps" in late.body.decode()
    assert len(store.load_ticket(ticket.ticket_id).events) == events
