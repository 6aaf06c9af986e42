"""The manager finds a ticket with the search box by a word of its address and by part of its reference,
sorts and counts the list, and keeps the view in the address bar."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Relais
from tests.browser.test_round_trip import _create_request, _sign_in


def test_a_ticket_is_found_by_a_word_of_its_address_and_by_part_of_its_reference(relais: Relais, desktop: Any) -> None:
    from chalicelib.data import store

    page = desktop.new_page()
    _sign_in(relais, page)
    ticket_id = _create_request(page, relais)  # "14 rue des Lilas, 69003 Lyon"
    reference = store.load_ticket(ticket_id).ticket.reference
    year, serial = reference.split("-")

    page.goto("/admin/tickets")
    expect(page.locator("#ticket-total")).to_have_text(re.compile(r"^\d+$"))
    for typed in ("lilas", "LIL", f"{year[2:]}-{serial}", serial):
        page.get_by_label("Rechercher").fill(typed)
        page.get_by_label("Rechercher").press("Enter")
        row = page.locator("#ticket-list tbody tr", has_text=reference)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("14 rue des Lilas, 69003 Lyon")
        expect(row).to_contain_text("Urgente")
        assert re.search(r"[?&]q=", page.url), page.url  # the search is in the address: it can be bookmarked
    page.get_by_label("Rechercher").fill("!!!")
    page.get_by_label("Rechercher").press("Enter")
    expect(page.locator("#search-error")).to_contain_text("Tapez au moins deux lettres ou chiffres")

    page.get_by_label("Rechercher").fill("")
    page.get_by_label("Rechercher").press("Enter")
    page.get_by_role("link", name="Urgence").click()
    assert "sort=urgency" in page.url
    expect(page.get_by_role("link", name="Urgence")).to_have_attribute("aria-current", "true")
    page.reload()  # the view survives a reload: filters and sort live in the URL
    expect(page.get_by_role("link", name="Urgence")).to_have_attribute("aria-current", "true")
    expect(page.locator("#ticket-list tbody tr", has_text=reference)).to_have_count(1)
