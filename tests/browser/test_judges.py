"""The judges (issue #17): on the contractor's form in each state and on the manager's À traiter, ticket
and new-request pages, axe-core finds 0 violations, Lighthouse (mobile) scores accessibility 1.0, best
practices 1.0 and performance ≥ 0.95, and the Nu HTML Checker finds 0 errors.

One walk in a real browser leaves a request refused, one cancelled and a quote request all the way
to closed, capturing each page on the way (tests/browser/judges.py); the judges then run once on all
of them and each (page, judge) pair is its own test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, ROOT, Relais
from tests.browser.judges import Judges, Verdict
from tests.browser.test_conversation import PDF, _jpeg
from tests.browser.test_lifecycle import _confirmed, _fire, _today, _upload
from tests.browser.test_round_trip import TICKET_URL, _create_request, _sign_in, _sms_link_for, _tomorrow

FORM_PAGES = ["form-request", "form-confirmation", "form-refused", "form-cancelled", "form-quote-request",
              "form-quote-sent", "form-quote-accepted", "form-scheduled", "form-presence", "form-on-site",
              "form-invoice-expected", "form-closed"]
ADMIN_PAGES = ["admin-new-request", "admin-ticket", "admin-ticket-closed", "admin-attention"]
PAGES = FORM_PAGES + ADMIN_PAGES
PERFORMANCE = 0.95

def _phone_page(relais: Relais, browser: Any, link: str) -> Any:
    page = browser.new_context(base_url=relais.base_url, **PHONE).new_page()
    page.goto(link)
    return page


def _walk(relais: Relais, browser: Any, judges: Judges) -> None:
    """Every state the pages are judged in, reached as people reach them."""
    tomorrow, _ = _tomorrow()
    manager = browser.new_context(base_url=relais.base_url, **DESKTOP).new_page()
    _sign_in(relais, manager)
    manager.goto("/admin/tickets/new")
    judges.capture(manager, "admin-new-request")

    # A request the contractor refuses.
    refused = _create_request(manager, relais)
    form = _phone_page(relais, browser, _sms_link_for(relais, refused))
    judges.capture(form, "form-request")
    form.locator("label[for=decision-refuse]").click()
    form.get_by_label("Pourquoi refusez-vous cette demande ?").fill("Pas disponible cette semaine.")
    form.get_by_role("button", name="Valider").click()
    _confirmed(form)
    judges.capture(form, "form-confirmation")
    form.goto(_sms_link_for(relais, refused))
    judges.capture(form, "form-refused")

    # A request the manager cancels.
    cancelled = _create_request(manager, relais)
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.get_by_role("button", name="Annuler le ticket").click()
    expect(manager.locator("#ticket-state")).to_have_text("Annulée")
    form.goto(_sms_link_for(relais, cancelled))
    judges.capture(form, "form-cancelled")

    # A quote request, all the way to closed.
    manager.goto("/admin/tickets/new")
    manager.get_by_label("Demande de devis").check()
    manager.get_by_label("Intervenant").select_option(value=relais.people.plumber.contractor_id)
    manager.get_by_label("Titre").fill("Remplacement du chauffe-eau")
    manager.get_by_label("Description").fill("Le chauffe-eau de 300 L fuit par le groupe de sécurité.")
    manager.get_by_label("Adresse du site").fill("14 rue des Lilas, 69003 Lyon")
    manager.get_by_label("Informations d'accès").fill("Digicode 4521B, local technique au sous-sol.")
    manager.get_by_role("button", name="Créer et envoyer").click()
    expect(manager).to_have_url(TICKET_URL)
    match = TICKET_URL.search(manager.url)
    assert match
    ticket_id, ticket_page = match.group(1), manager.url
    photo = _jpeg(form)
    link = _sms_link_for(relais, ticket_id)
    form.goto(link)
    judges.capture(form, "form-quote-request")
    quote = form.locator("form#quote-form")
    quote.get_by_label("Montant HT (€)").fill("1 500,00")
    quote.get_by_label("Montant TTC (€)").fill("1 800,00")
    quote.get_by_label("Devis valable jusqu'au").fill(tomorrow)
    _upload(form, "quote-file", "devis.pdf", "application/pdf", PDF)
    quote.get_by_role("button", name="Envoyer le devis").click()
    _confirmed(form)
    form.goto(link)
    judges.capture(form, "form-quote-sent")

    manager.goto(ticket_page)
    expect(manager.get_by_role("button", name="Accepter le devis")).to_be_visible()
    judges.capture(manager, "admin-ticket")
    manager.get_by_role("button", name="Accepter le devis").click()
    expect(manager.locator("#ticket-state")).to_have_text("Demande envoyée")
    form.goto(link)
    judges.capture(form, "form-quote-accepted")
    form.locator("label[for=decision-accept]").click()
    form.get_by_label("Date d'intervention").fill(tomorrow)
    form.get_by_label("Heure d'intervention").fill("10:00")
    form.get_by_role("button", name="Valider").click()
    _confirmed(form)
    form.goto(link)
    judges.capture(form, "form-scheduled")

    _fire(manager, ticket_id, "Demande de confirmation de présence")
    form.goto(link)
    expect(form.get_by_role("button", name="Je suis sur place")).to_be_visible()
    judges.capture(form, "form-presence")
    form.get_by_role("button", name="Je suis sur place").click()
    _confirmed(form)
    form.goto(link)
    judges.capture(form, "form-on-site")

    completion = form.locator("section#completion")
    completion.get_by_label("Date de fin d'intervention").fill(_today())
    _upload(form, "proof-files", "chauffe-eau-neuf.jpg", "image/jpeg", photo)
    completion.get_by_role("button", name="Confirmer la fin d'intervention").click()
    _confirmed(form)
    form.goto(link)
    judges.capture(form, "form-invoice-expected")
    invoice = form.locator("form#invoice-form")
    _upload(form, "invoice-file", "facture.pdf", "application/pdf", PDF)
    invoice.get_by_label("Montant HT (€)").fill("1 500,00")
    invoice.get_by_label("Montant TTC (€)").fill("1 800,00")
    invoice.get_by_label("Numéro de facture").fill("F-2026-118")
    invoice.get_by_role("button", name="Envoyer la facture").click()
    _confirmed(form)

    manager.goto(ticket_page)
    manager.get_by_role("button", name="Clôturer le ticket").click()
    expect(manager.locator("#ticket-state")).to_have_text("Clôturée")
    judges.capture(manager, "admin-ticket-closed")
    form.goto(link)
    judges.capture(form, "form-closed")
    manager.goto("/admin")
    judges.capture(manager, "admin-attention")


@pytest.fixture(scope="module")
def verdicts(relais: Relais, browser: Any) -> Iterator[dict[str, Verdict]]:
    judges = Judges(ROOT / "test-results" / "judges")
    try:
        _walk(relais, browser, judges)
    finally:
        judges.close()
    assert set(judges.verdicts) == set(PAGES)
    yield judges.judge()


@pytest.mark.parametrize("name", PAGES)
def test_axe_core_finds_no_violation(verdicts: dict[str, Verdict], name: str) -> None:
    assert verdicts[name].axe == [], verdicts[name].url


@pytest.mark.parametrize("name", PAGES)
def test_the_nu_html_checker_finds_no_error(verdicts: dict[str, Verdict], name: str) -> None:
    assert verdicts[name].html_errors == [], verdicts[name].url


@pytest.mark.parametrize("name", PAGES)
def test_lighthouse_accessibility_and_best_practices_score_1(verdicts: dict[str, Verdict], name: str) -> None:
    for category in ("accessibility", "best-practices"):
        result = verdicts[name].lighthouse[category]
        assert result["failing"] == [] and result["score"] == 1, f"{category} {result['score']} on {verdicts[name].url}"


@pytest.mark.parametrize("name", PAGES)
def test_lighthouse_performance_is_at_least_095(verdicts: dict[str, Verdict], name: str) -> None:
    result = verdicts[name].lighthouse["performance"]
    assert result["score"] >= PERFORMANCE, (verdicts[name].performance_runs, result["failing"], verdicts[name].url)
