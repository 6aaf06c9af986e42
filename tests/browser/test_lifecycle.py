"""A ticket's whole life, in a real browser, from request to closed: the manager asks for a quote,
the contractor sends it from the phone with the PDF, the manager accepts it, the contractor picks
a date; the presence check and the invoice request are fired from /dev/schedules (as EventBridge
Scheduler would at their time); the contractor is on site, declares the end of work with a photo
and no invoice, sends the invoice when asked; the manager closes the ticket."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from local.harness import wait_until
from tests.browser.conftest import SHOTS, Relais
from tests.browser.test_conversation import PDF, _jpeg, _loads
from tests.browser.test_round_trip import CONTRACTOR_PHONE, TICKET_URL, _no_horizontal_scroll, _sign_in, _tomorrow

TITLE = "Remplacement du chauffe-eau"
DESCRIPTION = "Le chauffe-eau de 300 L du local technique fuit par le groupe de sécurité. Devis pour un remplacement."
ADDRESS = "14 rue des Lilas, 69003 Lyon"
QUOTE_NAME = "devis-chauffe-eau.pdf"
INVOICE_NAME = "facture-F-2026-118.pdf"
# The main steps, in the order the ticket page lists them.
MAIN_STEPS = ["Demande envoyée", "Devis envoyé", "Devis accepté", "Demande acceptée",
              "Demande de confirmation de présence", "Présence sur place confirmée", "Fin d'intervention confirmée",
              "Facture demandée", "Facture envoyée", "Ticket clôturé"]


def _today() -> str:
    from chalicelib.domain import clock

    return clock.paris(clock.now()).date().isoformat()


def _euros(amount: str) -> re.Pattern[str]:
    """'1500' → 1500.00 €, 1 500,00 € or 1 500,00 € (whichever way the page writes amounts)."""
    thousands, units = amount[:-3], amount[-3:]
    return re.compile(rf"{thousands}[\s\u202f\u00a0]?{units}[.,]00\s?€")


def _sms(relais: Relais, ticket_id: str, text: str) -> str:
    """The link of the newest SMS to the contractor about this ticket saying `text`."""
    message = relais.wait_for_message(lambda m: m["channel"] == "sms" and m["to"] == CONTRACTOR_PHONE and text in m["body"]
                                      and any(f"/t/{ticket_id}/" in link for link in m["links"]))
    link = next(link for link in message["links"] if f"/t/{ticket_id}/" in link)
    assert link.startswith(f"{relais.base_url}/t/{ticket_id}/")
    return str(link)


def _alert_text(relais: Relais, ticket_id: str, text: str) -> str:
    """The text of the newest alert email to the manager about this ticket saying `text`."""
    message = relais.wait_for_message(lambda m: m["channel"] == "email" and text in m["body"]
                                      and any(f"/admin/tickets/{ticket_id}" in link for link in m["links"]))
    return str(message["body"])


def _upload(page: Any, input_id: str, name: str, mime: str, data: bytes) -> Any:
    """Pick a file in the form's file input; wait until S3 has it."""
    page.locator(f"#{input_id}").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    item = page.locator(f"[data-upload-list][data-for={input_id}] li.upload",
                        has=page.locator(".upload-name", has_text=name))
    expect(item.locator(".upload-status")).to_have_text("Envoyé", timeout=15_000)
    expect(item).to_have_class("upload done")
    return item


def _confirmed(page: Any) -> None:
    expect(page.locator("section.confirmation h1")).to_have_text("Votre réponse a bien été envoyée")
    assert _no_horizontal_scroll(page), f"the confirmation scrolls sideways on a 390 px phone ({page.url})"


def _schedule_rows(page: Any, ticket_id: str, step_label: str | None = None) -> Any:
    rows = page.locator("table.schedules tbody tr").filter(has=page.locator(f'a[href="/admin/tickets/{ticket_id}"]'))
    if step_label is None:
        return rows
    return rows.filter(has=page.locator("td:nth-child(2)", has_text=re.compile(rf"^{re.escape(step_label)}$")))


def _reload_until(page: Any, rows: Any, count: int, seconds: float = 10.0) -> None:
    """Schedules reach the Scheduler through the outbox, a moment after the page that caused them:
    reload /dev/schedules as a person would until `rows` has `count` rows."""
    def reloaded() -> bool:
        if rows.count() == count:
            return True
        page.goto("/dev/schedules")
        return False

    wait_until(f"{count} row(s) on /dev/schedules", reloaded, seconds, every=0.25)


def _fire(page: Any, ticket_id: str, step_label: str) -> None:
    """On /dev/schedules, "Déclencher maintenant" on this ticket's row for `step_label`."""
    page.goto("/dev/schedules")
    row = _schedule_rows(page, ticket_id, step_label)
    _reload_until(page, row, 1)
    row.get_by_role("button", name="Déclencher maintenant").click()
    expect(page).to_have_url(re.compile(r"/dev/schedules\?fired=done$"))
    expect(page.locator("p.notice.ok")).to_have_text("Étape déclenchée.")
    expect(row).to_have_count(0)


