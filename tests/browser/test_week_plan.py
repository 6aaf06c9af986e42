"""The manager's week: the request the contractor accepts on a phone shows on the week's plan (and
on a phone, as one day); the list exports as a CSV that Python's csv module reads with its accents
and amounts intact."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, Relais
from tests.browser.test_round_trip import _no_horizontal_scroll, _sign_in, _sms_link_for, _tomorrow

TITLE = "Fuite sous l'évier, salle d'eau du 2ᵉ"


def _quoted(relais: Relais, title: str) -> Any:
    """A quote request the contractor answered: 1 500,00 € HT, TVA 10 %, 1 650,00 € TTC."""
    from chalicelib.data import store
    from chalicelib.domain import clock, forms, ids, tokens
    from chalicelib.usecases import quotes, tickets

    request = forms.NewRequest("", "quote", title, "Chauffe-eau 300 L", "8 allée des Tilleuls, Villeurbanne", "",
                               "normal", ("sms",))
    ticket = tickets.create_request(relais.people.manager, relais.people.plumber, request, clock.now())
    today = clock.paris(clock.now()).date()
    checked = forms.validate_quote({"amount_excl": "1 500,00", "vat_rate": "10", "amount_incl": "1 650,00",
                                    "valid_until": today.isoformat()}, ["tickets/d.pdf"], ["devis.pdf"], today)
    assert checked.value is not None, checked.errors
    quotes.submit_quote(store.load_ticket(ticket.ticket_id), checked.value,
                        [{"file_id": ids.new_id(), "key": "tickets/d.pdf", "name": "devis.pdf"}], tokens.new_random_secret(),
                        clock.now())
    return ticket


def test_the_accepted_request_is_on_the_weeks_plan_and_the_list_exports_for_excel(
        relais: Relais, desktop: Any, phone: Any, browser: Any) -> None:
    from chalicelib.domain import forms
    from chalicelib.usecases import tickets

    request = forms.NewRequest("", "intervention", TITLE, "Fuite continue.", "14 rue des Lilas, 69003 Lyon", "",
                               "urgent", ("sms",))
    from chalicelib.domain import clock

    ticket = tickets.create_request(relais.people.manager, relais.people.plumber, request, clock.now())
    day, long_day = _tomorrow()

    # The contractor accepts on the phone, for tomorrow at 07:45.
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    form.locator("label[for=decision-accept]").click()
    form.get_by_label("Date d'intervention").fill(day)
    form.get_by_label("Heure d'intervention").fill("07:45")
    form.get_by_role("button", name="Valider").click()
    expect(form.locator("main")).to_contain_text("envoyée")

    # The manager's week: tomorrow's column holds it, with where, who, when and how it stands.
    manager = desktop.new_page()
    _sign_in(relais, manager)
    manager.get_by_role("link", name="Planning").click()
    expect(manager.locator("#period")).to_contain_text("Semaine du")
    if not manager.locator(f"#day-{day}").count():  # tomorrow is in next week (today is a Sunday)
        manager.get_by_role("link", name="Semaine suivante →").click()
    card = manager.locator(f"#day-{day} article.intervention")
    expect(card).to_have_count(1)
    expect(card.locator(".when")).to_have_text("07:45")
    expect(card.locator(".what")).to_contain_text(f"{ticket.reference} {TITLE}")
    expect(card.locator(".where")).to_have_text("14 rue des Lilas, 69003 Lyon")
    expect(card.locator(".who")).to_have_text("Karim Benali · Plomberie Benali")
    expect(card.locator(".status")).to_have_text("Prévue")
    manager.screenshot(path=str(SHOTS / "week-plan.png"), full_page=True)
    manager.get_by_role("link", name="Semaine suivante →").click()
    expect(manager.locator(f"#plan-{ticket.ticket_id}")).to_have_count(0)
    manager.get_by_role("link", name="← Semaine précédente").click()
    expect(manager.locator(f"#plan-{ticket.ticket_id}")).to_have_count(1)

    # On a phone, the manager reads one day, without scrolling sideways.
    pocket = phone.new_page()
    pocket.context.add_cookies(desktop.cookies())
    pocket.goto(f"/admin/planning?day={day}")
    expect(pocket.locator("#period")).to_have_text(long_day)
    expect(pocket.locator("section.day")).to_have_count(1)
    expect(pocket.locator(f"#plan-{ticket.ticket_id} .when")).to_have_text("07:45")
    assert _no_horizontal_scroll(pocket), "the day's plan scrolls sideways on a 390 px phone"
    pocket.screenshot(path=str(SHOTS / "week-plan-phone.png"), full_page=True)

    # The list, exported: Python's csv module reads it as French Excel would, accents and amounts intact.
    quoted = _quoted(relais, "Remplacement du chauffe-eau, ballon défectueux")
    manager.goto("/admin/tickets?owner=all")
    with manager.expect_download() as downloading:
        manager.get_by_role("button", name="Exporter la liste (CSV)").click()
    download = downloading.value
    assert download.suggested_filename.startswith("relais-tickets-") and download.suggested_filename.endswith(".csv")
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = {row["Référence"]: row for row in csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""),
                                                             delimiter=";")}
    assert rows[ticket.reference]["Titre"] == TITLE
    assert rows[ticket.reference]["Date prévue"] == "/".join(reversed(day.split("-")))
    assert rows[ticket.reference]["Heure prévue"] == "07:45"
    water = rows[quoted.reference]
    assert water["Titre"] == "Remplacement du chauffe-eau, ballon défectueux"
    assert [Decimal(water[c].replace(",", ".")) for c in ("Devis HT", "Devis TVA", "Devis TTC")] == [
        Decimal("1500.00"), Decimal("150.00"), Decimal("1650.00")]
