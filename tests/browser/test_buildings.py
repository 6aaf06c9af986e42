"""A manager imports the agency's buildings from a syndic's CSV export, then creates a request by
typing part of a building's street: address and access notes come pre-filled and stay editable."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Relais
from tests.browser.test_round_trip import TICKET_URL, _sign_in
from tests.integration.test_buildings import SYNDIC_EXPORT


def test_import_buildings_then_pick_one_by_typing_its_street(relais: Relais, desktop: Any) -> None:
    from chalicelib.data import buildings, store

    page = desktop.new_page()
    _sign_in(relais, page)
    page.get_by_role("link", name="Immeubles").click()
    page.get_by_role("link", name="Importer un fichier CSV").click()
    page.set_input_files("#file", files=[{"name": "export-syndic.csv", "mimeType": "text/csv",
                                          "buffer": SYNDIC_EXPORT.encode("cp1252")}])
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator("#import-counts")).to_contain_text("Immeubles nouveaux : 2")
    expect(page.locator("#import-buildings")).to_contain_text("14 allée des Lilas, 69003 Lyon")
    assert list(buildings.every_building()) == []  # a preview writes nothing
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.locator("#import-done")).to_contain_text("2 immeuble(s) et 2 lot(s) ajoutés")  # the page's script ran it

    page.goto("/admin/tickets/new")
    searches: list[str] = []
    page.on("request", lambda request: searches.append(request.url) if "/admin/buildings/search" in request.url else None)
    page.get_by_label("Intervenant").select_option(value=relais.people.plumber.contractor_id)
    page.locator("#building_search").press_sequentially("allée des lil", delay=40)
    suggestion = page.get_by_role("button", name=re.compile("Résidence Les Lilas"))
    expect(suggestion).to_be_visible()
    assert 1 <= len(searches) < len("allée des lil")  # debounced: not one request per keystroke
    suggestion.click()
    expect(page.get_by_label("Adresse du site")).to_have_value("14 allée des Lilas, 69003 Lyon")
    expect(page.get_by_label("Informations d'accès")).to_have_value("4521B")
    page.locator("#lot_number").fill("12")
    page.get_by_label("Informations d'accès").fill("4521B, puis escalier B")  # edited for this request only
    page.get_by_label("Titre").fill("Fuite sous l'évier")
    page.get_by_label("Description").fill("Le locataire du lot 12 signale une fuite.")
    page.get_by_role("button", name="Créer et envoyer").click()
    expect(page).to_have_url(TICKET_URL)
    match = TICKET_URL.search(page.url)
    assert match
    ticket = store.load_ticket(match.group(1)).ticket
    assert (ticket.building_name, ticket.lot_number, ticket.access_notes) == ("Résidence Les Lilas", "12",
                                                                              "4521B, puis escalier B")

    page.goto(f"/admin/buildings/{ticket.building_id}")
    history = page.locator("#building-tickets")
    expect(history).to_contain_text(ticket.reference)
    expect(history).to_contain_text("Karim Benali")
    expect(page.locator("#lots")).to_contain_text("Mme Martin")
    assert buildings.get_building(str(ticket.building_id)) is not None
