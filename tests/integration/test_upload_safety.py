"""Files under attack: double submits with files, re-uploads racing the check, names and types that
lie, and a link asking for more upload permissions than a person needs."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import boto3
import pytest
import requests
from chalice.test import Client

from chalicelib.aws import clients, uploads
from chalicelib.data.models import Event, RelaisItem, ticket_pk
from chalicelib.domain import clock
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, new_ticket
from tests.integration.test_conversation import JPEG, PDF, contractor_message, message_token, presign
from tests.integration.test_timers import accepted_ticket, token

BUCKET = "relais-test-files"
HTML = b"<html><script>alert(document.domain)</script></html>"


@pytest.fixture
def versioned(aws: str) -> str:
    """The bucket as the stack creates it on AWS: versioned (infra/template.yml)."""
    boto3.client("s3").put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return aws


@pytest.fixture
def ticket(people: People) -> Any:
    return new_ticket(people)


def permission(client: Client, path: str, form_token: str, name: str, content_type: str, size: int) -> dict[str, Any]:
    response = presign(client, f"{path}/uploads", {"form_token": form_token}, name, content_type, size)
    assert response.status_code == 200, response.body
    return dict(response.json_body)


def post_file(post: dict[str, Any], name: str, data: bytes, content_type: str) -> None:
    """What the browser (or anyone holding the presigned POST) sends straight to S3."""
    sent = requests.post(post["url"], data=post["fields"], files={"file": (name, data, content_type)}, timeout=10)
    assert sent.status_code in (200, 204), sent.text


def uploaded(client: Client, path: str, form_token: str, name: str, content_type: str, data: bytes) -> dict[str, Any]:
    post = permission(client, path, form_token, name, content_type, len(data))
    post_file(post, name, data, content_type)
    return post


def events(ticket_id: str, kind: str) -> list[Event]:
    return [i for i in RelaisItem.query(ticket_pk(ticket_id), consistent_read=True)
            if isinstance(i, Event) and i.event_type == kind]


def stored_bytes(file: dict[str, Any]) -> bytes:
    extra = {"VersionId": file["version_id"]} if file.get("version_id") else {}
    return bytes(boto3.client("s3").get_object(Bucket=BUCKET, Key=file["key"], **extra)["Body"].read())


def submit_together(count: int, submit: Any) -> list[tuple[int, str]]:
    start = threading.Barrier(count)

    def one(_: int) -> tuple[int, str]:
        start.wait()
        response = submit()
        return response.status_code, response.headers.get("Location", "")

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


@pytest.fixture
def s3_calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every S3 call the app makes, with the parameters it sends (the shape AWS receives)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    events_ = clients.client("s3").meta.events
    events_.register("provide-client-params.s3.*", record)
    yield calls
    events_.unregister("provide-client-params.s3.*", record)


@pytest.fixture
def before_copy() -> Iterator[list[Any]]:
    """Runs the callables it is given inside the app's S3 client right before its next CopyObject:
    exactly between the check and the copy, where a re-upload races."""
    hooks: list[Any] = []

    def run(**_: Any) -> None:
        while hooks:
            hooks.pop(0)()

    events_ = clients.client("s3").meta.events
    events_.register("before-call.s3.CopyObject", run)
    yield hooks
    events_.unregister("before-call.s3.CopyObject", run)


# -- 1. a double submit with files: one message, the same page for both, never a 500 ----------------

@pytest.mark.parametrize("bucket", ["plain", "versioned"])
def test_the_same_message_with_files_sent_eight_times_at_once_is_recorded_once(
        client: Client, ticket: Any, bucket: str, request: pytest.FixtureRequest) -> None:
    if bucket == "versioned":
        request.getfixturevalue("versioned")
    path = contractor_path(ticket.ticket_id)
    for attempt in range(3):
        form_token = message_token(client.http.get(path).body.decode())
        files = [(uploaded(client, path, form_token, f"photo{n}.jpg", "image/jpeg", JPEG)["key"], f"photo{n}.jpg")
                 for n in range(4)]
        body = f"Photos {attempt}"
        results = submit_together(8, lambda b=body, f=files, t=form_token: contractor_message(client, path, b, f, t))
        assert set(results) == {(303, f"{path}/confirmation")}, results
        [message] = [e for e in events(ticket.ticket_id, "message") if e.data["body"] == body]
        assert [f["name"] for f in message.data["files"]] == [f"photo{n}.jpg" for n in range(4)]
        assert all(stored_bytes(f) == JPEG for f in message.data["files"])


def test_the_end_of_work_with_proofs_sent_six_times_at_once_is_recorded_once(client: Client, people: People,
                                                                            pump: Any) -> None:
    ticket, path = accepted_ticket(client, people, pump)
    html = client.http.get(path).body.decode()
    form_token = token(html, "completion")
    proofs = [uploaded(client, path, form_token, f"apres{n}.jpg", "image/jpeg", JPEG)["key"] for n in range(3)]
    invoice = uploaded(client, path, form_token, "facture.pdf", "application/pdf", PDF)["key"]
    fields = [("form_token", form_token), ("done_on", clock.paris(clock.now()).date().isoformat()),
              *[pair for n, key in enumerate(proofs) for pair in (("proof_key", key), ("proof_name", f"apres{n}.jpg"))],
              ("invoice_key", invoice), ("invoice_name", "facture.pdf"),
              ("invoice_amount_excl", "75"), ("invoice_amount", "90"), ("invoice_number", "F-7")]
    body = urlencode(fields)
    results = submit_together(6, lambda: client.http.post(f"{path}/completion", headers=FORM_HEADERS, body=body))
    assert set(results) == {(303, f"{path}/confirmation")}, results
    [done] = events(ticket.ticket_id, "complete_with_invoice")
    assert len(done.data["files"]) == 4 and stored_bytes(done.data["files"][-1]) == PDF


def test_a_new_request_with_files_created_by_six_clicks_at_once_is_created_once(client: Client, people: People) -> None:
    from tests.integration.test_admin import csrf_of, draft_of, signed_in_headers
    from tests.integration.test_conversation import upload

    headers = signed_in_headers(client, people)
    form = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    hidden = {"csrf": csrf_of(form), "draft": draft_of(form)}
    fields = [*hidden.items(), ("request_kind", "intervention"), ("contractor_id", people.plumber.contractor_id),
              ("title", "Infiltration plafond"), ("description", "Voir photos."), ("site_address", "2 rue Sala, Lyon"),
              ("urgency", "normal"), ("channels", "email")]
    for n in range(3):
        fields += [("file_key", upload(client, "/admin/drafts/uploads", hidden, f"plafond{n}.jpg", "image/jpeg", JPEG, headers)),
                   ("file_name", f"plafond{n}.jpg")]
    body = urlencode(fields)
    results = submit_together(6, lambda: client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=body))
    assert len(set(results)) == 1 and results[0][0] == 303, results
    ticket_id = results[0][1].rsplit("/", 1)[1]
    [created] = events(ticket_id, "created")
    assert [f["name"] for f in created.data["files"]] == ["plafond0.jpg", "plafond1.jpg", "plafond2.jpg"]


# -- 2. the check cannot be raced: what was checked is what is stored, and a key serves once -----

def test_a_reupload_between_the_check_and_the_copy_is_not_what_gets_stored(
        client: Client, ticket: Any, versioned: str, before_copy: list[Any]) -> None:
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())
    post = uploaded(client, path, form_token, "devis.pdf", "application/pdf", PDF)
    # The same presigned POST, used again while the server is between its check and its copy.
    before_copy.append(lambda: post_file(post, "devis.pdf", HTML, "application/pdf"))
    response = contractor_message(client, path, "Le devis", [(post["key"], "devis.pdf")], form_token)
    assert not before_copy, "the re-upload never ran"
    # The copy takes the checked version (its VersionId), so the message goes through with the PDF.
    assert response.status_code == 303
    [message] = events(ticket.ticket_id, "message")
    [file] = message.data["files"]
    assert stored_bytes(file) == PDF and file["content_type"] == "application/pdf"
    assert boto3.client("s3").get_object(Bucket=BUCKET, Key=file["key"])["Body"].read() == PDF


def test_the_copy_takes_the_checked_version_on_condition_and_never_replaces_a_file(
        client: Client, ticket: Any, versioned: str, s3_calls: list[tuple[str, dict[str, Any]]]) -> None:
    """moto ignores CopySourceIfMatch and IfNoneMatch on CopyObject (AWS honours both): this pins
    the exact request AWS receives."""
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())
    post = uploaded(client, path, form_token, "devis.pdf", "application/pdf", PDF)
    head = boto3.client("s3").head_object(Bucket=BUCKET, Key=post["key"])
    s3_calls.clear()
    assert contractor_message(client, path, "Le devis", [(post["key"], "devis.pdf")], form_token).status_code == 303
    reads = [params for name, params in s3_calls if name == "GetObject"]
    assert reads and all(p["VersionId"] == head["VersionId"] and p["IfMatch"] == head["ETag"] for p in reads)
    [copy] = [params for name, params in s3_calls if name == "CopyObject"]
    assert copy["CopySource"] == {"Bucket": BUCKET, "Key": post["key"], "VersionId": head["VersionId"]}
    assert copy["CopySourceIfMatch"] == head["ETag"] and copy["IfNoneMatch"] == "*"
    assert copy["MetadataDirective"] == "REPLACE" and copy["ContentType"] == "application/pdf"
    assert copy["ContentDisposition"].startswith('attachment; filename="devis.pdf"')
    [delete] = [params for name, params in s3_calls if name == "DeleteObject"]
    assert delete == {"Bucket": BUCKET, "Key": post["key"], "VersionId": head["VersionId"]}  # the checked one only


def test_a_key_already_recorded_cannot_be_sent_again_with_new_bytes(client: Client, ticket: Any, versioned: str) -> None:
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())
    post = uploaded(client, path, form_token, "photo.jpg", "image/jpeg", JPEG)
    assert contractor_message(client, path, "Photo", [(post["key"], "photo.jpg")], form_token).status_code == 303
    post_file(post, "photo.jpg", b"\xff\xd8\xff" + HTML, "image/jpeg")  # the permission is still alive
    again = contractor_message(client, path, "Encore", [(post["key"], "photo.jpg")])
    assert again.status_code == 400 and "photo.jpg : Ce fichier a déjà été envoyé." in again.body.decode()
    [message] = events(ticket.ticket_id, "message")
    assert stored_bytes(message.data["files"][0]) == JPEG


# -- 3. names and types tell the truth ----------------------------------------------------------

def download(client: Client, path: str, file_id: str) -> tuple[Any, dict[str, str]]:
    response = client.http.get(f"{path}/files/{file_id}")
    assert response.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlparse(response.headers["Location"]).query).items()}
    return response, query


def test_a_jpeg_html_polyglot_named_html_is_served_as_a_jpeg_named_jpg(client: Client, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())
    polyglot = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + HTML
    post = uploaded(client, path, form_token, "poly.html", "image/jpeg", polyglot)
    assert contractor_message(client, path, "Photo", [(post["key"], "poly.html")], form_token).status_code == 303
    [file] = events(ticket.ticket_id, "message")[0].data["files"]
    assert file["name"] == "poly.jpg" and file["content_type"] == "image/jpeg"
    response, query = download(client, path, file["file_id"])
    assert query["response-content-type"] == "image/jpeg"
    assert ".html" not in query["response-content-disposition"]
    assert query["response-content-disposition"].startswith('inline; filename="poly.jpg"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    served = requests.get(response.headers["Location"], timeout=10)
    assert served.headers["Content-Type"] == "image/jpeg" and "html" not in served.headers["Content-Disposition"]
    # The object itself says the same, even fetched without the download's overrides.
    stored = boto3.client("s3").head_object(Bucket=BUCKET, Key=file["key"])
    assert stored["ContentType"] == "image/jpeg" and ".html" not in stored["ContentDisposition"]


def test_a_bidi_name_loses_its_controls_and_a_document_is_never_inline(client: Client, ticket: Any) -> None:
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())
    name = "Facture\u202efdp.jar"
    post = uploaded(client, path, form_token, name, "application/pdf", PDF)
    assert contractor_message(client, path, "Facture", [(post["key"], name)], form_token).status_code == 303
    [file] = events(ticket.ticket_id, "message")[0].data["files"]
    assert file["name"] == "Facturefdp.pdf" and not file["is_image"]
    _, query = download(client, path, file["file_id"])
    disposition = unquote(query["response-content-disposition"])
    assert disposition.startswith('attachment; filename="Facturefdp.pdf"') and "\u202e" not in disposition
    assert query["response-content-type"] == "application/pdf"
    assert "\u202e" not in client.http.get(path).body.decode()


def test_any_zip_is_not_an_office_file(client: Client, ticket: Any) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Main-Class: Payload\n")
        jar.writestr("Payload.class", b"\xca\xfe\xba\xbe")
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    post = uploaded(client, path, form_token, "rapport.docx", docx, archive.getvalue())
    response = contractor_message(client, path, "Rapport", [(post["key"], "rapport.docx")], form_token)
    assert response.status_code == 400 and "ne correspond pas à un type accepté" in response.body.decode()
    assert events(ticket.ticket_id, "message") == []


def test_a_file_recorded_before_this_check_is_still_served_under_its_true_type() -> None:
    """Files recorded earlier kept the browser's name: the download fixes name and disposition."""
    url = uploads.download_url({"key": "tickets/X/Y/poly.html", "name": "poly\u202e.html", "content_type": "image/jpeg",
                                "is_image": True})
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert query["response-content-disposition"].startswith('inline; filename="poly.jpg"')
    legacy = uploads.download_url({"key": "tickets/X/Y/a.zip", "name": "a.zip", "content_type": "application/zip"})
    query = {k: v[0] for k, v in parse_qs(urlparse(legacy).query).items()}
    assert query["response-content-type"] == "application/octet-stream"
    assert query["response-content-disposition"].startswith("attachment;")


