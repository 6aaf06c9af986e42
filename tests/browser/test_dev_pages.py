"""/dev/schedules as a developer uses it to walk a lifecycle (issue #17, point 14): each timer names its
ticket by reference and title, and "Déclencher maintenant" keeps its words whole, on a phone too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, SHOTS, Relais

# Every word of the element's text on a single line: a word cut in two spans two line boxes.
BROKEN_WORDS = """element => {
  const broken = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def _planned_ticket(relais: Relais) -> Any:
    """A request the plumber accepted for tomorrow: its presence check is pending."""
    from chalicelib.data import store
    from chalicelib.domain import clock
    from chalicelib.domain.forms import Acceptance, NewRequest
    from chalicelib.usecases import tickets

    request = NewRequest("", "intervention", "Remplacement du ballon d'eau chaude", "Fuite au groupe de sécurité.",
                         "14 rue des Lilas, 69003 Lyon", "", "normal", ("sms",))
    ticket = tickets.create_request(relais.people.manager, relais.people.plumber, request, clock.now())
    tomorrow = (clock.paris(clock.now()) + timedelta(days=1)).date().isoformat()
    view = store.load_ticket(ticket.ticket_id)
    tickets.accept_request(view, Acceptance(tomorrow, "10:00", ""), "accept-dev-pages", clock.now())
    return ticket


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_dev_schedules_names_the_ticket_and_keeps_button_words_whole(relais: Relais, browser: Any, device: str) -> None:
    ticket = _planned_ticket(relais) if device == "phone" else None
    page = browser.new_context(base_url=relais.base_url, **(PHONE if device == "phone" else DESKTOP)).new_page()
    page.goto("/dev/schedules")
    row = page.locator("table.schedules tbody tr", has_text="Remplacement du ballon d'eau chaude")
    for _ in range(40):  # the timer reaches the Scheduler through the outbox, a moment after the answer
        if row.count():
            break
        page.wait_for_timeout(250)
        page.goto("/dev/schedules")
    expect(row).to_have_count(1)
    if ticket is not None:
        link = row.get_by_role("link", name=ticket.reference, exact=True)
        expect(link).to_have_attribute("href", f"/admin/tickets/{ticket.ticket_id}")
        expect(row).not_to_contain_text(ticket.ticket_id)
    button = row.get_by_role("button", name="Déclencher maintenant")
    page.screenshot(path=str(SHOTS / f"dev-schedules-{device}.png"), full_page=True)
    assert button.evaluate(BROKEN_WORDS) == [], f"'Déclencher maintenant' breaks a word on the {device}"
