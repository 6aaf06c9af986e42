"""The contractor's form as a tradesperson meets it (issue #17, points 2-6 and 8): errors where the
eye is, a bad file refused when its upload ends, photographed paperwork, time windows everywhere
the time is shown, the words of the trade, and an HTML 404 for any unknown path."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.config import settings
from chalicelib.data import store
from chalicelib.domain import clock
from tests.integration.conftest import People, contractor_path, new_ticket, sent_messages, tomorrow_paris
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_calendar import _event, calendar_files  # noqa: F401  (the fixture)
from tests.integration.test_conversation import EXE, JPEG, PDF, upload
from tests.integration.test_timers import accepted_ticket, act, fire, manager_action, schedule, state, token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def open_sections(html: str) -> list[str]:
    """The ids of the <details> the page opens."""
    return re.findall(r'<details[^>]*\bid="([^"]+)"[^>]*\sopen\b', html)


def quote_ticket(client: Client, people: People) -> tuple[Any, str]:
    ticket = new_ticket(people)
    assert manager_action(client, people, ticket.ticket_id, "request_quote").status_code == 303
    return ticket, contractor_path(ticket.ticket_id)


def check(client: Client, path: str, key: str, name: str, paperwork: bool = False) -> Any:
    html = client.http.get(path).body.decode()
    fields = {"form_token": token(html, "messages"), "key": key, "name": name, **({"paperwork": "1"} if paperwork else {})}
    from urllib.parse import urlencode

    return client.http.post(f"{path}/uploads/check", headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body=urlencode(fields))


def s3_has(key: str) -> bool:
    found = boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name, Prefix=key)
    return bool(found.get("KeyCount"))


# -- 2. errors where the eye is -----------------------------------------------------------------

def test_refusing_a_quote_request_without_reason_reopens_that_section_with_its_error_and_a_summary(
        client: Client, people: People) -> None:
    ticket, path = quote_ticket(client, people)
    response = act(client, path, "answer", {"decision": "refuse", "reason": ""})
    html = response.body.decode()
    assert response.status_code == 400
    assert open_sections(html) == ["refuse-quote"]  # that section, and nothing else
    refusal = html[html.index('id="refuse-quote"'):html.index("</details>", html.index('id="refuse-quote"'))]
    assert 'id="reason-error"' in refusal and "Indiquez le motif du refus." in refusal
    summary = html[html.index('id="error-summary"'):html.index("</section>", html.index('id="error-summary"'))]
    assert '<a href="#reason-error">Indiquez le motif du refus.</a>' in summary
    assert html.index('id="error-summary"') < html.index('id="request"')  # at the top
    assert text_of(html).count("Indiquez le motif du refus.") == 2  # in the summary, and at its field
    assert state(ticket.ticket_id) == "quote_requested"


def test_a_refused_file_in_a_message_opens_the_message_box_only(client: Client, people: People, pump: Any) -> None:
    _, path = accepted_ticket(client, people, pump)
    html = client.http.get(path).body.decode()
    bad = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "photo.jpg", "image/jpeg", EXE)
    response = act(client, path, "messages", [("body", "Voici la photo"), ("file_key", bad), ("file_name", "photo.jpg")])
    page = response.body.decode()
    assert response.status_code == 400
    assert open_sections(page) == ["contact"]  # not "Déclarer la fin de l'intervention"
    reason = "photo.jpg : Le contenu du fichier ne correspond pas à un type accepté."
    contact = page[page.index('id="contact"'):]
    assert reason in unescape(contact)
    completion = page[page.index('id="completion"'):page.index('id="contact"')]
    assert "field-error" not in completion and "accepté" not in unescape(completion)
    assert '<a href="#file-errors">' in page[page.index('id="error-summary"'):page.index('id="request"')]


# -- 3. a bad file is refused when its upload ends ------------------------------------------------

def test_the_upload_check_refuses_a_lying_file_at_once_and_deletes_it(client: Client, people: People, aws: str) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    html = client.http.get(path).body.decode()
    t = {"form_token": token(html, "messages")}
    renamed = upload(client, f"{path}/uploads", t, "photo.jpg", "image/jpeg", EXE)
    refused = check(client, path, renamed, "photo.jpg")
    assert refused.status_code == 200  # a verdict: the check itself went well
    assert refused.json_body == {"accepted": False, "reason": "Le contenu du fichier ne correspond pas à un type accepté."}
    assert not s3_has(renamed)  # deleted: it cannot be sent afterwards
    good = upload(client, f"{path}/uploads", t, "photo.jpg", "image/jpeg", JPEG)
    accepted = check(client, path, good, "photo.jpg")
    assert accepted.status_code == 200 and accepted.json_body == {"accepted": True, "name": "photo.jpg"}
    assert s3_has(good)  # kept for the form
    other = new_ticket(people)
    assert check(client, path, good.replace(ticket.ticket_id, other.ticket_id), "photo.jpg").json_body["accepted"] is False
    assert check(client, path, good, "x").json_body["accepted"] is True
    quote_photo = upload(client, f"{path}/uploads", t, "devis.jpg", "image/jpeg", JPEG)
    assert check(client, path, quote_photo, "devis.jpg", paperwork=True).json_body["accepted"] is True  # a photographed quote
    expired = client.http.post(f"{path}/uploads/check", headers={"Content-Type": "application/x-www-form-urlencoded"},
                               body=f"form_token=x&key={good}&name=a.jpg")
    assert expired.status_code == 403
    assert store.load_ticket(ticket.ticket_id).ticket.state == "sent"  # checking records nothing


# -- 4. photographed paperwork ----------------------------------------------------------------------

def test_a_quote_photographed_on_two_pages_is_accepted(client: Client, people: People) -> None:
    ticket, path = quote_ticket(client, people)
    html = client.http.get(path).body.decode()
    t = {"form_token": token(html, "messages")}
    pages = [upload(client, f"{path}/uploads", t, name, kind, data)
             for name, kind, data in (("devis-p1.jpg", "image/jpeg", JPEG), ("devis-p2.png", "image/png", PNG))]
    sent = act(client, path, "quote", [("amount_excl", "1000"), ("amount_incl", "1200"), ("valid_until", tomorrow_paris()),
                                       ("quote_key", pages[0]), ("quote_name", "devis-p1.jpg"),
                                       ("quote_key", pages[1]), ("quote_name", "devis-p2.png")])
    assert sent.status_code == 303, text_of(sent.body.decode())[:600]
    quote = store.load_ticket(ticket.ticket_id).ticket.quote
    assert quote is not None
    assert [f["content_type"] for f in quote["files"]] == ["image/jpeg", "image/png"]
    assert quote["file"] == quote["files"][0]


def test_an_invoice_photo_is_accepted_but_not_mixed_with_a_pdf(client: Client, people: People, pump: Any) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    html = client.http.get(path).body.decode()
    t = {"form_token": token(html, "messages")}
    proof = upload(client, f"{path}/uploads", t, "apres.jpg", "image/jpeg", JPEG)
    done = act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                            ("proof_key", proof), ("proof_name", "apres.jpg")])
    assert done.status_code == 303
    pdf = upload(client, f"{path}/uploads", t, "facture.pdf", "application/pdf", PDF)
    photo = upload(client, f"{path}/uploads", t, "facture.jpg", "image/jpeg", JPEG)
    fields = [("invoice_amount_excl", "400,00"), ("invoice_amount", "480,00"), ("invoice_number", "F-2026-118")]
    mixed = act(client, path, "invoice", [("invoice_key", pdf), ("invoice_name", "facture.pdf"),
                                          ("invoice_key", photo), ("invoice_name", "facture.jpg"), *fields])
    assert mixed.status_code == 400
    assert "Un seul PDF, ou des photos des pages : pas les deux." in unescape(mixed.body.decode())
    assert state(ticket.ticket_id) == "completed"
    sent = act(client, path, "invoice", [("invoice_key", photo), ("invoice_name", "facture.jpg"), *fields])
    assert sent.status_code == 303 and state(ticket.ticket_id) == "invoiced"
    invoice = store.load_ticket(ticket.ticket_id).ticket.invoice
    assert invoice is not None and invoice["file"]["content_type"] == "image/jpeg"


# -- 5. time windows ------------------------------------------------------------------------------

def test_a_window_is_shown_everywhere_the_time_is(client: Client, people: People, pump: Any, aws: str,
                                                  calendar_files: list[tuple[str, bytes]]) -> None:  # noqa: F811
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    day = tomorrow_paris()
    wrong = act(client, path, "answer", {"decision": "accept", "planned_date": day, "planned_time": "10:00",
                                         "planned_until": "08:00"})
    assert wrong.status_code == 400 and "La fin du créneau doit être après son début." in unescape(wrong.body.decode())
    accepted = act(client, path, "answer", {"decision": "accept", "planned_date": day, "planned_time": "08:00",
                                            "planned_until": "10:00"})
    assert accepted.status_code == 303
    pump.drain()
    view = store.load_ticket(ticket.ticket_id)
    assert (view.ticket.planned_time, view.ticket.planned_until) == ("08:00", "10:00")

    assert "entre 8 h et 10 h" in text_of(client.http.get(path).body.decode())  # the form
    assert "entre 8 h et 10 h" in text_of(client.http.get(f"{path}/confirmation").body.decode())
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "entre 8 h et 10 h" in text_of(page)  # the ticket page
    alert = next(m for m in sent_messages(aws)["email"] if "acceptée par" in m["subject"])
    assert "entre 8 h et 10 h" in alert["subject"]  # the manager's alert
    assert "entre 8 h et 10 h" in text_of(alert["body"])
    (_, data), = calendar_files
    entry = _event(data)
    assert entry.decoded("DTSTART").strftime("%H:%M") == "08:00" and entry.decoded("DTEND").strftime("%H:%M") == "10:00"
    assert schedule(f"{ticket.ticket_id}-presence_check")["ScheduleExpression"] == f"at({day}T08:00:00)"  # the window's start


def test_a_reschedule_keeps_or_drops_the_window(client: Client, people: People, pump: Any) -> None:
    ticket, path = accepted_ticket(client, people, pump, "14:30")
    same = act(client, path, "reschedule", {"planned_date": tomorrow_paris(), "planned_time": "14:30", "planned_until": "16:00"})
    assert same.status_code == 303  # the same start with an end is a new plan
    assert store.load_ticket(ticket.ticket_id).ticket.planned_until == "16:00"
    assert "entre 14 h 30 et 16 h" in text_of(client.http.get(path).body.decode())


# -- 6. words of the trade ------------------------------------------------------------------------

def test_a_quote_request_speaks_of_a_quote_and_the_badge_of_what_to_do(client: Client, people: People, pump: Any) -> None:
    ticket, path = quote_ticket(client, people)
    page = text_of(client.http.get(path).body.decode())
    assert f"Demande de devis n° {ticket.reference}" in page and "Intervention n°" not in page
    assert re.search(r'class="state state-quote_requested">À répondre<', client.http.get(path).body.decode())
    _, other_path = accepted_ticket(client, people, pump)
    badge = re.search(r'class="state state-scheduled">([^<]+)<', client.http.get(other_path).body.decode())
    assert badge and unescape(badge.group(1)).startswith("Intervention prévue le ")
    assert re.search(r'class="state state-sent">À répondre<', client.http.get(contractor_path(new_ticket(people).ticket_id))
                     .body.decode())


def test_after_presence_the_page_says_what_comes_next(client: Client, people: People, pump: Any) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    assert fire(ticket.ticket_id, "presence_check") == "done"
    assert act(client, path, "presence", {}).status_code == 303
    confirmation = client.http.get(f"{path}/confirmation").body.decode()
    assert "Une fois le travail terminé, déclarez la fin de l'intervention" in unescape(confirmation)
    assert re.search(rf'href="{re.escape(path)}#completion">Déclarer la fin<', confirmation)


def test_after_the_end_without_invoice_the_page_offers_to_send_it_now(client: Client, people: People, pump: Any) -> None:
    _, path = accepted_ticket(client, people, pump)
    html = client.http.get(path).body.decode()
    proof = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "apres.jpg", "image/jpeg", JPEG)
    assert act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                            ("proof_key", proof), ("proof_name", "apres.jpg")]).status_code == 303
    confirmation = client.http.get(f"{path}/confirmation").body.decode()
    assert "La facture est toujours attendue" in unescape(confirmation)
    assert re.search(rf'href="{re.escape(path)}#invoice-form">Envoyer la facture maintenant<', confirmation)
    assert 'id="invoice-form"' in client.http.get(path).body.decode()


# -- 8. no console error: the icon, and an HTML 404 for any unknown path -------------------------

def test_the_icon_is_served_and_declared(client: Client, people: People) -> None:
    icon = client.http.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.body.startswith(b"<svg")
    page = client.http.get(contractor_path(new_ticket(people).ticket_id)).body.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert client.http.get("/static/favicon.svg").status_code == 200


@pytest.mark.parametrize("language, heading", [("fr-FR,fr;q=0.9", "Page introuvable"), ("en-GB,en;q=0.9", "Page not found")])
def test_unknown_paths_answer_an_html_404_in_the_readers_language(client: Client, people: People, language: str,
                                                                  heading: str) -> None:
    for unknown in ("/nope", "/admin/nope", "/admin/tickets/x/y/z", "/static/nope.css", "/t/a/b/c/d/e"):
        response = client.http.get(unknown, headers={"Accept-Language": language})
        assert response.status_code == 404, unknown
        assert response.headers["Content-Type"].startswith("text/html"), unknown
        assert f"<h1>{heading}</h1>" in response.body.decode(), unknown
        assert "Missing Authentication Token" not in response.body.decode()
        if unknown != "/static/nope.css":  # a known route asked with another method: API Gateway's own answer (below)
            assert client.http.post(unknown, headers={"Accept-Language": language}, body=b"x").status_code == 404


def test_an_unknown_address_behind_a_link_answers_in_the_contractors_language(client: Client, people: People) -> None:
    english = new_ticket(people, people.email_only, channels=("email",))
    path = contractor_path(english.ticket_id)
    response = client.http.get(f"{path}/nope")
    assert response.status_code == 404 and "<h1>Page not found</h1>" in response.body.decode()
    assert client.http.get(f"{path}/answer").status_code == 303  # an answer's address leads to the form
