"""Replies by email land in the thread (issue 14, section 3): both ways, once, and never from a stranger.

Mail is delivered the way SES does it: the raw MIME stored under inbound/ in the bucket, then the
receive_email function with the Lambda action's event (local/smtp.py builds the same). One test goes
through the local SMTP stand-in itself, as `make run` and any mail client use it.
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.aws import inbound
from chalicelib.data import agency, store
from chalicelib.data.models import Event, Notification, RelaisItem, ticket_pk
from chalicelib.domain.agency import Agency
from local import smtp
from local.harness import free_port
from tests.integration.conftest import People, new_ticket
from tests.integration.test_admin import signed_in_headers

REPLY_DOMAIN = "reponses.gestion-demo.fr"
KARIM = "karim@plomberie-benali.fr"
CLAIRE = "claire.martin@gestion-demo.fr"
PDF = b"%PDF-1.7\n" + b"0" * 3000
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20_000
LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 600
QUOTED = ("Le lun. 30 nov. 2026 à 10:12, Gestion Démo <relais@gestion-demo.fr> a écrit :\n"
          "> Bonjour, une fuite sous l'évier au lot 12.\n> Merci de confirmer.\n")


@pytest.fixture
def replies(people: People) -> None:
    """The agency receives replies on its reply domain (the Agence page's setting)."""
    agency.save(Agency("Gestion Démo", "GESTDEMO", "+33478000000", "1 place Bellecour, Lyon", REPLY_DOMAIN), None,
                people.manager.manager_id)
    agency.forget()


def journal(aws: str) -> list[dict[str, Any]]:
    """Every email and SMS sent, newest first, with the Reply-To of each email."""
    with urllib.request.urlopen(f"{aws}/moto-api/relais/messages?limit=500") as response:
        return [m for m in json.load(response)["messages"]]


def reply_to_of(aws: str, to: str) -> str:
    from chalicelib.dev import mail_catcher

    found = [m for m in (mail_catcher._readable(m) for m in journal(aws)) if m["to"] == to and m.get("reply_to")]
    assert found, f"no email with a Reply-To sent to {to}"
    return str(found[0]["reply_to"])


def mime(sender: str, to: str, text: str | None = "OK pour demain 9h.\n\n" + QUOTED, *, subject: str = "Re: Demande",
         html: str | None = None, files: tuple[tuple[str, str, bytes], ...] = (), headers: dict[str, str] | None = None,
         message_id: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id or make_msgid(domain="plomberie-benali.fr")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire and as SES stores it


def deliver(raw: bytes, to: str, envelope_sender: str = KARIM, verdict: str = "PASS",
            **verdicts: str) -> dict[str, int]:
    """As SES does: the raw MIME under inbound/<id>, then receive_email with the Lambda action's event."""
    import app as relais_app

    ses_id = smtp.new_message_id()
    inbound.store_raw(ses_id, raw)
    event = smtp.ses_event(ses_id, [to], envelope_sender, verdict)
    for name, status in verdicts.items():
        event["Records"][0]["ses"]["receipt"][f"{name}Verdict"] = {"status": status}
    return dict(relais_app.receive_email(event, None))


def items(ticket_id: str) -> list[RelaisItem]:
    return list(RelaisItem.query(ticket_pk(ticket_id), consistent_read=True))


def events(ticket_id: str, kind: str | None = None) -> list[Event]:
    return [i for i in items(ticket_id) if isinstance(i, Event) and (kind is None or i.event_type == kind)]


def contractor_reply_address(ticket_id: str) -> str:
    from chalicelib.data import reply_addresses

    return reply_addresses.for_contractor(ticket_id, 1)


# -- both ways -----------------------------------------------------------------------------------

def test_a_contractors_reply_through_smtp_lands_in_the_thread_with_its_file_and_the_manager_answers_by_email(
        client: Client, people: People, replies: None, pump: Any, aws: str) -> None:
    import app as relais_app

    ticket = new_ticket(people)
    pump.drain()
    address = reply_to_of(aws, KARIM)  # the request's email carries the contractor's Reply-To
    assert address.endswith(f"@{REPLY_DOMAIN}") and address == contractor_reply_address(ticket.ticket_id)
    port = free_port()
    server = smtp.start(relais_app.receive_email, port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
            connection.sendmail(KARIM, [address], mime(f"Karim Benali <{KARIM}>", address,
                                                       "Je passe demain à 9h, devis joint.\n\nCordialement,\nKarim\n"
                                                       "06 12 34 56 78\n\n" + QUOTED,
                                                       files=(("devis 2026.pdf", "application/pdf", PDF),)))
    finally:
        server.stop()
    [message] = events(ticket.ticket_id, "message")
    assert message.actor == "contractor"
    assert message.data["body"] == "Je passe demain à 9h, devis joint."  # no quoted history, no signature
    [stored] = message.data["files"]
    assert stored["name"] == "devis 2026.pdf" and stored["content_type"] == "application/pdf"
    assert stored["key"].startswith(f"tickets/{ticket.ticket_id}/")
    pump.drain()
    manager_reply_to = reply_to_of(aws, CLAIRE)  # the manager's alert, with the manager's own Reply-To
    assert manager_reply_to != address and manager_reply_to.endswith(f"@{REPLY_DOMAIN}")

    # The manager answers the alert from their mail client: a manager message to the contractor.
    outcome = deliver(mime(f"Claire Martin <{CLAIRE}>", manager_reply_to, "Parfait, merci.\n\n" + QUOTED),
                      manager_reply_to, CLAIRE)
    assert outcome == {"recorded": 1}
    answer = events(ticket.ticket_id, "message")[-1]
    assert (answer.actor, answer.data["body"]) == ("manager", "Parfait, merci.")
    before = len(journal(aws))
    pump.drain()
    to_karim = journal(aws)[: len(journal(aws)) - before]
    assert {m["channel"] for m in to_karim if m.get("to") in (KARIM, "+33612345678")} == {"sms", "email"}
    page = client.http.get(f"/t/{ticket.ticket_id}/x").status_code  # the form is still behind its link
    assert page in (404, 410)


def test_a_reply_delivered_twice_is_recorded_once(people: People, replies: None, aws: str) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    raw = mime(KARIM, address, message_id="<same-one@plomberie-benali.fr>")
    assert deliver(raw, address) == {"recorded": 1}
    assert deliver(raw, address) == {"duplicate": 1}  # SES retried, or the sender's server sent it again
    assert len(events(ticket.ticket_id, "message")) == 1


# -- refused, held, ignored ----------------------------------------------------------------------

def test_after_a_reassignment_a_reply_is_refused_with_the_agencys_phone(people: People, replies: None, pump: Any,
                                                                        aws: str) -> None:
    from chalicelib.domain import clock
    from chalicelib.usecases import ticket_admin

    ticket = new_ticket(people)
    old_address = contractor_reply_address(ticket.ticket_id)
    ticket_admin.reassign(store.load_ticket(ticket.ticket_id), people.manager, people.email_only,
                          "reassign-form-0001-abcdefgh", clock.now())
    pump.drain()
    assert deliver(mime(KARIM, old_address), old_address) == {"refused": 1}
    assert events(ticket.ticket_id, "message") == []
    [refused] = events(ticket.ticket_id, "email_refused")
    assert refused.data["sender"] == KARIM
    before = len(journal(aws))
    pump.drain()
    [answer] = journal(aws)[: len(journal(aws)) - before]
    assert answer["to"] == KARIM and "n'a pas été transmise" in answer["subject"]
    assert "+33478000000" in answer["body"] and "/t/" not in answer["body"]  # the phone, never a link
    assert not answer.get("reply_to")  # an automatic answer invites no answer
    thread = store.load_ticket(ticket.ticket_id).thread(for_contractor=True)
    assert "email_refused" not in {e.event_type for e in thread}


def test_a_reply_after_the_ticket_is_closed_gets_the_automatic_answer(people: People, replies: None) -> None:
    from chalicelib.domain import clock
    from chalicelib.usecases import tickets

    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    tickets.cancel_ticket(store.load_ticket(ticket.ticket_id), people.manager, "Doublon", "cancel-form-0001-abcdefgh",
                          clock.now())
    assert deliver(mime(KARIM, address), address) == {"refused": 1}
    assert events(ticket.ticket_id, "message") == []


def test_a_reply_from_an_unknown_address_is_held_for_the_manager_never_in_the_thread(
        client: Client, people: People, replies: None, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)  # forwarded to a colleague, who answers
    outcome = deliver(mime("collegue@autre-entreprise.fr", address, "Je remplace Karim demain.\n\n" + QUOTED),
                      address, "collegue@autre-entreprise.fr")
    assert outcome == {"held": 1}
    assert events(ticket.ticket_id, "message") == []
    [held] = events(ticket.ticket_id, "email_held")
    assert held.data["held_reason"] == "unknown_sender" and held.data["body"] == "Je remplace Karim demain."
    contractor_thread = store.load_ticket(ticket.ticket_id).thread(for_contractor=True)
    assert "email_held" not in {e.event_type for e in contractor_thread}
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "Reçu d&#39;une adresse inconnue : collegue@autre-entreprise.fr" in page
    before = len(journal(aws))
    pump.drain()
    alerts = [m for m in journal(aws)[: len(journal(aws)) - before] if m["to"] == CLAIRE]
    assert len(alerts) == 1 and "attend votre décision" in alerts[0]["subject"]
    assert "collegue@autre-entreprise.fr" not in alerts[0]["body"]  # masked in the email: c***@autre-entreprise.fr


def test_a_forged_sender_that_fails_spf_and_dkim_is_held(people: People, replies: None) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    assert deliver(mime(KARIM, address), address, spf="FAIL", dkim="FAIL", dmarc="FAIL") == {"held": 1}
    [held] = events(ticket.ticket_id, "email_held")
    assert held.data["held_reason"] == "unauthenticated"
    assert events(ticket.ticket_id, "message") == []


def test_spf_or_dkim_passing_for_another_domain_does_not_vouch_for_the_from_address(people: People,
                                                                                   replies: None) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    # The forger's own server passes SPF for its own domain; Karim's domain publishes no DMARC (GRAY).
    forged = deliver(mime(KARIM, address, "Annulez tout."), address, "bounce@forger.example", spf="PASS", dkim="GRAY",
                     dmarc="GRAY")
    assert forged == {"held": 1}
    assert events(ticket.ticket_id, "email_held")[0].data["held_reason"] == "unauthenticated"
    signed = mime(KARIM, address, "Je confirme.", headers={"DKIM-Signature": "v=1; a=rsa-sha256; d=plomberie-benali.fr; "
                                                                              "s=mail; h=from; bh=x; b=y"})
    assert deliver(signed, address, "bounce@relay.example", spf="FAIL", dkim="PASS", dmarc="GRAY") == {"recorded": 1}
    assert events(ticket.ticket_id, "message")[0].data["body"] == "Je confirme."


@pytest.mark.parametrize("headers, subject, envelope", [
    ({"Auto-Submitted": "auto-replied"}, "Re: Demande", KARIM),
    ({}, "Réponse automatique : absent jusqu'au 4 janvier", KARIM),
    ({"X-Autoreply": "yes"}, "Re: Demande", KARIM),
    ({}, "Undelivered Mail Returned to Sender", ""),  # a bounce: empty MAIL FROM
])
def test_automatic_answers_are_ignored(people: People, replies: None, headers: dict[str, str], subject: str,
                                       envelope: str) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    before = items(ticket.ticket_id)
    assert deliver(mime(KARIM, address, "Je suis absent.", subject=subject, headers=headers), address, envelope) == {
        "ignored_automatic": 1}
    assert len(items(ticket.ticket_id)) == len(before)  # nothing written


def test_a_virus_is_dropped_and_a_wrong_secret_is_not_ours(people: People, replies: None) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    before = len(items(ticket.ticket_id))
    assert deliver(mime(KARIM, address), address, virus="FAIL") == {"dropped_virus": 1}
    forged = address.split(".", 3)
    wrong = ".".join(forged[:3]) + "." + "a" * 26 + "@" + REPLY_DOMAIN
    assert deliver(mime(KARIM, wrong), wrong) == {"not_ours": 1}
    assert deliver(mime(KARIM, f"contact@{REPLY_DOMAIN}"), f"contact@{REPLY_DOMAIN}") == {"not_ours": 1}
    assert len(items(ticket.ticket_id)) == before


# -- files ---------------------------------------------------------------------------------------

def test_attachments_pass_the_upload_checks_and_signature_logos_are_dropped(people: People, replies: None) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = KARIM, address, "Re: Demande"
    message.set_content("Photo de la fuite.")
    message.add_related(LOGO, maintype="image", subtype="png", cid="<logo@benali>")  # the signature's logo, inline
    message.add_attachment(PHOTO, maintype="image", subtype="jpeg", filename="fuite.jpg")
    message.add_attachment(b"MZ\x90\x00" + b"\x00" * 3000, maintype="application", subtype="pdf", filename="facture.pdf")
    assert deliver(message.as_bytes(), address) == {"recorded": 1}
    [recorded] = events(ticket.ticket_id, "message")
    assert [f["name"] for f in recorded.data["files"]] == ["fuite.jpg"]
    assert recorded.data["body"].startswith("Photo de la fuite.")
    assert "[Pièce jointe non acceptée : facture.pdf" in recorded.data["body"]  # what lied about its type, said


# -- bad input -----------------------------------------------------------------------------------

def _nested(depth: int) -> bytes:
    inner = EmailMessage()
    inner.set_content("au fond")
    for _ in range(depth):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(inner)
        inner = outer
    inner["From"], inner["Subject"] = KARIM, "Re: Demande"
    return inner.as_bytes()


def _many_parts(count: int) -> bytes:
    message = EmailMessage()
    message["From"], message["Subject"] = KARIM, "Re: Demande"
    message.set_content("mille parties")
    for n in range(count):
        message.add_attachment(f"part {n}".encode(), maintype="text", subtype="plain", filename=f"p{n}.txt")
    return message.as_bytes()


@pytest.mark.parametrize("raw, reason", [
    (_nested(60), "too_deep"),
    (_many_parts(1000), "too_many_parts"),
    (b"From: " + KARIM.encode() + b"\r\nSubject: gros\r\n\r\n" + b"A" * (30 * 1024 * 1024), "too_large"),
], ids=["deep nesting", "1,000 parts", "30 MB"])
def test_mime_bombs_are_held_unread_never_crash_the_handler(people: People, replies: None, raw: bytes,
                                                            reason: str) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    assert deliver(raw, address) == {"held": 1}
    [held] = events(ticket.ticket_id, "email_held")
    assert held.data["held_reason"] == reason and held.data["body"] == ""
    assert events(ticket.ticket_id, "message") == []


def test_broken_encodings_are_read_as_far_as_they_go(people: People, replies: None) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    raw = (f"From: {KARIM}\r\nTo: {address}\r\nSubject: =?x-unknown?q?caf=E9?=\r\nMessage-ID: <enc@x>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"x-made-up\"\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\nC'est r=E9par=C3=A9 =ZZ fin.\r\n").encode()
    assert deliver(raw, address) == {"recorded": 1}
    assert "fin." in events(ticket.ticket_id, "message")[0].data["body"]
    bad_base64 = (f"From: {KARIM}\r\nTo: {address}\r\nSubject: x\r\nMessage-ID: <b64@x>\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                  "SGVsbG8g\xff\xfe!!!=\r\n").encode("latin-1")
    outcome = deliver(bad_base64, address)
    assert outcome in ({"recorded": 1}, {"ignored_empty": 1})


def test_header_injection_in_the_subject_reaches_no_header(people: People, replies: None, pump: Any,
                                                          aws: str) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    raw = (f"From: {KARIM}\r\nTo: {address}\r\nSubject: =?utf-8?q?Re=3A_x=0D=0ABcc=3A_victime=40example=2Ecom?=\r\n"
           "Message-ID: <inj@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBien noté.\r\n").encode()
    assert deliver(raw, address) == {"recorded": 1}
    before = len(journal(aws))
    pump.drain()
    sent = journal(aws)[: len(journal(aws)) - before]
    assert sent and all("victime@example.com" not in json.dumps(m) for m in sent)
    notifications = [i for i in items(ticket.ticket_id) if isinstance(i, Notification)]
    assert all(n.recipient != "victime@example.com" for n in notifications)


def test_html_only_mail_with_scripts_becomes_safe_text(client: Client, people: People, replies: None) -> None:
    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    html = ("<html><head><script>alert('head')</script><style>p{color:red}</style></head><body>"
            "<p>Intervention <b>terminée</b>.</p><img src=x onerror=alert(1)><script>document.cookie</script>"
            "<p>&lt;script&gt;pas du code&lt;/script&gt;</p>"
            "<div class=\"gmail_quote\">Le lun. a écrit :<blockquote type=\"cite\">ancien</blockquote></div></body></html>")
    assert deliver(mime(KARIM, address, None, html=html), address) == {"recorded": 1}
    [message] = events(ticket.ticket_id, "message")
    assert message.data["body"] == "Intervention terminée.\n\n<script>pas du code</script>"
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "&lt;script&gt;pas du code&lt;/script&gt;" in page and "<script>pas du code" not in page
    assert "alert(" not in page and "ancien" not in page


def test_the_dev_outbox_answers_an_email_through_the_smtp_stand_in(client: Client, people: People, replies: None,
                                                                   pump: Any, aws: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import html as markup
    import re

    import app as relais_app

    ticket = new_ticket(people)
    pump.drain()
    page = client.http.get("/dev/outbox").body.decode()
    form = re.search(r'<form method="post" action="/dev/outbox/reply">(.*?)</form>', page, re.S)
    assert form, "no Répondre form on the dev outbox"
    fields = {name: markup.unescape(value) for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', form.group(1))}
    assert fields["sender"] == KARIM and fields["to"] == contractor_reply_address(ticket.ticket_id)
    port = free_port()
    monkeypatch.setenv("RELAIS_SMTP_PORT", str(port))
    server = smtp.start(relais_app.receive_email, port)
    try:
        from urllib.parse import urlencode

        answered = client.http.post("/dev/outbox/reply", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                    body=urlencode({**fields, "body": "J'arrive à 14h."}))
        forged = client.http.post("/dev/outbox/reply", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                  body=urlencode({**fields, "csrf": "faux", "body": "Intrus"}))
    finally:
        server.stop()
    assert answered.status_code == 303 and forged.status_code == 403
    [message] = events(ticket.ticket_id, "message")
    assert (message.actor, message.data["body"]) == ("contractor", "J'arrive à 14h.")  # the quoted email left out


def test_the_logs_follow_a_reply_by_its_ticket_and_hold_no_address_or_secret(people: People, replies: None) -> None:
    import re

    import app as relais_app
    from tests.integration.test_observability import as_json, invoke, printed

    ticket = new_ticket(people)
    address = contractor_reply_address(ticket.ticket_id)
    outcomes = []
    with printed() as lines:
        for raw, sender in ((mime(KARIM, address), KARIM), (mime("x@autre.fr", address), "x@autre.fr")):
            ses_id = smtp.new_message_id()
            inbound.store_raw(ses_id, raw)
            outcomes.append(invoke("receive_email", relais_app.receive_email, smtp.ses_event(ses_id, [address], sender)))
    assert outcomes == [{"recorded": 1}, {"held": 1}]
    received = [line for line in as_json(lines) if line.get("message") == "received email"]
    assert [line["result"] for line in received] == ["recorded", "held"]
    assert all(line["correlation_id"] == ticket.ticket_id and line["request_id"] for line in received)
    text = "\n".join(lines)
    assert address.split("@")[0].rsplit(".", 1)[1] not in text  # the reply address's secret
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "an email address in the logs"
