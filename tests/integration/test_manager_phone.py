"""A manager's own phone (issue 14, section 1): set on the Gestionnaires page, checked like every
phone, and offered to the contractor to call on the form of the tickets they own."""

from __future__ import annotations

import html
from dataclasses import replace

from chalice.test import Client

from chalicelib.data import directory, store
from tests.integration.conftest import People, contractor_path, new_ticket
from tests.integration.test_manager_roles import _as, _csrf
from tests.integration.test_people import _post


def _call_link(client: Client, ticket_id: str) -> str:
    page = client.http.get(contractor_path(ticket_id)).body.decode()
    start = page.index('class="button secondary call"')
    return html.unescape(page[page.rindex("<a", 0, start):page.index("</a>", start)])


def _as_now(people: People) -> People:
    """The people with the manager as stored now (a ticket is created by the manager signed in)."""
    return replace(people, manager=directory.get_manager(people.manager.manager_id))


def test_a_manager_sets_their_phone_and_their_new_tickets_offer_it_to_call(client: Client, people: People) -> None:
    claire = people.manager
    headers = _as(client, claire)
    before = new_ticket(people)
    assert 'href="tel:+33478000000"' in _call_link(client, before.ticket_id)  # no phone yet: the agency's
    response = _post(client, headers, f"/admin/managers/{claire.manager_id}/phone",
                     {"csrf": _csrf(client, headers), "phone": "06 98 76 54 32"})
    assert response.status_code == 303
    assert directory.get_manager(claire.manager_id).phone == "+33698765432"  # type: ignore[union-attr]
    page = html.unescape(client.http.get("/admin/managers?done=phone", headers=headers).body.decode())
    assert "Téléphone enregistré." in page and 'value="+33698765432"' in page
    after = new_ticket(_as_now(people))
    link = _call_link(client, after.ticket_id)
    assert 'href="tel:+33698765432"' in link and "Appeler le +33698765432" in link
    assert "Claire Martin" in client.http.get(contractor_path(after.ticket_id)).body.decode()


def test_a_wrong_phone_is_refused_with_a_message_and_changes_nothing(client: Client, people: People) -> None:
    claire = people.manager
    directory.set_manager_phone(claire.manager_id, claire.manager_id, "+33698765432")
    headers = _as(client, claire)
    for typed in ("06 12", "+33 6 12 34 56 78 99 99", "appelez-moi\r\nBcc: x@y.fr"):
        response = _post(client, headers, f"/admin/managers/{claire.manager_id}/phone",
                         {"csrf": _csrf(client, headers), "phone": typed})
        assert response.status_code == 400
        assert "Numéro de téléphone invalide." in html.unescape(response.body.decode())
        assert directory.get_manager(claire.manager_id).phone == "+33698765432"  # type: ignore[union-attr]
    # Emptied: removed, and the form offers the agency's number again.
    assert _post(client, headers, f"/admin/managers/{claire.manager_id}/phone",
                 {"csrf": _csrf(client, headers), "phone": ""}).status_code == 303
    assert directory.get_manager(claire.manager_id).phone is None  # type: ignore[union-attr]
    assert 'href="tel:+33478000000"' in _call_link(client, new_ticket(_as_now(people)).ticket_id)


def test_only_an_administrateur_sets_another_managers_phone(client: Client, people: People) -> None:
    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr", role=directory.GESTIONNAIRE)
    headers = _as(client, bruno)
    claire = people.manager.manager_id
    refused = _post(client, headers, f"/admin/managers/{claire}/phone", {"csrf": _csrf(client, headers), "phone": "0698765432"})
    assert refused.status_code == 403
    assert directory.get_manager(claire).phone is None  # type: ignore[union-attr]
    own = _post(client, headers, f"/admin/managers/{bruno.manager_id}/phone", {"csrf": _csrf(client, headers),
                                                                               "phone": "07 81 22 33 44"})
    assert own.status_code == 303
    admin = _as(client, people.manager)
    assert _post(client, admin, f"/admin/managers/{bruno.manager_id}/phone",
                 {"csrf": _csrf(client, admin), "phone": "+33 7 55 66 77 88"}).status_code == 303
    assert directory.get_manager(bruno.manager_id).phone == "+33755667788"  # type: ignore[union-attr]


def test_a_ticket_handed_to_another_owner_offers_the_new_owners_phone(people: People, aws: str) -> None:
    from chalicelib.domain import clock
    from chalicelib.usecases import ticket_admin

    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr")
    directory.set_manager_phone(bruno.manager_id, bruno.manager_id, "+33755667788")
    ticket = new_ticket(people)
    ticket_admin.change_owner(store.load_ticket(ticket.ticket_id), people.manager,
                              directory.get_manager(bruno.manager_id), "owner-change-0001-abcdefgh", clock.now())  # type: ignore[arg-type]
    assert store.load_ticket(ticket.ticket_id).ticket.manager_phone == "+33755667788"


