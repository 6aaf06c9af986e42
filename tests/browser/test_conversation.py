"""The conversation and its files, in a real browser: the contractor writes from the SMS link on a
phone with a photo, the manager answers from the ticket page with a PDF, the contractor reads it
and downloads it. Uploads go straight from the browser to S3 (the moto server on loopback)."""

from __future__ import annotations

import base64
import os
import re
import struct
import zlib
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, Relais
from tests.browser.test_round_trip import CONTRACTOR_PHONE, _no_horizontal_scroll, _sign_in, _sms_link_for

PDF = (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + b"%" * 1500 + b"\n")
PDF_NAME = "Plan d'accès.pdf"
XSS = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', '"><svg onload=alert(3)>', 'javascript:alert(4)',
       '<iframe src=javascript:alert(5)></iframe>']


# --- files made in the test -------------------------------------------------------------------------

def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour truecolour PNG."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = (b"\x00" + bytes(rgb) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def _jpeg(page: Any, width: int = 160, height: int = 120) -> bytes:
    """A real JPEG, drawn by the browser itself (no imaging library here). Call before goto."""
    data_url = page.evaluate("""([w, h]) => {
        const canvas = document.createElement("canvas");
        canvas.width = w; canvas.height = h;
        const g = canvas.getContext("2d");
        g.fillStyle = "#2a7ab0"; g.fillRect(0, 0, w, h);
        g.fillStyle = "#e0a030"; g.fillRect(w / 4, h / 4, w / 2, h / 2);
        return canvas.toDataURL("image/jpeg", 0.9);
    }""", [width, height])
    data = base64.b64decode(data_url.split(",", 1)[1])
    assert data[:3] == b"\xff\xd8\xff"
    return data


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the SOF0/SOF1/SOF2 marker."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i + 4 <= len(data):
        assert data[i] == 0xFF, f"lost in the JPEG at byte {i}"
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no SOF marker in the JPEG")


# --- what people do ---------------------------------------------------------------------------------

def _watch(page: Any) -> dict[str, list[str]]:
    """Every dialog that opens (dismissed) and every CSP complaint on the console."""
    seen: dict[str, list[str]] = {"dialogs": [], "csp": []}

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            seen["csp"].append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    return seen


def _open_box(page: Any, title: str) -> Any:
    box = page.locator("details#contact")
    box.locator("summary", has_text=title).click()
    expect(box.get_by_label("Votre message")).to_be_visible()
    return box


def _uploaded(box: Any, name: str) -> Any:
    """The upload row of `name`, once S3 has the file."""
    item = box.locator("[data-upload-list] li.upload", has=box.page.locator(".upload-name", has_text=name))
    expect(item.locator(".upload-status")).to_have_text("Envoyé", timeout=15_000)
    expect(item).to_have_class("upload done")
    expect(item.locator("progress")).to_have_js_property("value", 100)
    expect(item.locator("input[type=hidden][name=file_key]")).to_have_count(1)
    return item


def _loads(image: Any) -> None:
    """The <img> really shows a picture (its bytes came back and decoded)."""
    image.scroll_into_view_if_needed()
    image.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=10_000)


def _messages(ticket_id: str) -> list[Any]:
    from chalicelib.data import store

    return [e for e in store.load_ticket(ticket_id).events if e.event_type == "message"]


def _s3_object(key: str) -> bytes:
    return bytes(boto3.client("s3").get_object(Bucket=os.environ["RELAIS_BUCKET"], Key=key)["Body"].read())


def _contractor_writes_a_photo(ticket_id: str, data: bytes, name: str, body: str) -> None:
    """A message with a photo already sent by the contractor (what the first test does in the browser)."""
    from chalicelib.data import store
    from chalicelib.domain import clock, ids, tokens
    from chalicelib.usecases import conversation, tickets

    key = f"incoming/tickets/{ticket_id}/{ids.new_id()}/{name}"
    boto3.client("s3").put_object(Bucket=os.environ["RELAIS_BUCKET"], Key=key, Body=data, ContentType="image/png")
    view = store.load_ticket(ticket_id)
    conversation.send_message(view, tickets.contractor_of(view), body, [key], [name], tokens.new_random_secret(), clock.now())


# --- the tests --------------------------------------------------------------------------------------