def _state(ticket_id: str) -> str:
    from chalicelib.data import store

    return str(store.load_ticket(ticket_id).ticket.state)


def test_a_quote_request_walks_to_closed_through_the_schedules(relais: Relais, desktop: Any, phone: Any) -> None:
    tomorrow, long_tomorrow = _tomorrow()
    today = _today()

    # 1. The manager signs in and asks Karim Benali for a quote.
    manager = desktop.new_page()
    _sign_in(relais, manager)
    # A routine request's quote and invoice alerts wait for the morning digest by default: this manager reads them at once.
    manager.goto("/admin/alerts")
    manager.locator("#kind-quotes input[value=immediate]").check()
    manager.locator("#kind-invoices input[value=immediate]").check()
    manager.get_by_role("button", name="Enregistrer").click()
    manager.goto("/admin/tickets/new")
    manager.get_by_label("Demande de devis").check()
    manager.get_by_label("Intervenant").select_option(value=relais.people.plumber.contractor_id)
    expect(manager.locator("#contractor_id option:checked")).to_contain_text("Karim Benali")
    manager.get_by_label("Titre").fill(TITLE)
    manager.get_by_label("Description").fill(DESCRIPTION)
    manager.get_by_label("Adresse du site").fill(ADDRESS)
    manager.get_by_role("button", name="Créer et envoyer").click()
    expect(manager).to_have_url(TICKET_URL)
    match = TICKET_URL.search(manager.url)
    assert match
    ticket_id = match.group(1)
    ticket_page = f"/admin/tickets/{ticket_id}"
    expect(manager.locator("#ticket-state")).to_have_text("Devis demandé")

    # 2. The contractor opens the SMS link on the phone and sends the quote with its PDF.
    form = phone.new_page()
    photo = _jpeg(form)  # drawn by the browser before any page loads
    form.goto(_sms(relais, ticket_id, "demande de devis."))
    quote = form.locator("form#quote-form")
    expect(quote.locator("h2")).to_have_text("Votre devis")
    quote.get_by_label("Montant HT (€)").fill("1 500,00")
    quote.get_by_label("Montant TTC (€)").fill("1 800,00")
    quote.get_by_label("Devis valable jusqu'au").fill(tomorrow)
    expect(quote.get_by_label("Devis (PDF ou photos)")).to_have_attribute("accept", re.compile(r"^application/pdf,image/jpeg,"))
    _upload(form, "quote-file", QUOTE_NAME, "application/pdf", PDF)
    expect(form.locator("[data-upload-list][data-for=quote-file] li.upload")).to_have_count(1)
    assert _no_horizontal_scroll(form), "the quote form scrolls sideways on a 390 px phone"
    form.screenshot(path=str(SHOTS / "lifecycle-quote.png"), full_page=True)
    quote.get_by_role("button", name="Envoyer le devis").click()
    _confirmed(form)
    assert _state(ticket_id) == "quote_submitted"
    alert = _alert_text(relais, ticket_id, "Devis :")  # amounts and date as the manager reads them, not as stored
    assert re.search(rf"Devis : {_euros('1500').pattern} HT, {_euros('1800').pattern} TTC, valable jusqu&#39;au {long_tomorrow}",
                     alert), alert

    # 3. The manager sees the quote and accepts it.
    manager.goto(ticket_page)
    expect(manager.locator("#ticket-state")).to_have_text("Devis envoyé")
    amounts = manager.locator("#quote")
    expect(amounts).to_contain_text(_euros("1500"))
    expect(amounts).to_contain_text(_euros("1800"))
    expect(amounts).to_contain_text(long_tomorrow)
    expect(amounts.get_by_role("link", name=QUOTE_NAME)).to_be_visible()
    manager.get_by_role("button", name="Accepter le devis").click()
    expect(manager.locator("#ticket-state")).to_have_text("Demande envoyée")

    # 4. The contractor is told and picks the day and time.
    form.goto(_sms(relais, ticket_id, "devis accepté, date ?"))
    expect(form.locator("form.answer .notice.ok")).to_contain_text("Votre devis est accepté")
    form.locator("label[for=decision-accept]").click()
    form.get_by_label("Date d'intervention").fill(tomorrow)
    form.get_by_label("Heure d'intervention").fill("10:00")
    assert _no_horizontal_scroll(form), "the answer form scrolls sideways on a 390 px phone"
    form.get_by_role("button", name="Valider").click()
    _confirmed(form)
    expect(form.locator("section.confirmation .planned")).to_have_text(f"Intervention prévue le {long_tomorrow} à 10:00")
    manager.goto(ticket_page)
    expect(manager.locator("#ticket-state")).to_have_text("Planifiée")
    expect(manager.locator("#timers")).to_contain_text("Demande de confirmation de présence")

    # 5. The presence check is due tomorrow at 10:00: the manager fires it now.
    _fire(manager, ticket_id, "Demande de confirmation de présence")

    # 6. The contractor is asked to confirm being on site: one big button.
    link = _sms(relais, ticket_id, "confirmez votre présence.")
    form.goto(link)
    presence = form.locator("section.presence")
    expect(presence.locator("h2")).to_have_text("Confirmez votre présence sur place")
    on_site = form.get_by_role("button", name="Je suis sur place")
    expect(on_site).to_have_count(1)
    expect(on_site).to_be_visible()
    assert _no_horizontal_scroll(form), "the presence step scrolls sideways on a 390 px phone"
    form.screenshot(path=str(SHOTS / "lifecycle-presence.png"), full_page=True)
    button = on_site.bounding_box()
    content = presence.locator("h2").bounding_box()  # a block: the card's whole content width
    assert button and content
    big_button = button["width"] >= 0.9 * content["width"] and button["height"] >= 56
    on_site.click()
    _confirmed(form)
    assert _state(ticket_id) == "on_site"

    # 7. Same link: the end of the work, with a photo and no invoice.
    form.goto(link)
    completion = form.locator("section#completion")
    expect(completion.locator("h2")).to_have_text("Confirmez la fin de l'intervention")
    completion.get_by_label("Date de fin d'intervention").fill(today)
    _upload(form, "proof-files", "chauffe-eau-neuf.jpg", "image/jpeg", photo)
    expect(completion.locator("li.upload img.upload-thumb")).to_be_visible()
    assert _no_horizontal_scroll(form), "the end-of-work form scrolls sideways on a 390 px phone"
    form.screenshot(path=str(SHOTS / "lifecycle-completion.png"), full_page=True)
    completion.get_by_role("button", name="Confirmer la fin d'intervention").click()
    _confirmed(form)
    assert _state(ticket_id) == "completed"
    form.goto(link)
    expect(form.locator("form#invoice-form h2")).to_have_text("Envoyer votre facture")
    expect(form.locator("#completion")).to_have_count(0)

    # 8. The invoice request (2 days later) is fired now; the contractor sends the invoice.
    _fire(manager, ticket_id, "Demande de facture")
    form.goto(_sms(relais, ticket_id, "envoyez votre facture."))
    invoice = form.locator("form#invoice-form")
    expect(invoice.locator("h2")).to_have_text("Envoyer votre facture")
    expect(invoice.get_by_label("Facture (PDF ou photos)")).to_have_attribute("accept",
                                                                              re.compile(r"^application/pdf,image/jpeg,"))
    _upload(form, "invoice-file", INVOICE_NAME, "application/pdf", PDF)
    invoice.get_by_label("Montant HT (€)").fill("400,00")
    invoice.get_by_label("Montant TTC (€)").fill("480,00")
    invoice.get_by_label("Numéro de facture").fill("F-2026-118")
    assert _no_horizontal_scroll(form), "the invoice form scrolls sideways on a 390 px phone"
    form.screenshot(path=str(SHOTS / "lifecycle-invoice.png"), full_page=True)
    invoice.get_by_role("button", name="Envoyer la facture").click()
    _confirmed(form)
    assert re.search(rf"Facture n°F-2026-118 : {_euros('480').pattern}", _alert_text(relais, ticket_id, "F-2026-118"))
    form.get_by_role("link", name="Afficher à nouveau l'intervention").click()
    expect(form.locator("p.notice.ok", has_text="Intervention terminée. Merci !")).to_be_visible()
    assert _no_horizontal_scroll(form)

    # 9. The manager sees the invoice and closes the ticket.
    manager.goto(ticket_page)
    expect(manager.locator("#ticket-state")).to_have_text("Facturée")
    expect(manager.locator("#invoice")).to_contain_text("F-2026-118")
    expect(manager.locator("#invoice")).to_contain_text(_euros("480"))
    expect(manager.locator("#invoice .amount-vat")).to_contain_text(_euros("80"))  # HT, TVA 20 % and TTC shown
    expect(manager.locator("#invoice").get_by_role("link", name=INVOICE_NAME)).to_be_visible()
    manager.get_by_role("button", name="Clôturer le ticket").click()
    expect(manager.locator("#ticket-state")).to_have_text("Clôturée")
    expect(manager.get_by_role("button", name="Clôturer le ticket")).to_have_count(0)
    shown = [text.strip() for text in manager.locator("#events li.event .what .label").all_text_contents()]
    steps = [text for text in shown if text in MAIN_STEPS]
    assert steps == MAIN_STEPS, shown
    expect(manager.locator("#timers")).to_have_count(0)  # nothing left to fire
    manager.goto("/dev/schedules")
    _reload_until(manager, _schedule_rows(manager, ticket_id), 0)
    manager.goto(ticket_page)
    proof = manager.locator("#events li.event-complete a.thumb img")
    expect(manager.locator("#events li.event-complete a.thumb")).to_contain_text("chauffe-eau-neuf.jpg")
    _loads(proof)
    manager.screenshot(path=str(SHOTS / "lifecycle-admin-ticket.png"), full_page=True)
    assert _state(ticket_id) == "closed"
    assert not relais.pump.errors, relais.pump.errors
    assert big_button, f"'Je suis sur place' is an ordinary button ({button['width']:.0f}×{button['height']:.0f} px)"
