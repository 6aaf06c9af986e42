"""Buildings and lots: importing a syndic's file (preview, confirm, chunks, rollback), finding a
building while typing, a request at a building, and its page."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import buildings, keys, store
from chalicelib.data.models import Building, BuildingWord, Lot, RelaisItem
from chalicelib.domain import clock
from chalicelib.domain.buildings import validate_building
from chalicelib.domain.errors import Changed
from chalicelib.usecases import building_import
from local.harness import recording_aws_calls
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, tomorrow_paris
from tests.integration.test_admin import csrf_of, draft_of, signed_in_headers
from tests.integration.test_timers import act

SYNDIC_EXPORT = (
    "Immeuble;Adresse;Code postal;Ville;Digicode;Gardien;Téléphone gardien;N° lot;Étage;Occupant;Téléphone;E-mail\r\n"
    "Résidence Les Lilas;14 allée des Lilas;69003;LYON;4521B;M. Dupont;04 78 12 34 56;12;2;Mme Martin;06 12 34 56 78;"
    "martin@example.fr\r\n"
    "Résidence Les Lilas;14 allée des Lilas;69003;LYON;4521B;M. Dupont;04 78 12 34 56;13;3;M. Petit;;\r\n"
    "Le Voltaire;3 bd Voltaire;75011;Paris;Clés chez le gardien;;;;;;;\r\n"
)


@pytest.fixture
def headers(client: Client, people: People) -> dict[str, str]:
    return signed_in_headers(client, people)


def multipart(fields: dict[str, str], file: bytes, filename: str = "immeubles.csv") -> tuple[bytes, dict[str, str]]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + file + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(client: Client, headers: dict[str, str], data: bytes) -> Any:
    csrf = csrf_of(client.http.get("/admin/buildings/import", headers=headers).body.decode())
    body, content_type = multipart({"csrf": csrf}, data)
    return client.http.post("/admin/buildings/import", headers={**headers, **content_type}, body=body)


def confirm_url(html: str) -> str:
    match = re.search(r'action="(/admin/buildings/import/[0-9A-Z]{26})/confirm"', html)
    assert match, "no confirmation button"
    return match.group(1)


def post(client: Client, headers: dict[str, str], url: str, **extra: str) -> Any:
    csrf = csrf_of(client.http.get("/admin/buildings", headers=headers).body.decode())
    return client.http.post(url, headers={**FORM_HEADERS, **headers, **extra}, body=urlencode({"csrf": csrf}))


def run_import(client: Client, headers: dict[str, str], html: str) -> list[dict[str, Any]]:
    """Confirm, then advance as the page's script does until the import is done; the progress seen."""
    url = confirm_url(html)
    assert post(client, headers, f"{url}/confirm").status_code == 303
    seen = []
    for _ in range(500):
        step = post(client, headers, f"{url}/advance", Accept="application/json").json_body
        seen.append(step)
        if step["status"] not in ("running", "rolling_back"):
            return seen
    raise AssertionError("the import never finished")


def saved_buildings() -> list[Building]:
    return list(buildings.every_building())


def test_a_syndic_export_is_previewed_then_imported_only_once_confirmed(client: Client, headers: dict[str, str]) -> None:
    preview = upload(client, headers, SYNDIC_EXPORT.encode("cp1252"))
    html = preview.body.decode()
    assert preview.status_code == 200, html
    assert "Windows-1252" in html and "Immeubles nouveaux : 2" in html and "Lots nouveaux : 2" in html
    assert saved_buildings() == []  # nothing written before the confirmation

    steps = run_import(client, headers, html)
    assert steps[-1]["status"] == "done"
    by_name = {b.name: b for b in saved_buildings()}
    assert set(by_name) == {"Résidence Les Lilas", "Le Voltaire"}
    lilas = by_name["Résidence Les Lilas"]
    assert lilas.address == "14 allée des Lilas, 69003 Lyon" and lilas.access_notes == "4521B"
    assert lilas.caretaker_phone == "+33478123456"
    assert by_name["Le Voltaire"].street == "3 boulevard Voltaire"
    page = client.http.get(f"/admin/buildings/{lilas.building_id}", headers=headers).body.decode()
    assert "Mme Martin" in page and "+33612345678" in page and "M. Petit" in page

    again_response = upload(client, headers, SYNDIC_EXPORT.encode("utf-8-sig"))  # the same file, in UTF-8
    again = again_response.body.decode()
    assert again_response.status_code == 200 and "Immeubles nouveaux : 0" in again
    assert "2 immeuble(s), 2 lot(s)" in again and 'id="import-nothing"' in again


