"""The conversation: messages both ways, files through presigned S3 uploads, checked before recording."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import boto3
import pytest
import requests
from chalice.test import Client

from chalicelib.aws import uploads
from chalicelib.data import store
from chalicelib.data.models import Event, RelaisItem, ticket_pk
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, new_ticket, sent_messages
from tests.integration.test_admin import csrf_of, signed_in_headers

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"0" * 300
EXE = b"MZ\x90\x00" + b"\x00" * 300


def message_token(html: str) -> str:
    pattern = r'<form method="post" action="[^"]+/messages"[^>]*>\s*<input type="hidden" name="form_token" value="([^"]+)"'
    match = re.search(pattern, html)
    assert match, "no message form on the page"
    return match.group(1)


def presign(client: Client, url: str, token: dict[str, str], name: str, content_type: str, size: int,
            headers: dict[str, str] | None = None) -> Any:
    body = urlencode({**token, "filename": name, "content_type": content_type, "size": str(size)})
    return client.http.post(url, headers={**FORM_HEADERS, **(headers or {})}, body=body)


def upload(client: Client, url: str, token: dict[str, str], name: str, content_type: str, data: bytes,
           headers: dict[str, str] | None = None) -> str:
    """What the browser does: ask for a presigned POST, then post the file straight to S3."""
    response = presign(client, url, token, name, content_type, len(data), headers)
    assert response.status_code == 200, response.body
    post = response.json_body
    sent = requests.post(post["url"], data=post["fields"], files={"file": (name, data, content_type)}, timeout=10)
    assert sent.status_code in (200, 204), sent.text
    return str(post["key"])


def contractor_message(client: Client, path: str, body: str, files: list[tuple[str, str]], token: str | None = None) -> Any:
    token = token or message_token(client.http.get(path).body.decode())
    fields: list[tuple[str, str]] = [("form_token", token), ("body", body)]
    for key, name in files:
        fields += [("file_key", key), ("file_name", name)]
    return client.http.post(f"{path}/messages", headers=FORM_HEADERS, body=urlencode(fields))


def messages_of(ticket_id: str) -> list[Event]:
    return [i for i in RelaisItem.query(ticket_pk(ticket_id), consistent_read=True)
            if isinstance(i, Event) and i.event_type == "message"]


def s3_keys(aws: str) -> list[str]:
    s3 = boto3.client("s3")
    return [o["Key"] for o in s3.list_objects_v2(Bucket="relais-test-files").get("Contents", [])]


@pytest.fixture
def ticket(people: People) -> Any:
    return new_ticket(people)


def test_the_contractor_writes_with_a_photo_and_the_manager_is_alerted(client: Client, people: People, ticket: Any,
                                                                       pump: Any, aws: str) -> None:
    path = contractor_path(ticket.ticket_id)
    token = {"form_token": message_token(client.http.get(path).body.decode())}
    key = upload(client, f"{path}/uploads", token, "fuite évier.jpg", "image/jpeg", JPEG)
    assert key.startswith(f"incoming/tickets/{ticket.ticket_id}/")
    response = contractor_message(client, path, "Voici la fuite, le joint est fendu.", [(key, "fuite évier.jpg")],
                                  token["form_token"])
    assert response.status_code == 303
    assert "Votre message a bien été envoyé" in client.http.get(response.headers["Location"]).body.decode()
    [message] = messages_of(ticket.ticket_id)
    [file] = message.data["files"]
    assert file["name"] == "fuite évier.jpg" and file["is_image"] and file["size"] == len(JPEG)
    assert file["key"] == key.removeprefix("incoming/") and file["key"] in s3_keys(aws) and key not in s3_keys(aws)
    page = client.http.get(path).body.decode()
    assert f'<img src="{path}/files/{file["file_id"]}"' in page and "Voici la fuite" in page
    download = client.http.get(f"{path}/files/{file['file_id']}")
    assert download.status_code == 302
    query = parse_qs(urlparse(download.headers["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300 and "inline" in query["response-content-disposition"][0]
    pump.drain()
    alert = [m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == [people.manager.email]]
    assert len(alert) == 1 and "Voici la fuite" in alert[0]["body"] and ticket.reference in alert[0]["subject"]


def test_the_manager_replies_with_a_pdf_and_the_contractor_reads_it(client: Client, people: People, ticket: Any,
                                                                    pump: Any, aws: str) -> None:
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    form_id = re.search(r'action="/admin/tickets/[A-Z0-9]+/messages".*?name="form_id" value="([^"]+)"', page, re.S)
    assert form_id
    csrf = {"csrf": csrf_of(page)}
    key = upload(client, f"/admin/tickets/{ticket.ticket_id}/uploads", csrf, "Plan d'accès.pdf", "application/pdf", PDF, headers)
    body = urlencode([*csrf.items(), ("form_id", form_id.group(1)), ("body", "Le plan d'accès est joint."),
                      ("file_key", key), ("file_name", "Plan d'accès.pdf")])
    response = client.http.post(f"/admin/tickets/{ticket.ticket_id}/messages", headers={**FORM_HEADERS, **headers}, body=body)
    assert response.status_code == 303
    pump.drain()
    sms = sent_messages(aws)["sms"][-1]["message"]
    assert "nouveau message" in sms and ticket.reference in sms
    path = contractor_path(ticket.ticket_id)
    html = client.http.get(path).body.decode()
    assert "Le plan d&#39;accès est joint." in html and "Plan d&#39;accès.pdf" in html
    assert html.index("Demande envoyée") < html.index("Le plan d&#39;accès est joint.")  # oldest first
    file_id = messages_of(ticket.ticket_id)[0].data["files"][0]["file_id"]
    download = client.http.get(f"{path}/files/{file_id}")
    disposition = parse_qs(urlparse(download.headers["Location"]).query)["response-content-disposition"][0]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Plan%20d%27acc%C3%A8s.pdf" in disposition  # the accent kept for the browser


@pytest.mark.parametrize(("body", "files", "field", "message"), [
    ("", 0, "body", "Écrivez un message ou joignez un fichier."),
    ("x" * 5001, 0, "body", "dépasse 5000 caractères"),
    ("Photos", 11, "files", "Pas plus de 10 fichiers"),
])
def test_a_bad_message_gets_a_field_error_and_nothing_is_stored(client: Client, ticket: Any, body: str, files: int,
                                                                field: str, message: str) -> None:
    path = contractor_path(ticket.ticket_id)
    keys = [(f"incoming/tickets/{ticket.ticket_id}/01M8DXFDPHG8Y8H5SDEJG5332{i % 10}/p.jpg", "p.jpg") for i in range(files)]
    response = contractor_message(client, path, body, keys)
    assert response.status_code == 400
    assert message in response.body.decode() and f'id="{field}-error"' in response.body.decode()
    assert messages_of(ticket.ticket_id) == []


def test_a_png_saved_as_jpg_is_accepted_and_kept_as_what_it_is(client: Client, ticket: Any, aws: str) -> None:
    path = contractor_path(ticket.ticket_id)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    key = _put_incoming(ticket.ticket_id, "capture.jpg", png, "image/jpeg")  # the browser declares by the name
    assert contractor_message(client, path, "La capture", [(key, "capture.jpg")]).status_code == 303
    [file] = messages_of(ticket.ticket_id)[0].data["files"]
    assert file["content_type"] == "image/png" and file["is_image"]
    stored = boto3.client("s3").head_object(Bucket="relais-test-files", Key=file["key"])
    assert stored["ContentType"] == "image/png"


def _put_incoming(ticket_id: str, name: str, data: bytes, content_type: str) -> str:
    """An object as a client that ignores the presigned policy could leave it (emulators do not enforce it)."""
    from chalicelib.domain import ids

    key = f"incoming/tickets/{ticket_id}/{ids.new_id()}/{name}"
    boto3.client("s3").put_object(Bucket="relais-test-files", Key=key, Body=data, ContentType=content_type)
    return key


@pytest.mark.parametrize(("name", "data", "content_type", "reason"), [
    ("virus.jpg", EXE, "image/jpeg", "ne correspond pas à un type accepté"),
    ("facture.pdf", JPEG, "application/pdf", "ne correspond pas à un type accepté"),
    ("enorme.pdf", b"%PDF-" + b"0" * (uploads.MAX_FILE_BYTES + 1), "application/pdf", "dépasse 20 Mo"),
])
def test_a_bad_file_is_named_removed_and_nothing_recorded(client: Client, ticket: Any, aws: str, name: str, data: bytes,
                                                          content_type: str, reason: str) -> None:
    path = contractor_path(ticket.ticket_id)
    good = _put_incoming(ticket.ticket_id, "photo.jpg", JPEG, "image/jpeg")
    bad = _put_incoming(ticket.ticket_id, name, data, content_type)
    response = contractor_message(client, path, "Deux fichiers", [(good, "photo.jpg"), (bad, name)])
    assert response.status_code == 400
    html = response.body.decode()
    assert f"{name} : " in html and reason in html
    assert bad not in s3_keys(aws)
    assert good in s3_keys(aws)  # the good one is kept for the next try …
    assert f'name="file_key" value="{good}"' in html  # … and still attached to the form,
    assert f'name="file_key" value="{bad}"' not in html  # while the refused one is dropped
    assert messages_of(ticket.ticket_id) == []


def test_a_key_from_another_ticket_or_never_uploaded_is_refused(client: Client, people: People, ticket: Any, aws: str) -> None:
    other = new_ticket(people)
    foreign = _put_incoming(other.ticket_id, "plan.pdf", PDF, "application/pdf")
    missing = f"incoming/tickets/{ticket.ticket_id}/01M8DXFDPHG8Y8H5SDEJG53320/jamais.pdf"
    path = contractor_path(ticket.ticket_id)
    response = contractor_message(client, path, "Fichiers", [(foreign, "plan.pdf"), (missing, "jamais.pdf")])
    assert response.status_code == 400
    html = response.body.decode()
    assert "plan.pdf : Ce fichier n&#39;appartient pas à cette intervention." in html
    assert "jamais.pdf : Le fichier n&#39;a pas été reçu." in html
    assert foreign in s3_keys(aws)  # another ticket's file is never touched
    assert messages_of(ticket.ticket_id) == []


def test_the_presigned_policy_pins_key_size_type_and_a_short_expiry(client: Client, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    token = {"form_token": message_token(client.http.get(path).body.decode())}
    post = presign(client, f"{path}/uploads", token, "devis.pdf", "application/pdf", 1000).json_body
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": post["key"]} in conditions
    assert post["key"].startswith(f"incoming/tickets/{ticket.ticket_id}/") and post["key"].endswith("/devis.pdf")
    assert ["content-length-range", 1, 20 * 1024 * 1024] in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= 600


@pytest.mark.parametrize(("name", "content_type", "size", "reason"), [
    ("setup.exe", "application/x-msdownload", 1000, "Type de fichier non accepté"),
    ("video.mp4", "video/mp4", 1000, "Type de fichier non accepté"),
    ("scan.pdf", "application/pdf", 20 * 1024 * 1024 + 1, "dépasse 20 Mo"),
    ("vide.pdf", "application/pdf", 0, "est vide"),
])
def test_presign_refuses_bad_claims_naming_the_file(client: Client, ticket: Any, name: str, content_type: str, size: int,
                                                    reason: str) -> None:
    path = contractor_path(ticket.ticket_id)
    token = {"form_token": message_token(client.http.get(path).body.decode())}
    response = presign(client, f"{path}/uploads", token, name, content_type, size)
    assert response.status_code == 400
    assert response.json_body["error"].startswith(f"{name} : ") and reason in response.json_body["error"]


def test_presign_needs_the_forms_token(client: Client, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    assert presign(client, f"{path}/uploads", {"form_token": "forged"}, "a.pdf", "application/pdf", 10).status_code == 403


def test_sending_twice_records_one_message(client: Client, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    token = {"form_token": message_token(client.http.get(path).body.decode())}
    key = upload(client, f"{path}/uploads", token, "photo.jpg", "image/jpeg", JPEG)
    first = contractor_message(client, path, "Photo du compteur", [(key, "photo.jpg")], token["form_token"])
    again = contractor_message(client, path, "Photo du compteur", [(key, "photo.jpg")], token["form_token"])
    assert first.status_code == again.status_code == 303
    assert len(messages_of(ticket.ticket_id)) == 1


def test_messages_are_shown_as_text(client: Client, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    attack = '<script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)>'
    assert contractor_message(client, path, attack, []).status_code == 303
    html = client.http.get(path).body.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_downloads_need_the_link_or_a_session(client: Client, people: People, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    token = {"form_token": message_token(client.http.get(path).body.decode())}
    key = upload(client, f"{path}/uploads", token, "photo.jpg", "image/jpeg", JPEG)
    contractor_message(client, path, "Photo", [(key, "photo.jpg")], token["form_token"])
    file_id = messages_of(ticket.ticket_id)[0].data["files"][0]["file_id"]
    for response in (client.http.get(f"/t/{ticket.ticket_id}/{'E' * 32}/files/{file_id}"),
                     client.http.get(f"/admin/tickets/{ticket.ticket_id}/files/{file_id}"),
                     client.http.get(f"{path}/files/01M8DXFDPHG8Y8H5SDEJG53320")):
        assert response.status_code in (302, 403, 404)
        assert "X-Amz-Signature" not in response.headers.get("Location", "") + response.body.decode()
    other = new_ticket(people)
    assert client.http.get(f"{contractor_path(other.ticket_id)}/files/{file_id}").status_code == 404
    manager = client.http.get(f"/admin/tickets/{ticket.ticket_id}/files/{file_id}", headers=signed_in_headers(client, people))
    assert manager.status_code == 302 and "X-Amz-Signature" in manager.headers["Location"]


def test_the_contact_button_is_on_the_form_in_every_state(client: Client, people: People, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    assert "Contacter le gestionnaire" in client.http.get(path).body.decode()
    view = store.load_ticket(ticket.ticket_id)
    from chalicelib.domain import clock
    from chalicelib.usecases import tickets

    tickets.cancel_ticket(view, people.manager, "", "cancel-form-000000000000000000001", clock.now())
    assert "Contacter le gestionnaire" in client.http.get(path).body.decode()
    assert contractor_message(client, path, "Dommage, j'avais commandé la pièce.", []).status_code == 303


def _create_with_files(client: Client, people: People, files: list[tuple[str, str, bytes]]) -> tuple[str, Any]:
    from tests.integration.test_admin import draft_of

    headers = signed_in_headers(client, people)
    form = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    hidden = {"csrf": csrf_of(form), "draft": draft_of(form)}
    pairs: list[tuple[str, str]] = []
    for name, content_type, data in files:
        pairs.append((upload(client, "/admin/drafts/uploads", hidden, name, content_type, data, headers), name))
    fields = [*hidden.items(), ("request_kind", "intervention"), ("contractor_id", people.plumber.contractor_id),
              ("title", "Infiltration plafond"), ("description", "Voir photos."), ("site_address", "2 rue Sala, Lyon"),
              ("urgency", "normal"), ("channels", "email")]
    for key, name in pairs:
        fields += [("file_key", key), ("file_name", name)]
    response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert response.status_code == 303, response.body
    return response.headers["Location"].rsplit("/", 1)[1], headers


def test_request_files_are_attached_to_the_email_and_listed_on_the_form(client: Client, people: People, pump: Any,
                                                                       aws: str) -> None:
    files = [("plafond.jpg", "image/jpeg", JPEG), ("devis.pdf", "application/pdf", PDF)]
    ticket_id, _ = _create_with_files(client, people, files)
    pump.drain()
    listing = client.http.get("/dev/outbox.json").json_body
    [email] = [m for m in listing if m["channel"] == "email"]
    assert sorted(email["attachments"]) == ["devis.pdf", "plafond.jpg"]
    assert "Infiltration plafond" in email["subject"]
    html = client.http.get(contractor_path(ticket_id)).body.decode()
    assert "devis.pdf" in html and f"{contractor_path(ticket_id)}/files/" in html


def test_request_files_over_10_mb_are_sent_as_links(client: Client, people: People, pump: Any, aws: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.outbox import dispatcher

    monkeypatch.setattr(dispatcher, "ATTACHMENTS_MAX_BYTES", len(PDF) + 10)  # same rule, smaller files
    ticket_id, _ = _create_with_files(client, people, [("plan.pdf", "application/pdf", PDF), ("photo.jpg", "image/jpeg", JPEG)])
    pump.drain()
    [email] = [m for m in client.http.get("/dev/outbox.json").json_body if m["channel"] == "email"]
    assert email["attachments"] == []
    file_links = [link for link in email["links"] if "/files/" in link]
    assert len(file_links) == 2 and all(link.startswith(f"http://127.0.0.1:8000/t/{ticket_id}/") for link in file_links)


def test_a_form_with_too_many_fields_is_a_clear_error_not_a_crash(client: Client, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    flood = urlencode([("file_key", f"k{i}") for i in range(500)])
    response = client.http.post(f"{path}/messages", headers=FORM_HEADERS, body=flood)
    assert response.status_code == 400 and "Le formulaire a expiré" in response.body.decode()
    assert messages_of(ticket.ticket_id) == []


def test_a_message_costs_one_query_and_one_transaction(client: Client, ticket: Any) -> None:
    from local.harness import recording_aws_calls

    path = contractor_path(ticket.ticket_id)
    token = message_token(client.http.get(path).body.decode())
    with recording_aws_calls() as calls:
        response = contractor_message(client, path, "Je passe demain matin.", [], token)
    assert response.status_code == 303
    assert calls.dynamodb() == ["Query", "TransactWriteItems"]


def test_a_message_that_meets_a_reassignment_is_recorded_under_nobody_elses_name(
        client: Client, people: People, ticket: Any, monkeypatch: Any) -> None:
    """The manager hands the request to another contractor between the moment the message's ticket
    is read and the moment it is written: its first try conflicts. The old contractor's link is
    revoked, so the message is refused as a replaced link is, never put under the new one's name."""
    from chalicelib.domain import clock, tokens
    from chalicelib.usecases import ticket_admin

    path = contractor_path(ticket.ticket_id)
    token = message_token(client.http.get(path).body.decode())
    write = store.apply_change
    reassigned: list[bool] = []

    def reassign_first(change: store.Change) -> None:
        if not reassigned:
            reassigned.append(True)
            ticket_admin.reassign(store.load_ticket(ticket.ticket_id), people.manager, people.email_only,
                               tokens.new_random_secret(), clock.now())
        write(change)

    monkeypatch.setattr(store, "apply_change", reassign_first)
    response = contractor_message(client, path, "Je passe demain à 9 h.", [], token)
    assert reassigned and store.load_ticket(ticket.ticket_id).ticket.contractor_id == people.email_only.contractor_id
    assert [(m.actor_name, m.data["body"]) for m in messages_of(ticket.ticket_id)] == []
    assert response.status_code == 410  # the page of a replaced link
