"""Chasing without nagging, in a real browser: an emergency's reminder planned an hour after the
request; "Relancer l'intervenant" sends the reminder with the manager's line and refuses a second
one within the quarter hour; the manager's alerts wait for the morning digest, which, fired from
/dev/schedules, lists the day's events."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Relais
from tests.browser.test_round_trip import ADDRESS, DESCRIPTION, TICKET_URL, _sign_in

NOTE = "Le locataire part à midi, merci de confirmer vite."


def test_an_emergency_is_reminded_after_an_hour_and_relancer_waits_a_quarter_hour(relais: Relais, desktop: Any) -> None:
    from chalicelib.data import store
    from chalicelib.domain import clock

    manager = desktop.new_page()
    _sign_in(relais, manager)
    manager.goto("/admin/tickets/new")
    manager.get_by_label("Intervenant").select_option(value=relais.people.plumber.contractor_id)
    manager.get_by_label("Titre").fill("Dégât des eaux au plafond")
    manager.get_by_label("Description").fill(DESCRIPTION)
    manager.get_by_label("Adresse du site").fill(ADDRESS)
    manager.get_by_label("Urgence", exact=True).select_option(label="Urgence absolue")
    manager.get_by_role("button", name="Créer et envoyer").click()
    expect(manager).to_have_url(TICKET_URL)
    match = TICKET_URL.search(manager.url)
    assert match
    ticket_id = match.group(1)
    ticket = store.load_ticket(ticket_id).ticket
    sent = clock.parse_iso(str(ticket.request_sent_at))

    # The planned steps: the reminder an hour after the request, the alert an hour later.
    planned = manager.locator("#timers li.timer-reminder time")
    expect(planned).to_have_attribute("datetime", clock.iso(sent + timedelta(hours=1)))
    expect(manager.locator("#timers li.timer-answer_overdue time")).to_have_attribute(
        "datetime", clock.iso(sent + timedelta(hours=2)))
    expect(manager.locator("#cadence")).to_contain_text("relance après 1 h sans réponse, alerte après 2 h")

    # A second tab holds the Relancer form too, opened before the first reminder goes.
    other = desktop.new_page()
    other.goto(f"/admin/tickets/{ticket_id}")
    relance = manager.locator("form#remind-now")
    relance.get_by_label(re.compile("Mot personnel")).fill(NOTE)
    relance.get_by_role("button", name="Relancer l'intervenant").click()
    expect(manager).to_have_url(f"{relais.base_url}/admin/tickets/{ticket_id}")
    mail = relais.wait_for_message(lambda m: m["channel"] == "email" and m["to"] == relais.people.plumber.email
                                   and NOTE in m["body"])
    assert mail["subject"].startswith("Rappel")
    relais.wait_for_message(lambda m: m["channel"] == "sms" and m["to"] == relais.people.plumber.phone
                            and "rappel" in m["body"] and ticket.reference in m["body"])
    expect(manager.locator("#events li.event-remind_now")).to_contain_text(NOTE)
    expect(manager.locator("form#remind-now button")).to_be_disabled()
    expect(manager.locator("#remind-next")).to_contain_text("Prochaine relance possible à partir de")

    other.locator("form#remind-now").get_by_role("button", name="Relancer l'intervenant").click()
    expect(other.locator("#remind-error")).to_have_text(
        "Une relance vient d'être envoyée : la suivante est possible 15 minutes après.")
    assert [e.event_type for e in store.load_ticket(ticket_id).events].count("remind_now") == 1


def test_the_digest_fired_from_dev_schedules_lists_the_days_events(relais: Relais, desktop: Any) -> None:
    from chalicelib.data import store
    from chalicelib.domain import clock
    from chalicelib.domain.forms import NewRequest
    from chalicelib.usecases import tickets

    manager = desktop.new_page()
    _sign_in(relais, manager)
    manager.goto("/admin/alerts")
    manager.locator("#kind-messages input[value=digest]").check()
    manager.locator("#kind-answers input[value=digest]").check()
    manager.get_by_label(re.compile("Toujours tout de suite")).uncheck()
    manager.get_by_role("button", name="Enregistrer").click()
    expect(manager.locator("p.notice.ok")).to_contain_text("Préférences enregistrées")

    people = relais.people
    request = NewRequest("", "intervention", "Serrure bloquée", "Porte du local vélos", "3 rue Neuve, 69002 Lyon", "",
                         "urgent", ("email",))
    ticket = tickets.create_request(people.manager, people.plumber, request, clock.now())
    view = store.load_ticket(ticket.ticket_id)
    tickets.post_message(view, tickets.contractor_of(view), "Je passe demain matin avec une serrure neuve.", [],
                         "digest-message", clock.now())
    before = {m["sent_at"] for m in relais.outbox()}

    manager.goto("/dev/schedules")
    row = manager.locator("table.schedules tbody tr", has_text=people.manager.manager_id)
    for _ in range(40):  # the schedule is placed by the dispatcher a moment after the alert
        if row.count():
            break
        manager.wait_for_timeout(250)
        manager.goto("/dev/schedules")
    expect(row).to_contain_text("Résumé quotidien des alertes")
    expect(row).to_contain_text("chaque jour ouvré")
    row.get_by_role("button", name="Déclencher maintenant").click()
    expect(manager.locator("p.notice.ok")).to_have_text("Étape déclenchée.")
    expect(row).to_have_count(1)  # recurring: still there for the next morning

    digest = relais.wait_for_message(lambda m: m["channel"] == "email" and m["to"] == people.manager.email
                                     and m["subject"].startswith("Résumé du") and m["sent_at"] not in before)
    assert ticket.reference in digest["body"] and "Serrure bloquée" in digest["body"]
    assert "Nouveau message de Karim Benali" in digest["body"] and "serrure neuve" in digest["body"]
    assert any(link.endswith(f"/admin/tickets/{ticket.ticket_id}") for link in digest["links"])