@pytest.mark.parametrize(("data", "says"), [
    ("Nom;Prénom;Téléphone\r\nDupont;Jean;0612345678\r\n".encode(), "Colonnes non reconnues"),
    (b"PK\x03\x04\x14\x00\x06\x00binary", "classeur Excel"),
    ("Adresse;CP;Ville\r\n14 rue des Lilas;69003;Lyoné\r\n".encode() + "2 rue Basse;69001;Lyonè\r\n".encode("cp1252"),
     "mélange deux encodages"),
    (b"Adresse;CP;Ville\r\n\x00\x00\x00", "pas un fichier texte"),
    (b"", "Choisissez un fichier"),
    (b'Adresse;CP;Ville\r\n"14 rue;69003;Lyon\r\n', "guillemets"),
])
def test_a_file_that_cannot_be_read_is_refused_with_a_reason_and_nothing_is_written(
        client: Client, headers: dict[str, str], data: bytes, says: str) -> None:
    response = upload(client, headers, data)
    assert response.status_code == 400
    assert says in response.body.decode()
    assert saved_buildings() == [] and 'id="confirm-import"' not in response.body.decode()


def test_lines_with_formulas_or_bad_values_are_listed_and_nothing_is_imported(client: Client,
                                                                                headers: dict[str, str]) -> None:
    data = (SYNDIC_EXPORT + "=HYPERLINK(\"http://evil\");1 rue Haute;69001;Lyon;;;;;;;;\r\n"
            "Bon;2 rue Basse;690;Lyon;;;;;;;;\r\n"
            "Bon;3 rue Basse;69001;Lyon;;;;7;;@SUM(A1);;\r\n"
            "Bon;4 rue Basse;69001;Lyon;;;;8;;;+cmd|' /C calc'!A0;\r\n"
            "Bon;5 rue Basse;69001;Lyon;;;;9;;;06 12;pas-une-adresse\r\n").encode()
    response = upload(client, headers, data)
    html = response.body.decode()
    assert response.status_code == 400
    lines = re.findall(r'<tr class="problem"><td>(\d+)</td>', html)
    assert lines == ["5", "6", "7", "8", "9", "9"], html
    assert "Formule de tableur refusée" in html and "Code postal invalide" in html and "Numéro de téléphone invalide" in html
    assert 'id="confirm-import"' not in html and saved_buildings() == []


def test_ten_thousand_lines_are_imported_in_chunks_with_progress_shown(client: Client, headers: dict[str, str]) -> None:
    rows = ["Immeuble;Adresse;Code postal;Ville;Lot;Étage;Occupant"]
    rows += [f"Résidence {b};{b + 1} rue de la Paix;75002;Paris;{lot};{lot % 7};Occupant {b}-{lot}"
             for b in range(40) for lot in range(1, 251)]
    response = upload(client, headers, "\n".join(rows).encode())
    html = response.body.decode()
    assert response.status_code == 200 and "10000 lignes lues" in html and "Lots nouveaux : 10000" in html

    steps = run_import(client, headers, html)
    assert steps[-1]["status"] == "done" and steps[-1]["done"] == steps[-1]["total"] > 100
    assert len(saved_buildings()) == 40
    lots = [item for item in RelaisItem.query(keys.building_pk(saved_buildings()[0].building_id),
                                              RelaisItem.sk.startswith(keys.LOT_PREFIX))]
    assert len(lots) == 250


def test_an_import_that_meets_a_building_created_meanwhile_is_rolled_back_whole(people: People) -> None:
    data = "\n".join(["Adresse;Code postal;Ville;Lot"] + [f"{n} rue Neuve;69002;Lyon;{lot}"
                                                         for n in range(1, 30) for lot in range(1, 11)]).encode()
    manager_id = people.manager.manager_id
    found = building_import.preview(manager_id, data, clock.now())
    building_import.confirm(manager_id, found.import_id)
    job = building_import.advance(manager_id, found.import_id, clock.now(), seconds=0)  # one chunk written
    assert job.status == "running" and int(job.done_chunks) == 1 and len(saved_buildings()) > 0
    card, _ = validate_building({"street": "25 rue Neuve", "postal_code": "69002", "city": "Lyon", "name": "Déjà là"})
    assert card is not None
    buildings.create_building(card, clock.now())  # by a colleague, meanwhile: a later chunk holds it

    for _ in range(50):
        job = building_import.advance(manager_id, found.import_id, clock.now())
        if job.status == "cancelled":
            break
    assert job.status == "cancelled" and "annulé" in (job.error or "")
    assert [b.name for b in saved_buildings()] == ["Déjà là"]  # everything the import wrote is gone, not the colleague's
    assert not [i for i in RelaisItem.scan() if isinstance(i, (Lot, BuildingWord)) and i.import_id]


