"""The manager's people pages: the contractors directory, each contractor's history, and the managers."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import directory, keys
from chalicelib.data.directory import ContractorTicket, UniqueClaim
from tests.integration.conftest import FORM_HEADERS, LOGIN_HEADERS, People, new_ticket, sent_messages
from tests.integration.test_admin import LOGIN_LINK, csrf_of, draft_of, login_link, signed_in_headers


def _new_token(page: str) -> str:
    match = re.search(r'name="new_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _post(client: Client, headers: dict[str, str], path: str, fields: dict[str, Any]) -> Any:
    return client.http.post(path, headers={**FORM_HEADERS, **headers}, body=urlencode(fields, doseq=True))


def _contractor_form(client: Client, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    page = client.http.get("/admin/contractors/new", headers=headers).body.decode()
    return {"csrf": csrf_of(page), "new_token": _new_token(page), "name": "Sophie Durand", "company": "Durand Électricité",
            "trade": "Électricienne", "phone": "07 81 22 33 44", "email": "Contact@Durand-Elec.FR",
            "channels": ["sms", "email"], "language": "fr", **fields}


def _claims() -> set[str]:
    return {item.pk for item in UniqueClaim.scan()}  # tests only: a Scan never runs in a request path


def _csrf(client: Client, headers: dict[str, str], path: str = "/admin/contractors") -> str:
    return csrf_of(client.http.get(path, headers=headers).body.decode())


# -- contractors ---------------------------------------------------------------------------------

def test_a_manager_adds_a_contractor_with_normalised_contacts(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    fields = _contractor_form(client, headers)
    response = _post(client, headers, "/admin/contractors", fields)
    assert response.status_code == 303
    again = _post(client, headers, "/admin/contractors", fields)  # a double click saves one contractor
    assert again.status_code == 303 and again.headers["Location"] == response.headers["Location"]
    contractor_id = response.headers["Location"].split("/")[-1].split("?")[0]
    saved = directory.get_contractor(contractor_id)
    assert saved is not None
    assert (saved.phone, saved.email, saved.channels, saved.active) == ("+33781223344", "Contact@durand-elec.fr",
                                                                         ["sms", "email"], True)
    assert len(directory.list_contractors()) == 3
    page = client.http.get(response.headers["Location"], headers=headers).body.decode()
    assert "Sophie Durand" in page and "Intervenant enregistré." in page and "+33781223344" in page
    listing = client.http.get("/admin/contractors", headers=headers).body.decode()
    assert listing.index("Jane Smith") < listing.index("Karim Benali") < listing.index("Sophie Durand")


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"phone": "12345"}, "phone", "Numéro de téléphone invalide."),
    ({"phone": "06 12"}, "phone", "Numéro de téléphone invalide."),
    ({"email": "sophie@"}, "email", "Adresse e-mail invalide."),
    ({"email": "pas une adresse"}, "email", "Adresse e-mail invalide."),
    ({"phone": "+33 6 12 34 56 78"}, "phone", "Ce numéro de téléphone est déjà celui d'un autre intervenant."),
    ({"email": "KARIM@plomberie-benali.fr"}, "email", "Cette adresse e-mail est déjà celle d'un autre intervenant."),
    ({"name": "  "}, "name", "Indiquez le nom de l'intervenant."),
    ({"channels": []}, "channels", "Choisissez au moins un canal : SMS ou e-mail."),
    ({"phone": "", "channels": ["sms"]}, "phone", "Indiquez un numéro de téléphone pour l'envoi par SMS."),
    ({"phone": "01 23 45 67 89", "channels": ["sms"]}, "phone",
     "Ce numéro est un fixe : il ne peut pas recevoir de SMS. Indiquez un mobile ou choisissez l'e-mail."),
    ({"email": "", "channels": ["email"]}, "email", "Indiquez une adresse e-mail pour l'envoi par e-mail."),
    ({"language": "de"}, "language", "Choisissez la langue : français ou anglais."),
], ids=["short-phone", "partial-phone", "email-no-domain", "email-spaces", "duplicate-phone", "duplicate-email",
        "no-name", "no-channel", "sms-without-phone", "sms-to-a-landline", "email-without-address", "language"])
def test_a_bad_contractor_form_shows_french_field_errors_and_stores_nothing(
        client: Client, people: People, change: dict[str, Any], field: str, message: str) -> None:
    headers = signed_in_headers(client, people)
    claims = _claims()
    response = _post(client, headers, "/admin/contractors", _contractor_form(client, headers, trade="Dépannage 24h/24", **change))
    assert response.status_code == 400
    page = html.unescape(response.body.decode())
    assert f'<p class="field-error" id="{field}-error">{message}' in page
    assert 'value="Dépannage 24h/24"' in page  # what was typed is kept
    assert len(directory.list_contractors()) == 2
    assert _claims() == claims


def test_a_duplicate_links_to_the_contractor_who_has_the_number(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    response = _post(client, headers, "/admin/contractors", _contractor_form(client, headers, phone="0612345678"))
    assert f'href="/admin/contractors/{people.plumber.contractor_id}"' in response.body.decode()


def test_editing_a_contractor_moves_their_contact_claims(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    path = f"/admin/contractors/{people.plumber.contractor_id}"
    form = client.http.get(f"{path}/edit", headers=headers).body.decode()
    assert 'value="+33612345678"' in form and 'value="karim@plomberie-benali.fr"' in form
    fields = {"csrf": csrf_of(form), "name": "Karim Benali", "company": "Benali & Fils", "trade": "Plombier",
              "phone": "06 98 76 54 32", "email": "karim@plomberie-benali.fr", "channels": "sms", "language": "en"}
    response = _post(client, headers, path, fields)
    assert response.status_code == 303 and response.headers["Location"] == f"{path}?done=saved"
    saved = directory.get_contractor(people.plumber.contractor_id)
    assert saved is not None
    assert (saved.company, saved.phone, saved.channels, saved.language) == ("Benali & Fils", "+33698765432", ["sms"], "en")
    assert keys.phone_claim_pk("+33612345678") not in _claims()
    assert keys.phone_claim_pk("+33698765432") in _claims()
    # the old number is free again; the new one is taken
    freed = _post(client, headers, "/admin/contractors",
                  _contractor_form(client, headers, phone="06 12 34 56 78", email="", channels="sms"))
    assert freed.status_code == 303
    taken = _post(client, headers, "/admin/contractors",
                  _contractor_form(client, headers, name="Autre", phone="0698765432", email="", channels="sms"))
    assert taken.status_code == 400 and 'id="phone-error"' in taken.body.decode()


def test_editing_into_another_contractors_email_changes_nothing(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    path = f"/admin/contractors/{people.email_only.contractor_id}"
    fields = {"csrf": _csrf(client, headers), "name": "Jane Smith", "company": "", "trade": "", "phone": "07 81 22 33 45",
              "email": "karim@plomberie-benali.fr", "channels": "email", "language": "en"}
    claims = _claims()
    response = _post(client, headers, path, fields)
    assert response.status_code == 400
    assert "Cette adresse e-mail est déjà celle d'un autre intervenant." in html.unescape(response.body.decode())
    saved = directory.get_contractor(people.email_only.contractor_id)
    assert saved is not None and (saved.email, saved.phone, saved.company) == ("jane@smith-electrics.co.uk", None,
                                                                               "Smith Electrics")
    assert _claims() == claims


def test_a_deactivated_contractor_cannot_get_a_new_request(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    path = f"/admin/contractors/{people.email_only.contractor_id}"
    response = _post(client, headers, f"{path}/deactivate", {"csrf": _csrf(client, headers)})
    assert response.status_code == 303
    stored = directory.get_contractor(people.email_only.contractor_id)
    assert stored is not None and stored.active is False
    page = client.http.get(response.headers["Location"], headers=headers).body.decode()
    assert 'id="contractor-status"' in page and "Réactiver" in page

    form = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    assert "Jane Smith" not in form and "Karim Benali" in form
    fields = {"csrf": csrf_of(form), "draft": draft_of(form), "request_kind": "intervention",
              "contractor_id": people.email_only.contractor_id, "title": "Panne d'éclairage",
              "description": "Hall B sans lumière.", "site_address": "5 place Bellecour", "urgency": "urgent"}
    refused = _post(client, headers, "/admin/tickets", fields)
    assert refused.status_code == 400
    assert "Cet intervenant n'existe pas ou a été désactivé." in html.unescape(refused.body.decode())
    assert list(ContractorTicket.query(f"CONTRACTOR#{people.email_only.contractor_id}")) == []

    again = _post(client, headers, f"{path}/reactivate", {"csrf": _csrf(client, headers)})
    assert again.status_code == 303
    assert "Jane Smith" in client.http.get("/admin/tickets/new", headers=headers).body.decode()



def test_only_deactivate_and_reactivate_change_whether_someone_is_active(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    bruno = directory.invite_manager("Bruno Petit", "bruno.petit@gestion-demo.fr", "fr", "01M8DXFDPHG8Y8H5SDEJG5332Z")
    csrf = _csrf(client, headers)
    for path in (f"/admin/contractors/{people.email_only.contractor_id}/archive",
                 f"/admin/managers/{bruno.manager_id}/suspend", f"/admin/managers/{bruno.manager_id}/Deactivate"):
        assert _post(client, headers, path, {"csrf": csrf}).status_code == 404
    contractor, manager = directory.get_contractor(people.email_only.contractor_id), directory.get_manager(bruno.manager_id)
    assert contractor is not None and contractor.active and manager is not None and manager.active

def test_the_directory_pages_list_each_contractor_once(client: Client, people: People) -> None:
    for n in range(27):
        directory.save_contractor(name=f"Intervenant {n:02d}", company="", trade="", phone=None,
                                  email=f"i{n}@example.fr", channels=["email"])
    headers = signed_in_headers(client, people)
    seen: list[str] = []
    path: str | None = "/admin/contractors"
    pages = 0
    while path:
        page = html.unescape(client.http.get(path, headers=headers).body.decode())
        seen += re.findall(r'<a href="/admin/contractors/([0-9A-Z]{26})">', page)
        found = re.search(r'<a href="(/admin/contractors\?after=[^"]+)" rel="next">', page)
        path = found.group(1) if found else None
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == 29
    names = [c.name for c in map(directory.get_contractor, seen) if c]
    assert names == sorted(names, key=str.lower)
    tampered = client.http.get("/admin/contractors?after=bogus", headers=headers)
    assert tampered.status_code == 200  # a forged cursor starts over


def test_a_contractors_history_lists_their_tickets_newest_first(client: Client, people: People) -> None:
    first, second = new_ticket(people), new_ticket(people)
    for ticket in (first, second):
        directory.history_item(ticket).save()  # what tickets.create_request writes in its transaction
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/contractors/{people.plumber.contractor_id}", headers=headers).body.decode()
    assert page.index(f'href="/admin/tickets/{second.ticket_id}"') < page.index(f'href="/admin/tickets/{first.ticket_id}"')
    assert first.reference in page and second.reference in page
    other = client.http.get(f"/admin/contractors/{people.email_only.contractor_id}", headers=headers).body.decode()
    assert "Aucun ticket envoyé à cet intervenant." in html.unescape(other)

    one = directory.contractor_history(people.plumber.contractor_id, size=1)
    assert [h.ticket_id for h in one.items] == [second.ticket_id] and one.next_cursor
    two = directory.contractor_history(people.plumber.contractor_id, one.next_cursor, size=1)
    assert [h.ticket_id for h in two.items] == [first.ticket_id] and two.next_cursor is None
    assert directory.contractor_history(people.email_only.contractor_id, one.next_cursor).items == []  # not their cursor


def test_an_unknown_contractor_is_not_found(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    assert client.http.get("/admin/contractors/01M8DXFDPHG8Y8H5SDEJG5332X", headers=headers).status_code == 404
    assert client.http.get("/admin/contractors/nope/edit", headers=headers).status_code == 404
    csrf = _csrf(client, headers)
    assert _post(client, headers, "/admin/contractors/01M8DXFDPHG8Y8H5SDEJG5332X/deactivate", {"csrf": csrf}).status_code == 404
    assert directory.get_contractor("01M8DXFDPHG8Y8H5SDEJG5332X") is None


# -- managers ------------------------------------------------------------------------------------

def _invite(client: Client, headers: dict[str, str], **fields: str) -> Any:
    page = client.http.get("/admin/managers", headers=headers).body.decode()
    body = {"csrf": csrf_of(page), "new_token": _new_token(page), "name": "Bruno Petit",
            "email": "bruno.petit@gestion-demo.fr", "language": "fr", "role": "gestionnaire", **fields}
    return _post(client, headers, "/admin/managers", body)


def test_an_invited_manager_gets_a_login_link_and_signs_in(client: Client, people: People, pump: Any, aws: str) -> None:
    headers = signed_in_headers(client, people)
    response = _invite(client, headers, email="Bruno.Petit@Gestion-Demo.fr", language="en")
    assert response.status_code == 303
    invited = directory.find_manager_by_email("bruno.petit@gestion-demo.fr")
    assert invited is not None and invited.active and invited.language == "en"
    pump.drain()
    mails = [m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == ["bruno.petit@gestion-demo.fr"]]
    assert len(mails) == 1
    match = LOGIN_LINK.search(mails[0]["body"])
    assert match
    signed_in = client.http.post(match.group(1), headers=FORM_HEADERS, body="")
    assert signed_in.status_code == 303
    listing = client.http.get("/admin/managers", headers=headers).body.decode()
    assert "Bruno Petit" in listing and "Invitation envoyée" not in listing


def test_inviting_an_existing_address_is_a_field_error(client: Client, people: People, pump: Any, aws: str) -> None:
    headers = signed_in_headers(client, people)
    response = _invite(client, headers, name="Claire Bis", email="CLAIRE.MARTIN@gestion-demo.fr")
    assert response.status_code == 400
    page = html.unescape(response.body.decode())
    assert '<p class="field-error" id="email-error">Cette adresse e-mail est déjà celle d\'un gestionnaire.' in page
    assert 'value="Claire Bis"' in page
    bad = _invite(client, headers, name="", email="pas-une-adresse")
    assert bad.status_code == 400 and 'id="name-error"' in bad.body.decode() and 'id="email-error"' in bad.body.decode()
    assert [m.name for m in directory.list_managers()] == ["Claire Martin"]
    pump.drain()
    assert sent_messages(aws)["email"] == []


def test_a_deactivated_manager_cannot_sign_in(client: Client, people: People, pump: Any, aws: str) -> None:
    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr")
    brunos_session = signed_in_headers(client, SimpleNamespace(manager=bruno))  # type: ignore[arg-type]
    assert client.http.get("/admin/tickets", headers=brunos_session).status_code == 200
    unused_link = login_link(client, pump, aws, "bruno.petit@gestion-demo.fr")
    emails_before = len(sent_messages(aws)["email"])

    headers = signed_in_headers(client, people)
    response = _post(client, headers, f"/admin/managers/{bruno.manager_id}/deactivate", {"csrf": _csrf(client, headers)})
    assert response.status_code == 303
    stored = directory.get_manager(bruno.manager_id)
    assert stored is not None and stored.active is False
    assert "Désactivé" in html.unescape(client.http.get("/admin/managers", headers=headers).body.decode())

    assert client.http.get("/admin/tickets", headers=brunos_session).status_code == 302  # the session stops working
    assert client.http.post("/admin/logout", headers={**FORM_HEADERS, **brunos_session}, body="").status_code == 401
    asked = client.http.post("/admin/login", headers=LOGIN_HEADERS, body=urlencode({"email": "bruno.petit@gestion-demo.fr"}))
    assert asked.status_code == 200  # the same answer as for anyone...
    pump.drain()
    assert len(sent_messages(aws)["email"]) == emails_before  # ...but no email
    assert client.http.post(unused_link, headers=FORM_HEADERS, body="").status_code == 410

    again = _post(client, headers, f"/admin/managers/{bruno.manager_id}/reactivate", {"csrf": _csrf(client, headers)})
    assert again.status_code == 303
    # Reactivated, Bruno signs in again: what was open or sent before stays dead.
    assert client.http.get("/admin/tickets", headers=brunos_session).status_code == 302
    assert client.http.post(unused_link, headers=FORM_HEADERS, body="").status_code == 410
    assert client.http.post(login_link(client, pump, aws, "bruno.petit@gestion-demo.fr"), headers=FORM_HEADERS,
                            body="").status_code == 303


def test_a_manager_cannot_deactivate_themselves(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    page = client.http.get("/admin/managers", headers=headers).body.decode()
    assert f"/admin/managers/{people.manager.manager_id}/deactivate" not in page
    response = _post(client, headers, f"/admin/managers/{people.manager.manager_id}/deactivate", {"csrf": csrf_of(page)})
    assert response.status_code == 400
    assert "Vous ne pouvez pas changer votre propre rôle ni désactiver votre compte" in html.unescape(response.body.decode())
    stored = directory.get_manager(people.manager.manager_id)
    assert stored is not None and stored.active
    assert client.http.get("/admin/managers", headers=headers).status_code == 200


# -- sessions and CSRF ---------------------------------------------------------------------------

PEOPLE_PAGES = ["/admin/contractors", "/admin/contractors/new", "/admin/contractors/01M8DXFDPHG8Y8H5SDEJG5332X",
                "/admin/contractors/01M8DXFDPHG8Y8H5SDEJG5332X/edit", "/admin/managers"]
PEOPLE_POSTS = ["/admin/contractors", "/admin/contractors/{c}", "/admin/contractors/{c}/deactivate",
                "/admin/contractors/{c}/reactivate", "/admin/managers", "/admin/managers/{m}/deactivate",
                "/admin/managers/{m}/reactivate"]


@pytest.mark.parametrize("path", PEOPLE_PAGES)
def test_people_pages_need_a_session(client: Client, people: People, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"


@pytest.mark.parametrize("path", PEOPLE_POSTS)
def test_people_posts_need_a_session_and_a_csrf_token(client: Client, people: People, path: str) -> None:
    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr")
    path = path.format(c=people.plumber.contractor_id, m=bruno.manager_id)
    assert client.http.post(path, headers=FORM_HEADERS, body="").status_code == 401
    headers = {**FORM_HEADERS, **signed_in_headers(client, people)}
    assert client.http.post(path, headers=headers, body="csrf=wrong").status_code == 403
    assert client.http.post(path, headers=headers, body="").status_code == 403
    assert {c.contractor_id: c.active for c in directory.list_contractors()}[people.plumber.contractor_id]
    assert len(directory.list_contractors()) == 2
    assert [(m.name, m.active) for m in directory.list_managers()] == [("Bruno Petit", True), ("Claire Martin", True)]


# -- English -------------------------------------------------------------------------------------

def test_the_people_pages_read_in_english(client: Client, people: People) -> None:
    from tests.unit.test_i18n import _leftover_french

    english = directory.save_manager("Ann Lee", "ann.lee@gestion-demo.fr", language="en")
    headers = signed_in_headers(client, SimpleNamespace(manager=english))  # type: ignore[arg-type]
    bad = _post(client, headers, "/admin/contractors", _contractor_form(client, headers, phone="12345", channels=[]))
    directory.history_item(new_ticket(people)).save()
    pages = [bad.body.decode()] + [client.http.get(path, headers=headers).body.decode() for path in (
        "/admin/contractors", "/admin/contractors/new", f"/admin/contractors/{people.plumber.contractor_id}",
        f"/admin/contractors/{people.plumber.contractor_id}/edit", "/admin/managers")]
    for page in pages:
        assert _leftover_french(page) == []
    assert "Invalid phone number." in bad.body.decode() and "Ticket history" in pages[3]



def test_a_contractor_saved_before_contact_claims_existed_can_be_edited(client: Client, people: People) -> None:
    for key in directory._contact_claims(people.plumber.phone, people.plumber.email).values():
        UniqueClaim(key, "UNIQUE").delete()
    headers = signed_in_headers(client, people)
    fields = {"csrf": _csrf(client, headers), "name": "Karim Benali", "company": "", "trade": "", "phone": "06 98 76 54 32",
              "email": "karim@plomberie-benali.fr", "channels": "sms", "language": "fr"}
    response = _post(client, headers, f"/admin/contractors/{people.plumber.contractor_id}", fields)
    assert response.status_code == 303
    assert {keys.phone_claim_pk("+33698765432"), keys.email_claim_pk("karim@plomberie-benali.fr")} <= _claims()


@pytest.mark.parametrize("bad", ["A" * 3000, "../x", "", "01ARZ3NDEKTSV4RRFFQ69G5FA"])
def test_an_id_from_a_browser_that_cannot_be_ours_is_not_looked_up(aws: str, bad: str) -> None:
    # Real DynamoDB answers a key over 2 KB with an error (a 500), not with "not found".
    from chalicelib.data import directory
    from local.harness import recording_aws_calls

    with recording_aws_calls() as calls:
        assert directory.get_contractor(bad) is None and directory.get_manager(bad) is None
    assert calls.dynamodb() == []
