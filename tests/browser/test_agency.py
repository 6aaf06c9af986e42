"""The contractor's form on a phone names the agency and the manager, with a number to tap to call."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Relais
from tests.browser.test_round_trip import _no_horizontal_scroll, _sms_link_for


def test_the_form_shows_the_agency_and_a_tap_to_call_link(relais: Relais, phone: Any) -> None:
    from chalicelib.config import settings
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    contacts = form.locator("#contacts")
    expect(contacts).to_contain_text(f"Votre interlocuteur : Claire Martin, {settings().agency.name}")
    call = contacts.get_by_role("link", name=re.compile(r"^Appeler le "))
    expect(call).to_be_visible()
    expect(call).to_have_attribute("href", re.compile(r"^tel:\+[1-9][0-9]{7,14}$"))  # E.164: what a phone dials
    assert call.evaluate("a => a.protocol") == "tel:"
    box = call.bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb's target
    # Beside "Contacter le gestionnaire": the call link comes right before the message box.
    box_opener = form.locator("summary", has_text="Contacter le gestionnaire")
    expect(box_opener).to_be_visible()
    assert call.evaluate("(a, s) => !!(a.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING)",
                         box_opener.element_handle())
    assert _no_horizontal_scroll(form)


def test_the_form_offers_the_managers_own_phone_when_they_gave_one(relais: Relais, phone: Any) -> None:
    from dataclasses import replace

    from chalicelib.data import directory
    from tests.integration.conftest import new_ticket

    claire = relais.people.manager
    directory.set_manager_phone(claire.manager_id, claire.manager_id, "+33698765432")
    ticket = new_ticket(replace(relais.people, manager=directory.get_manager(claire.manager_id)))
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    contacts = form.locator("#contacts")
    expect(contacts).to_contain_text("Votre interlocuteur : Claire Martin")
    call = contacts.get_by_role("link", name="Appeler le +33698765432")
    expect(call).to_have_attribute("href", "tel:+33698765432")
    assert call.evaluate("a => a.protocol + a.pathname") == "tel:+33698765432"  # what the phone dials