def test_the_contractor_writes_with_a_photo_from_the_phone(relais: Relais, phone: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    link = _sms_link_for(relais, ticket.ticket_id)
    form = phone.new_page()
    seen = _watch(form)
    photo = _jpeg(form)
    form.goto(link)

    box = _open_box(form, "Contacter le gestionnaire")
    text = "Voici la fuite, le joint est fendu.\nJe passe demain matin."
    box.get_by_label("Votre message").fill(text)
    box.locator("#message-files").set_input_files({"name": "fuite évier.jpg", "mimeType": "image/jpeg", "buffer": photo})
    item = _uploaded(box, "fuite évier.jpg")
    thumb = item.locator("img.upload-thumb")
    expect(thumb).to_be_visible()
    _loads(thumb)
    assert _no_horizontal_scroll(form), "the open message box scrolls sideways on a 390 px phone"
    box.scroll_into_view_if_needed()
    form.screenshot(path=str(SHOTS / "contractor-message-box.png"), full_page=True)

    box.get_by_role("button", name="Envoyer le message").click()
    expect(form.locator("section.confirmation h1")).to_have_text("Votre message a bien été envoyé")
    form.get_by_role("link", name="Afficher à nouveau l'intervention").click()
    expect(form).to_have_url(link)
    message = form.locator(".events li.event-message.from-contractor")
    expect(message).to_have_count(1)
    written = re.compile(r"Voici la fuite, le joint est fendu\.\s+Je passe demain matin\.")
    expect(message.locator(".message-body")).to_have_text(written)
    image = message.locator(".files a.thumb img")
    expect(message.locator(".files a.thumb")).to_have_accessible_name(re.compile(r"^fuite évier\.jpg \d"))  # name, size
    _loads(image)
    assert form.evaluate("img => img.naturalWidth", image.element_handle()) == 160
    form.screenshot(path=str(SHOTS / "contractor-thread-photo.png"), full_page=True)

    [recorded] = _messages(ticket.ticket_id)
    [file] = recorded.data["files"]
    assert file["name"] == "fuite évier.jpg" and file["is_image"] and _s3_object(file["key"]) == photo
    assert not seen["dialogs"] and not seen["csp"], seen


def test_the_manager_answers_with_a_pdf_and_the_contractor_downloads_it(relais: Relais, desktop: Any, phone: Any) -> None:
    from chalicelib.i18n.formatting import filesize
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    _contractor_writes_a_photo(ticket.ticket_id, _png(120, 90, (40, 120, 180)), "compteur.png", "Photo du compteur.")

    manager = desktop.new_page()
    seen_manager = _watch(manager)
    _sign_in(relais, manager)
    manager.goto(f"/admin/tickets/{ticket.ticket_id}")
    events = manager.locator("#events")
    theirs = events.locator("li.event-message.from-contractor")
    expect(theirs.locator(".message-body")).to_have_text("Photo du compteur.")
    _loads(theirs.locator("a.thumb img"))

    box = _open_box(manager, "Écrire à l'intervenant")
    box.get_by_label("Votre message").fill("Le plan d'accès est joint. Merci pour la photo.")
    box.locator("#message-files").set_input_files({"name": PDF_NAME, "mimeType": "application/pdf", "buffer": PDF})
    item = _uploaded(box, PDF_NAME)
    expect(item.locator("img")).to_have_count(0)  # no thumbnail for a PDF
    box.get_by_role("button", name="Envoyer le message").click()
    expect(manager).to_have_url(re.compile(rf"/admin/tickets/{ticket.ticket_id}#events$"))
    mine = events.locator("li.event-message.from-manager")
    expect(mine.locator(".message-body")).to_have_text("Le plan d'accès est joint. Merci pour la photo.")
    expect(mine.locator("a.file")).to_have_text(PDF_NAME)
    _loads(theirs.locator("a.thumb img"))
    manager.screenshot(path=str(SHOTS / "admin-ticket-thread.png"), full_page=True)
    assert not seen_manager["dialogs"] and not seen_manager["csp"], seen_manager

    # The contractor gets an SMS, opens it and reads the answer.
    sms = relais.wait_for_message(lambda m: m["channel"] == "sms" and m["to"] == CONTRACTOR_PHONE
                                  and "nouveau message" in m["body"] and ticket.reference in m["body"])
    link = next(link for link in sms["links"] if f"/t/{ticket.ticket_id}/" in link)
    assert link.startswith(f"{relais.base_url}/t/{ticket.ticket_id}/")
    form = phone.new_page()
    seen_contractor = _watch(form)
    form.goto(link)
    reply = form.locator(".events li.event-message.from-manager")
    expect(reply.locator(".message-body")).to_have_text("Le plan d'accès est joint. Merci pour la photo.")
    pdf_link = reply.locator("a.file")
    expect(pdf_link).to_have_text(PDF_NAME)
    expect(reply.locator(".size")).to_have_text(filesize(len(PDF)))

    href = pdf_link.get_attribute("href")
    assert href
    redirect = phone.request.get(href, max_redirects=0)
    assert redirect.status == 302
    query = parse_qs(urlparse(redirect.headers["location"]).query)
    assert query["response-content-disposition"][0].startswith("attachment")
    with form.expect_download() as download_info:
        pdf_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == PDF
    assert not seen_contractor["dialogs"] and not seen_contractor["csp"], seen_contractor


def test_a_failed_upload_is_retried_without_losing_the_text(relais: Relais, phone: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    photo = _jpeg(form)
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    posts: list[str] = []

    def flaky_s3(route: Any) -> None:
        if route.request.method == "POST":
            posts.append(route.request.url)
            if len(posts) == 1:
                route.abort("connectionreset")  # the phone loses the network during the first upload
                return
        route.continue_()

    form.route(re.compile(re.escape(os.environ["AWS_ENDPOINT_URL"].rstrip("/")) + r"/.*"), flaky_s3)

    box = _open_box(form, "Contacter le gestionnaire")
    text = "Photo du robinet d'arrêt."
    box.get_by_label("Votre message").fill(text)
    box.locator("#message-files").set_input_files({"name": "robinet.jpg", "mimeType": "image/jpeg", "buffer": photo})
    item = box.locator("li.upload")
    expect(item).to_have_class("upload failed")
    expect(item.locator(".upload-status")).to_have_text("Échec de l'envoi")
    retry = item.get_by_role("button", name="Réessayer")
    expect(retry).to_be_visible()
    expect(box.get_by_label("Votre message")).to_have_value(text)
    expect(item.locator("input[name=file_key]")).to_have_count(0)
    form.screenshot(path=str(SHOTS / "contractor-upload-failed.png"), full_page=True)

    retry.click()
    _uploaded(box, "robinet.jpg")
    expect(item.get_by_role("button", name="Réessayer")).to_have_count(0)
    assert len(posts) == 2
    box.get_by_role("button", name="Envoyer le message").click()
    expect(form.locator("section.confirmation h1")).to_have_text("Votre message a bien été envoyé")
    [recorded] = _messages(ticket.ticket_id)
    assert recorded.data["body"] == text
    assert [f["name"] for f in recorded.data["files"]] == ["robinet.jpg"]
    assert _s3_object(recorded.data["files"][0]["key"]) == photo


def test_a_wide_photo_is_downscaled_to_a_jpeg_before_upload(relais: Relais, phone: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    box = _open_box(form, "Contacter le gestionnaire")
    box.get_by_label("Votre message").fill("Vue d'ensemble de la cuisine.")
    wide = _png(3000, 1000, (200, 60, 40))
    box.locator("#message-files").set_input_files({"name": "panorama.png", "mimeType": "image/png", "buffer": wide})
    _uploaded(box, "panorama.png")
    box.get_by_role("button", name="Envoyer le message").click()
    expect(form.locator("section.confirmation h1")).to_have_text("Votre message a bien été envoyé")

    [recorded] = _messages(ticket.ticket_id)
    [file] = recorded.data["files"]
    assert file["content_type"] == "image/jpeg" and file["name"] == "panorama.jpg"
    stored = _s3_object(file["key"])
    width, height = _jpeg_size(stored)
    assert width <= 2560
    assert (width, height) == (2560, round(1000 * 2560 / 3000))  # the whole width kept, proportions too


def test_a_message_full_of_markup_is_shown_as_text_on_both_sides(relais: Relais, phone: Any, desktop: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    seen_contractor = _watch(form)
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    box = _open_box(form, "Contacter le gestionnaire")
    box.get_by_label("Votre message").fill("\n".join(XSS))
    box.get_by_role("button", name="Envoyer le message").click()
    expect(form.locator("section.confirmation h1")).to_have_text("Votre message a bien été envoyé")
    form.get_by_role("link", name="Afficher à nouveau l'intervention").click()

    manager = desktop.new_page()
    seen_manager = _watch(manager)
    _sign_in(relais, manager)
    manager.goto(f"/admin/tickets/{ticket.ticket_id}")

    for page in (form, manager):
        thread = page.locator(".events")
        body = thread.locator("li.event-message .message-body")
        expect(body).to_have_count(1)
        shown = [line.strip() for line in (body.text_content() or "").splitlines() if line.strip()]
        assert shown == XSS, shown
        for injected in ("script", "img[src=x]", "img", "svg", "iframe"):
            assert thread.locator(injected).count() == 0, f"a <{injected}> was injected into the thread on {page.url}"
        page.wait_for_load_state("load")  # what injected markup would run (onerror, onload) has run by then
    assert not seen_contractor["dialogs"] and not seen_manager["dialogs"], (seen_contractor, seen_manager)
    [recorded] = _messages(ticket.ticket_id)
    assert recorded.data["body"].replace("\r\n", "\n") == "\n".join(XSS)


def test_a_file_that_is_not_what_it_claims_is_refused_by_name(relais: Relais, phone: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    box = _open_box(form, "Contacter le gestionnaire")
    box.get_by_label("Votre message").fill("La photo de la facture.")
    fake = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 400
    box.locator("#message-files").set_input_files({"name": "virus.jpg", "mimeType": "image/jpeg", "buffer": fake})
    # Refused on its line as soon as its upload ends (the server checked it), never offered for sending.
    line = box.locator("[data-upload-list] li.upload", has=form.locator(".upload-name", has_text="virus.jpg"))
    expect(line.locator(".upload-status")).to_have_text("Refusé : Le contenu du fichier ne correspond pas à un type accepté.",
                                                        timeout=15_000)
    expect(line.locator("input[type=hidden]")).to_have_count(0)
    expect(form.get_by_label("Votre message")).to_have_value("La photo de la facture.")
    assert _no_horizontal_scroll(form)
    form.screenshot(path=str(SHOTS / "contractor-file-refused.png"), full_page=True)
    box.get_by_role("button", name="Envoyer le message").click()
    expect(form.locator("section.confirmation h1")).to_have_text("Votre message a bien été envoyé")
    [recorded] = _messages(ticket.ticket_id)
    assert recorded.data.get("files", []) == []  # the text went, the refused file did not


def test_after_a_refused_file_the_contractor_can_send_again_with_the_good_one(relais: Relais, phone: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    photo = _jpeg(form)
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    box = _open_box(form, "Contacter le gestionnaire")
    box.get_by_label("Votre message").fill("Le compteur et la facture.")
    box.locator("#message-files").set_input_files([
        {"name": "compteur.jpg", "mimeType": "image/jpeg", "buffer": photo},
        {"name": "virus.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + b"\x00" * 400}])
    _uploaded(box, "compteur.jpg")
    uploads = form.locator("details#contact [data-upload-list] li.upload")
    expect(uploads.filter(has_text="virus.jpg").locator(".upload-status")).to_have_text(
        "Refusé : Le contenu du fichier ne correspond pas à un type accepté.", timeout=15_000)
    # The refused file is never attached; the good one is.
    expect(uploads.filter(has_text="compteur.jpg").locator("input[name=file_key]")).to_have_count(1)
    expect(uploads.filter(has_text="virus.jpg").locator("input[name=file_key]")).to_have_count(0)
    # The same bytes would get the same answer: nothing to retry.
    expect(uploads.filter(has_text="virus.jpg").get_by_role("button", name="Réessayer")).to_have_count(0)
    form.get_by_role("button", name="Envoyer le message").click()
    expect(form.locator("section.confirmation h1")).to_have_text("Votre message a bien été envoyé")
    [recorded] = _messages(ticket.ticket_id)
    assert [f["name"] for f in recorded.data["files"]] == ["compteur.jpg"]