def test_an_import_stopped_midway_is_shown_and_cancelling_removes_what_it_wrote(client: Client, headers: dict[str, str],
                                                                               people: People) -> None:
    data = "\n".join(["Adresse;Code postal;Ville;Lot"] + [f"{n} rue Neuve;69002;Lyon;{lot}"
                                                         for n in range(1, 30) for lot in range(1, 11)]).encode()
    html = upload(client, headers, data).body.decode()
    url = confirm_url(html)
    post(client, headers, f"{url}/confirm")
    import_id = url.rsplit("/", 1)[1]
    building_import.advance(people.manager.manager_id, import_id, clock.now(), seconds=0)  # the browser was closed here
    assert saved_buildings()
    listing = client.http.get("/admin/buildings", headers=headers).body.decode()
    assert 'id="unfinished-import"' in listing and url in listing

    assert post(client, headers, f"{url}/cancel").status_code == 303
    steps = [post(client, headers, f"{url}/advance", Accept="application/json").json_body for _ in range(5)]
    assert steps[-1]["status"] == "cancelled" and saved_buildings() == []
    assert 'id="unfinished-import"' not in client.http.get("/admin/buildings", headers=headers).body.decode()


def test_another_managers_import_is_not_found(client: Client, headers: dict[str, str], people: People) -> None:
    from chalicelib.data import directory

    other = directory.save_manager("Paul Girard", "paul.girard@gestion-demo.fr")
    found = building_import.preview(other.manager_id, SYNDIC_EXPORT.encode(), clock.now())
    for step in ("confirm", "advance", "cancel"):
        assert post(client, headers, f"/admin/buildings/import/{found.import_id}/{step}").status_code == 404
    assert saved_buildings() == []


