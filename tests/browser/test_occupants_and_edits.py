"""Issue 16, sections 3 and 4 in a real browser: the occupant receives the date SMS, opens their read-only
page on a phone, says absent, and the manager sees it; the manager corrects the access notes of a sent
request and the contractor sees the change highlighted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, Relais
from tests.browser.test_round_trip import TICKET_URL, _create_request, _no_horizontal_scroll, _sign_in, _sms_link_for

OCCUPANT_PHONE = "+33698765432"


def _in_days(days: int) -> tuple[str, str]:
    from chalicelib.domain import clock
    from chalicelib.i18n.formatting import day_and_hour

    day = (clock.paris(clock.now()) + timedelta(days=days)).date().isoformat()
    return day, day_and_hour(day, "08:30")


def test_the_occupant_gets_the_date_says_absent_and_the_manager_sees_it(relais: Relais, desktop: Any, phone: Any) -> None:
    manager = desktop.new_page()
    _sign_in(relais, manager)
    manager.goto("/admin/tickets/new")
    manager.get_by_label("Intervenant").select_option(value=relais.people.plumber.contractor_id)
    manager.get_by_label("Titre").fill("Fuite sous l'évier")
    manager.get_by_label("Description").fill("Fuite au lot 12.")
    manager.get_by_label("Adresse du site").fill("14 rue des Lilas, 69003 Lyon")
    manager.locator("#occupant_name").fill("Léa Roux")
    manager.locator("#occupant_phone").fill("06 98 76 54 32")
    manager.get_by_role("button", name="Créer et envoyer").click()
    expect(manager).to_have_url(TICKET_URL)
    match = TICKET_URL.search(manager.url)
    assert match
    ticket_id = match.group(1)
    expect(manager.locator("#occupant")).to_contain_text("Léa Roux")

    contractor = phone.new_page()
    contractor.goto(_sms_link_for(relais, ticket_id))
    expect(contractor.locator("#occupant")).to_have_count(0)  # not before accepting
    day, when = _in_days(3)
    contractor.locator("label[for=decision-accept]").click()
    contractor.get_by_label("Date d'intervention").fill(day)
    contractor.get_by_label("Heure d'intervention").fill("08:30")
    contractor.get_by_role("button", name="Valider").click()
    contractor.get_by_role("link", name="Afficher à nouveau l'intervention").click()
    expect(contractor.locator("#occupant")).to_contain_text(OCCUPANT_PHONE)  # accepted: now they may call

    sms = relais.wait_for_message(lambda m: m["channel"] == "sms" and m["to"] == OCCUPANT_PHONE
                                  and any(f"/o/{ticket_id}/" in link for link in m["links"]))
    assert sms["body"].startswith(f"Intervention le {when}, entreprise Plomberie Benali.")
    assert not [link for link in sms["links"] if "/t/" in link]
    occupant = phone.new_page()
    occupant.goto(next(link for link in sms["links"] if f"/o/{ticket_id}/" in link))
    expect(occupant.locator(".planned")).to_have_text(when)
    expect(occupant.locator("#company")).to_have_text("Plomberie Benali")
    expect(occupant.get_by_role("button", name="Accepter")).to_have_count(0)
    assert _no_horizontal_scroll(occupant), "the occupant's page scrolls sideways on a 390 px phone"
    occupant.get_by_label("Un mot pour le gestionnaire").fill("Absente ce jour-là, disponible jeudi matin")
    occupant.get_by_role("button", name="Je serai absent").click()
    expect(occupant.locator("#absence-said")).to_contain_text("Le gestionnaire est prévenu")
    occupant.screenshot(path=str(SHOTS / "occupant-page.png"), full_page=True)

    relais.wait_for_message(lambda m: m["channel"] == "email" and "occupant a signalé" in m["body"]
                            and any(f"/admin/tickets/{ticket_id}" in link for link in m["links"]))
    manager.goto(f"/admin/tickets/{ticket_id}")
    absence = manager.locator(".event-occupant_absent")
    expect(absence).to_contain_text("L'occupant sera absent")
    expect(absence).to_contain_text("Absente ce jour-là, disponible jeudi matin")
    expect(absence).to_contain_text("Léa Roux")


def test_the_manager_edits_the_access_notes_and_the_contractor_sees_the_change(relais: Relais, desktop: Any,
                                                                               phone: Any) -> None:
    manager = desktop.new_page()
    _sign_in(relais, manager)
    ticket_id = _create_request(manager, relais)
    first_link = _sms_link_for(relais, ticket_id)

    manager.locator("#edit summary").click()
    manager.get_by_label("Accès (codes, clés, étage)").fill("Nouveau digicode 7788B, clé chez la gardienne.")
    manager.get_by_role("button", name="Enregistrer et prévenir l'intervenant").click()
    expect(manager.locator(".event-edit")).to_contain_text("Demande modifiée")
    expect(manager.locator("#access-notes")).to_contain_text("Nouveau digicode 7788B")

    sms = relais.wait_for_message(lambda m: m["channel"] == "sms" and "modification, nouvel accès." in m["body"]
                                  and any(f"/t/{ticket_id}/" in link for link in m["links"]))
    link = next(link for link in sms["links"] if f"/t/{ticket_id}/" in link)
    assert link == first_link  # the same form, now showing the change
    contractor = phone.new_page()
    contractor.goto(link)
    expect(contractor.locator("#edited")).to_have_text("Modification de la demande : nouvel accès.")
    access = contractor.locator("#access")
    expect(access).to_have_class("multiline changed")
    expect(access).to_contain_text("Nouveau digicode 7788B, clé chez la gardienne.")
    expect(access.locator(".before")).to_contain_text("Digicode 4521B")
    background = access.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(254, 249, 195)", background  # highlighted, not only marked
    contractor.screenshot(path=str(SHOTS / "contractor-edited-request.png"), full_page=True)
