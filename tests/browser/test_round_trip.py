"""The first round trip, in a real browser, as people do it: the manager signs in with the
emailed link and sends a request; the contractor opens the SMS link on a phone and accepts
(or refuses); the manager sees the answer on the ticket page and gets the alert email."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, Relais

MANAGER_EMAIL = "claire.martin@gestion-demo.fr"
CONTRACTOR_PHONE = "+33612345678"
TICKET_URL = re.compile(r"/admin/tickets/([0-9A-Z]{26})$")

TITLE = "Fuite sous l'évier de la cuisine"
DESCRIPTION = "Le locataire du lot 12 signale une fuite continue sous l'évier.\nLe robinet d'arrêt est fermé."
ADDRESS = "14 rue des Lilas, 69003 Lyon"
ACCESS = "Digicode 4521B, 3e étage gauche. Clé chez la gardienne."


def _tomorrow() -> tuple[str, str]:
    """Tomorrow in Paris, as the date input takes it and as the pages write it."""
    from chalicelib.domain import clock
    from chalicelib.i18n.formatting import long_date

    day = (clock.paris(clock.now()) + timedelta(days=1)).date().isoformat()
    return day, long_date(day)


def _no_horizontal_scroll(page: Any) -> bool:
    # Against the phone's width, not window.innerWidth: a mobile browser widens its layout
    # viewport to whatever overflows, so innerWidth grows with the very problem measured.
    return bool(page.evaluate("w => document.documentElement.scrollWidth <= w", page.viewport_size["width"]))


def _sms_link_for(relais: Relais, ticket_id: str) -> str:
    sms = relais.wait_for_message(lambda m: m["channel"] == "sms" and m["to"] == CONTRACTOR_PHONE
                                  and any(f"/t/{ticket_id}/" in link for link in m["links"]))
    return next(link for link in sms["links"] if f"/t/{ticket_id}/" in link)


def _sign_in(relais: Relais, page: Any) -> None:
    """Ask for a login link, read it in the mailbox (the dev outbox), open it, click the button."""
    before = {link for m in relais.outbox() for link in m["links"]}
    page.goto("/admin/login")
    page.get_by_label("Adresse e-mail").fill(MANAGER_EMAIL)
    page.get_by_role("button", name="Recevoir le lien de connexion").click()
    page.wait_for_load_state()
    mail = relais.wait_for_message(lambda m: m["channel"] == "email" and m["to"] == MANAGER_EMAIL
                                   and any("/admin/login/" in link and link not in before for link in m["links"]))
    login_link = next(link for link in mail["links"] if "/admin/login/" in link)
    assert login_link.startswith(f"{relais.base_url}/admin/login/")
    page.goto(login_link)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{relais.base_url}/admin")  # lands on À traiter
    expect(page.get_by_role("heading", name=re.compile("À traiter"))).to_be_visible()


def _create_request(page: Any, relais: Relais) -> str:
    page.goto("/admin/tickets/new")
    contractor = relais.people.plumber
    page.get_by_label("Intervenant").select_option(value=contractor.contractor_id)
    expect(page.locator("#contractor_id option:checked")).to_contain_text("Karim Benali")
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_label("Adresse du site").fill(ADDRESS)
    page.get_by_label("Informations d'accès").fill(ACCESS)
    page.get_by_label("Urgence").select_option(label="Urgente")
    page.get_by_role("button", name="Créer et envoyer").click()
    expect(page).to_have_url(TICKET_URL)
    match = TICKET_URL.search(page.url)
    assert match
    expect(page.locator("h1")).to_have_text(TITLE)
    return match.group(1)


def test_manager_sends_a_request_and_the_contractor_accepts_on_a_phone(relais: Relais, desktop: Any, phone: Any) -> None:
    from chalicelib.data import store

    manager = desktop.new_page()
    _sign_in(relais, manager)
    ticket_id = _create_request(manager, relais)
    reference = store.load_ticket(ticket_id).ticket.reference
    expect(manager.locator(".ref")).to_contain_text(reference)

    # The contractor reads the SMS and opens its link on the phone.
    link = _sms_link_for(relais, ticket_id)
    assert link.startswith(f"{relais.base_url}/t/{ticket_id}/")
    form = phone.new_page()
    form.goto(link)
    request = form.locator("section.request")
    expect(request.locator(".ref")).to_contain_text(reference)
    expect(request.locator("h1")).to_have_text(TITLE)
    expect(request).to_contain_text("Le locataire du lot 12 signale une fuite continue sous l'évier.")
    expect(request).to_contain_text("Le robinet d'arrêt est fermé.")
    expect(request).to_contain_text(ADDRESS)
    expect(request).to_contain_text(ACCESS)
    expect(request.locator(".urgency-urgent")).to_have_text("Urgente")
    expect(request).to_contain_text("Claire Martin")
    accept = form.locator("label[for=decision-accept]")
    refuse = form.locator("label[for=decision-refuse]")
    expect(accept).to_have_text("Accepter")
    expect(refuse).to_have_text("Refuser")
    expect(accept).to_be_visible()
    expect(refuse).to_be_visible()
    assert _no_horizontal_scroll(form), "the contractor form scrolls sideways on a 390 px phone"
    form.screenshot(path=str(SHOTS / "contractor-form.png"), full_page=True)

    # Accepting without a date: the French error next to the field, and nothing changes.
    accept.click()
    expect(form.get_by_label("Date d'intervention")).to_be_visible()
    form.get_by_label("Heure d'intervention").fill("09:30")
    form.get_by_label("Commentaire").fill("Je passe avec le joint de rechange.")
    form.get_by_role("button", name="Valider").click()
    date_error = form.locator("#planned_date-error")
    expect(date_error).to_have_text("Indiquez la date d'intervention.")
    expect(form.get_by_label("Date d'intervention")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Heure d'intervention")).to_have_value("09:30")  # what was typed is kept
    expect(form.get_by_label("Commentaire")).to_have_value("Je passe avec le joint de rechange.")
    # The error sits right under the date field, inside the accept fieldset.
    field_box = form.get_by_label("Date d'intervention").bounding_box()
    error_box = date_error.bounding_box()
    assert field_box and error_box and 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    assert _no_horizontal_scroll(form)
    form.screenshot(path=str(SHOTS / "contractor-form-error.png"), full_page=True)
    unchanged = store.load_ticket(ticket_id)
    assert unchanged.ticket.state == "sent"
    assert [e.event_type for e in unchanged.events] == ["created"]

    # Now with tomorrow's date.
    day, long_day = _tomorrow()
    form.get_by_label("Date d'intervention").fill(day)
    form.get_by_role("button", name="Valider").click()
    confirmation = form.locator("section.confirmation")
    expect(confirmation.locator("h1")).to_have_text("Votre réponse a bien été envoyée")
    expect(confirmation.locator(".planned")).to_have_text(f"Intervention prévue le {long_day} à 09:30")
    assert _no_horizontal_scroll(form)
    form.screenshot(path=str(SHOTS / "contractor-confirmation.png"), full_page=True)
    form.get_by_role("link", name="Afficher à nouveau l'intervention").click()
    expect(form).to_have_url(link)
    expect(form.locator("section.request dd.planned")).to_have_text(f"{long_day} à 09:30")
    expect(form.locator("section.request .state")).to_have_text(f"Intervention prévue le {long_day}")  # the contractor's words
    expect(form.locator("form.answer")).to_have_count(0)

    # The manager reloads the ticket page and gets the alert email.
    manager.reload()
    expect(manager.locator("#ticket-state")).to_have_text("Planifiée")
    expect(manager.locator("#planned")).to_have_text(f"{long_day} à 09:30")
    events = manager.locator("#events")
    expect(events).to_contain_text("Demande acceptée")
    expect(events).to_contain_text("Je passe avec le joint de rechange.")
    alert = relais.wait_for_message(lambda m: m["channel"] == "email" and m["to"] == MANAGER_EMAIL
                                    and reference in m["subject"] and "accept" in m["subject"])
    assert "Karim Benali" in alert["subject"] and "09:30" in alert["subject"]
    manager.screenshot(path=str(SHOTS / "admin-ticket.png"), full_page=True)
    assert not relais.pump.errors


def test_a_refusal_needs_a_reason(relais: Relais, phone: Any) -> None:
    from chalicelib.data import store
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    link = _sms_link_for(relais, ticket.ticket_id)
    form = phone.new_page()
    form.goto(link)
    form.locator("label[for=decision-refuse]").click()
    reason = form.get_by_label("Pourquoi refusez-vous cette demande ?")
    expect(reason).to_be_visible()
    expect(form.get_by_label("Date d'intervention")).to_be_hidden()
    form.get_by_role("button", name="Valider").click()
    expect(form.locator("#reason-error")).to_have_text("Indiquez le motif du refus.")
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert store.load_ticket(ticket.ticket_id).ticket.state == "sent"
    assert _no_horizontal_scroll(form)
    form.screenshot(path=str(SHOTS / "contractor-refusal-error.png"), full_page=True)

    reason.fill("Pas disponible cette semaine, désolé.")
    form.get_by_role("button", name="Valider").click()
    confirmation = form.locator("section.confirmation")
    expect(confirmation.locator("h1")).to_have_text("Votre réponse a bien été envoyée")
    expect(confirmation).to_contain_text("Vous avez refusé cette demande.")
    assert store.load_ticket(ticket.ticket_id).ticket.state == "refused"


def test_accept_and_refuse_sit_side_by_side_on_a_phone(relais: Relais, phone: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    accept = form.locator("label[for=decision-accept]").bounding_box()
    refuse = form.locator("label[for=decision-refuse]").bounding_box()
    assert accept and refuse
    assert abs(accept["y"] - refuse["y"]) < 1, "Refuser wrapped under Accepter"
    assert accept["x"] + accept["width"] <= refuse["x"]


def test_a_long_title_without_spaces_stays_on_a_phones_width(relais: Relais, phone: Any) -> None:
    from chalicelib.domain import clock
    from chalicelib.domain.forms import NewRequest
    from chalicelib.usecases import tickets

    title = "Remplacement_du_groupe_de_securite_chauffe_eau_appartement_du_cinquieme_etage"
    request = NewRequest("", "intervention", title, "Fuite_au_groupe_de_securite_" * 6, "14_rue_des_Lilas_" * 5, "",
                         "urgent", ("sms",))
    ticket = tickets.create_request(relais.people.manager, relais.people.plumber, request, clock.now())
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    expect(form.locator("h1")).to_contain_text(title[:20])
    assert _no_horizontal_scroll(form), "a long title pushes the form sideways on a 390 px phone"


def test_cancelling_a_ticket_asks_first(relais: Relais, desktop: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    manager = desktop.new_page()
    _sign_in(relais, manager)
    manager.goto(f"/admin/tickets/{ticket.ticket_id}")
    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    manager.once("dialog", lambda dialog: answer(dialog, accept=False))
    manager.get_by_role("button", name="Annuler le ticket").click()
    assert asked == ["Annuler ce ticket ? L'intervenant en sera prévenu. Il ne pourra plus répondre à la demande, mais "
                     "pourra encore vous écrire (messages et fichiers) pendant 30 jours."]
    expect(manager.locator("#ticket-state")).to_have_text("Demande envoyée")  # changed its mind: nothing sent

    manager.once("dialog", lambda dialog: answer(dialog, accept=True))
    manager.get_by_role("button", name="Annuler le ticket").click()
    expect(manager.locator("#ticket-state")).to_have_text("Annulée")