# -- 6. upload permissions per link are bounded --------------------------------------------------

def test_a_link_gets_twenty_upload_permissions_at_once_then_a_clear_message(client: Client, people: People) -> None:
    path = contractor_path(new_ticket(people).ticket_id)
    form_token = message_token(client.http.get(path).body.decode())

    def ask(link: str = path, token_: str = form_token) -> Any:
        return presign(client, f"{link}/uploads", {"form_token": token_}, "photo.jpg", "image/jpeg", 20 * 1024 * 1024)

    results = submit_together(30, ask)
    assert sorted(status for status, _ in results) == [200] * 20 + [429] * 10
    refused = ask()
    assert refused.status_code == 429
    assert refused.json_body["error"] == "photo.jpg : Trop de fichiers en cours d'envoi : attendez deux minutes, puis réessayez."
    other = contractor_path(new_ticket(people).ticket_id)
    assert ask(other, message_token(client.http.get(other).body.decode())).status_code == 200  # each link its own


def test_a_link_gets_sixty_upload_permissions_an_hour(client: Client, people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = new_ticket(people, people.email_only, ("email",))  # an English-speaking contractor reads it in English
    path = contractor_path(ticket.ticket_id)
    form_token = message_token(client.http.get(path).body.decode())

    def ask() -> Any:
        return presign(client, f"{path}/uploads", {"form_token": form_token}, "a.pdf", "application/pdf", 10)

    start = clock.now()
    for minute in range(0, 60, 3):  # 3 every 3 minutes: never 20 alive at once
        monkeypatch.setattr(clock, "now", lambda m=minute: start + timedelta(minutes=m))
        assert [ask().status_code for _ in range(3)] == [200] * 3
    refused = ask()
    assert refused.status_code == 429
    assert refused.json_body["error"] == "a.pdf : Too many files uploaded within an hour: try again later."
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=61))
    assert ask().status_code == 200