def test_a_malformed_upload_is_answered_without_an_error(client: Client, headers: dict[str, str]) -> None:
    response = client.http.post("/admin/buildings/import", body=b"--x\r\ngarbage",
                                headers={**headers, "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 403  # no CSRF token could be read: nothing done


# -- typing to find a building, and a request there ---------------------------------------------------

def imported(client: Client, headers: dict[str, str]) -> dict[str, Building]:
    run_import(client, headers, upload(client, headers, SYNDIC_EXPORT.encode()).body.decode())
    return {b.name: b for b in saved_buildings()}


def test_typing_part_of_a_street_finds_the_building_in_one_query(client: Client, headers: dict[str, str]) -> None:
    imported(client, headers)
    with recording_aws_calls() as calls:
        found = client.http.get("/admin/buildings/search?q=lila", headers=headers).json_body["buildings"]
    assert [b["name"] for b in found] == ["Résidence Les Lilas"]
    assert [c for c in calls.dynamodb() if c != "BatchGetItem"] == ["Query"]  # the session's read aside: one Query
    for typed, names in [("allee lil lyon", ["Résidence Les Lilas"]), ("VOLT", ["Le Voltaire"]), ("75011", ["Le Voltaire"]),
                         ("lilas paris", []), ("l", []), ("", []), ("%' OR 1=1 --" * 40, []), ("{\"$ne\": null}", [])]:
        response = client.http.get(f"/admin/buildings/search?{urlencode({'q': typed})}", headers=headers)
        assert response.status_code == 200 and [b["name"] for b in response.json_body["buildings"]] == names, typed


def new_request_fields(client: Client, headers: dict[str, str], people: People, **extra: str) -> dict[str, str]:
    form = client.http.get("/admin/tickets/new", headers=headers).body.decode()
    return {"csrf": csrf_of(form), "draft": draft_of(form), "request_kind": "intervention",
            "contractor_id": people.plumber.contractor_id, "title": "Fuite sous l'évier",
            "description": "Fuite au lot 12.", "site_address": "14 allée des Lilas, 69003 Lyon (bâtiment B)",
            "access_notes": "4521B, puis porte gauche", "urgency": "normal", **extra}


def test_a_request_at_a_building_and_lot_keeps_their_names_and_joins_its_history(client: Client, headers: dict[str, str],
                                                                                 people: People) -> None:
    lilas = imported(client, headers)["Résidence Les Lilas"]
    card = client.http.get(f"/admin/buildings/{lilas.building_id}/card", headers=headers).json_body
    assert card["access_notes"] == "4521B" and [lot["number"] for lot in card["lots"]] == ["12", "13"]
    fields = new_request_fields(client, headers, people, building_id=lilas.building_id, lot_number="012")
    response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert response.status_code == 303
    ticket = store.load_ticket(response.headers["Location"].rsplit("/", 1)[1]).ticket
    assert (ticket.building_id, ticket.building_name, ticket.lot_number) == (lilas.building_id, "Résidence Les Lilas", "12")
    assert ticket.site_address == fields["site_address"] and ticket.access_notes == fields["access_notes"]  # as edited
    ticket_page = client.http.get(response.headers["Location"], headers=headers).body.decode()
    assert f'href="/admin/buildings/{lilas.building_id}">Résidence Les Lilas</a> · lot 12' in ticket_page

    page = client.http.get(f"/admin/buildings/{lilas.building_id}", headers=headers).body.decode()
    rows = re.findall(r'<tr class="building-ticket">(.*?)</tr>', page, re.S)
    assert len(rows) == 1 and ticket.reference in rows[0] and "Karim Benali" in rows[0] and "Demande envoyée" in rows[0]
    assert 'id="building-contractors"' not in page  # asked, not come yet
    act(client, contractor_path(ticket.ticket_id), "answer",
        {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    page = client.http.get(f"/admin/buildings/{lilas.building_id}", headers=headers).body.decode()
    assert "Plomberie Benali" in re.search(r'id="building-contractors">(.*?)</ul>', page, re.S).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(("extra", "field"), [
    ({"building_id": "01M8DXFDPHG8Y8H5SDEJG5332X"}, "building_id"), ({"building_id": "../" * 50}, "building_id"),
    ({"lot_number": "99"}, "lot_number"), ({"lot_number": "x" * 500}, "lot_number"),
])
def test_a_request_naming_a_building_or_lot_that_does_not_exist_is_refused(
        client: Client, headers: dict[str, str], people: People, extra: dict[str, str], field: str) -> None:
    lilas = imported(client, headers)["Résidence Les Lilas"]
    fields = new_request_fields(client, headers, people, **{"building_id": lilas.building_id, **extra})
    response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert response.status_code == 400 and f'id="{field}-error"' in response.body.decode()
    assert buildings.building_tickets(lilas.building_id)[0] == []


def test_a_building_typed_by_hand_is_normalised_and_a_double_submit_makes_one(client: Client, headers: dict[str, str]) -> None:
    csrf = csrf_of(client.http.get("/admin/buildings/new", headers=headers).body.decode())
    fields = {"csrf": csrf, "name": "", "street": "7, av. Jean Jaurès", "postal_code": "69 007", "city": "LYON",
              "caretaker_phone": "06 11 22 33 44"}
    first = client.http.post("/admin/buildings", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    second = client.http.post("/admin/buildings", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert first.status_code == second.status_code == 303 and first.headers["Location"] == second.headers["Location"]
    [building] = saved_buildings()
    assert (building.name, building.address, building.caretaker_phone) == (
        "7 avenue Jean Jaurès", "7 avenue Jean Jaurès, 69007 Lyon", "+33611223344")
    bad = client.http.post("/admin/buildings", headers={**FORM_HEADERS, **headers},
                           body=urlencode({**fields, "postal_code": "ABCDE", "caretaker_phone": "12"}))
    html = bad.body.decode()
    assert bad.status_code == 400 and 'id="postal_code-error"' in html and 'id="caretaker_phone-error"' in html
    assert len(saved_buildings()) == 1


# -- tickets typed before buildings -------------------------------------------------------------------

def test_upgrade_data_offers_to_link_freehand_tickets_to_the_building_they_name(
        client: Client, headers: dict[str, str], people: People, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from infra import upgrade_data
    from tests.integration.conftest import new_ticket

    old = new_ticket(people)  # "14 rue des Lilas, Lyon", typed before buildings existed
    elsewhere = new_ticket(people)
    elsewhere.update(actions=[type(elsewhere).site_address.set("14 rue des Lilas, Paris")])
    card, _ = validate_building({"name": "Les Lilas", "street": "14, r. des Lilas", "postal_code": "69003", "city": "Lyon"})
    assert card is not None
    lilas = buildings.create_building(card, clock.now())
    assert client.http.get(f"/admin/tickets/{old.ticket_id}", headers=headers).status_code == 200  # works as it was

    monkeypatch.setenv("RELAIS_LINK_BUILDINGS", "no")
    upgrade_data.main()
    listed = capsys.readouterr().out
    assert "1 ticket(s) with a freehand address match a building" in listed and old.reference in listed
    assert store.load_ticket(old.ticket_id).ticket.building_id is None  # offered, not linked

    monkeypatch.setenv("RELAIS_LINK_BUILDINGS", "yes")
    upgrade_data.main()
    assert "1 ticket(s) linked" in capsys.readouterr().out
    linked = store.load_ticket(old.ticket_id).ticket
    assert (linked.building_id, linked.building_name, linked.site_address) == (lilas.building_id, "Les Lilas",
                                                                               "14 rue des Lilas, Lyon")
    assert store.load_ticket(elsewhere.ticket_id).ticket.building_id is None
    page = client.http.get(f"/admin/buildings/{lilas.building_id}", headers=headers).body.decode()
    assert old.reference in page and elsewhere.reference not in page
    upgrade_data.main()
    assert "0 ticket(s) with a freehand address match" in capsys.readouterr().out  # a second run writes nothing


def test_editing_a_building_changes_what_finds_it_but_not_its_address(client: Client, headers: dict[str, str]) -> None:
    lilas = imported(client, headers)["Résidence Les Lilas"]
    url = f"/admin/buildings/{lilas.building_id}"
    csrf = csrf_of(client.http.get(f"{url}/edit", headers=headers).body.decode())
    fields = {"csrf": csrf, "name": "Le Clos Fleuri", "access_notes": "Nouveau digicode 7788", "street": "1 rue Ailleurs",
              "caretaker_phone": "06 98 76 54 32"}
    response = client.http.post(url, headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert response.status_code == 303
    edited = buildings.get_building(lilas.building_id)
    assert edited is not None
    assert (edited.name, edited.access_notes, edited.address) == ("Le Clos Fleuri", "Nouveau digicode 7788",
                                                                  "14 allée des Lilas, 69003 Lyon")
    assert [b.name for b in buildings.search("clos")] == ["Le Clos Fleuri"]
    assert buildings.search("residence") == [] and [b.name for b in buildings.search("lilas")] == ["Le Clos Fleuri"]
    bad = client.http.post(url, headers={**FORM_HEADERS, **headers}, body=urlencode({**fields, "caretaker_phone": "12"}))
    assert bad.status_code == 400 and 'id="caretaker_phone-error"' in bad.body.decode()


def test_a_building_cannot_be_edited_while_the_import_that_made_it_is_unfinished(people: People) -> None:
    data = "\n".join(["Adresse;Code postal;Ville;Lot"] + [f"{n} rue Neuve;69002;Lyon;{lot}"
                                                         for n in range(1, 30) for lot in range(1, 11)]).encode()
    manager_id = people.manager.manager_id
    found = building_import.preview(manager_id, data, clock.now())
    building_import.confirm(manager_id, found.import_id)
    building_import.advance(manager_id, found.import_id, clock.now(), seconds=0)
    first = saved_buildings()[0]
    card, _ = validate_building({"street": first.street, "postal_code": first.postal_code, "city": first.city,
                                 "name": "Renommé"})
    assert card is not None
    with pytest.raises(Changed):
        buildings.update_building(first, card)
    building_import.cancel(manager_id, found.import_id)
    while building_import.advance(manager_id, found.import_id, clock.now()).status != "cancelled":
        pass
    assert saved_buildings() == [] and not buildings.search("neuve")


def test_the_search_box_finds_a_request_by_its_buildings_name(client: Client, headers: dict[str, str],
                                                             people: People) -> None:
    """A building's name is not in the ticket's address: the search still finds the request by it."""
    from chalicelib.data import search

    lilas = imported(client, headers)["Résidence Les Lilas"]
    fields = new_request_fields(client, headers, people, building_id=lilas.building_id, lot_number="12",
                                site_address="14 rue des Lilas, 69003 Lyon")
    response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **headers}, body=urlencode(fields))
    assert response.status_code == 303
    ticket_id = response.headers["Location"].rsplit("/", 1)[1]
    assert [item.ticket_id for item in search.search("residence lil").items] == [ticket_id]
    page = client.http.get("/admin/tickets?" + urlencode({"q": "Résidence", "owner": "all"}), headers=headers).body.decode()
    assert store.load_ticket(ticket_id).ticket.reference in page
