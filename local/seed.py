"""Demo data for `make run`: one manager, three contractors, a building with two lots, tickets in several states.

It goes through the same use cases as the product, so the demo's SMS and emails appear
in the dev outbox like any others.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.data import buildings, directory, store
from chalicelib.domain import clock, contacts, tokens
from chalicelib.domain.buildings import validate_building, validate_lot
from chalicelib.domain.forms import Acceptance, NewRequest
from chalicelib.usecases import tickets

MANAGER_EMAIL = "claire.martin@gestion-demo.fr"


def seed() -> None:
    now = clock.now()
    manager = directory.save_manager("Claire Martin", MANAGER_EMAIL)
    plumber = directory.save_contractor(
        name="Karim Benali", company="Plomberie Benali", trade="Plombier",
        phone=contacts.normalise_phone("06 12 34 56 78"), email=contacts.normalise_email("karim@plomberie-benali.fr"),
        channels=["sms", "email"])
    electrician = directory.save_contractor(
        name="Sophie Durand", company="Durand Électricité", trade="Électricienne",
        phone=contacts.normalise_phone("07 81 22 33 44"), email=contacts.normalise_email("contact@durand-elec.fr"),
        channels=["email"])
    locksmith = directory.save_contractor(
        name="Marc Lefèvre", company="Serrurerie Lefèvre", trade="Serrurier",
        phone=contacts.normalise_phone("+33 6 45 67 89 01"), email=contacts.normalise_email("marc@serrurerie-lefevre.fr"),
        channels=["sms"], language="fr")

    lilas_card, _ = validate_building({"name": "Résidence Les Lilas", "street": "14 rue des Lilas", "postal_code": "69003",
                                       "city": "Lyon", "access_notes": "Digicode 4521B. Gardienne présente le matin.",
                                       "caretaker_name": "Mme Rossi", "caretaker_phone": "04 78 12 34 56"})
    assert lilas_card is not None
    lilas = buildings.create_building(lilas_card, now)
    for number, floor, occupant in (("12", "3", "Mme Martin"), ("14", "4", "M. Petit")):
        lot, _ = validate_lot({"lot_number": number, "floor": floor, "occupant_name": occupant})
        assert lot is not None
        buildings.add_lot(lilas.building_id, lot)

    def request(contractor_channels: tuple[str, ...], title: str, description: str, address: str,
                access: str = "", urgency: str = "normal", kind: str = "intervention") -> NewRequest:
        return NewRequest("", kind, title, description, address, access, urgency, contractor_channels)

    tickets.create_request(manager, plumber, request(
        ("sms", "email"), "Fuite sous l'évier, cuisine du lot 12",
        "La locataire signale une fuite sous l'évier depuis ce matin. Le robinet d'arrêt a été fermé.",
        "14 rue des Lilas, 69003 Lyon", "Digicode 4521B, 3e étage gauche. Gardienne présente le matin.", "urgent"), now,
        building=lilas, lot_number="12")

    accepted = tickets.create_request(manager, electrician, request(
        ("email",), "Remplacement du tableau électrique des communs",
        "Le disjoncteur différentiel des parties communes saute régulièrement. Diagnostic et remplacement si besoin.",
        "8 avenue Jean Jaurès, 69007 Lyon", "Local technique au sous-sol, clé chez la gardienne."), now)
    planned = clock.paris(now + timedelta(days=3)).replace(hour=9, minute=30)
    tickets.accept_request(store.load_ticket(accepted.ticket_id),
                           Acceptance(planned.date().isoformat(), "09:30", "Je passerai d'abord voir la gardienne."),
                           tokens.new_random_secret(), now)

    refused = tickets.create_request(manager, locksmith, request(
        ("sms",), "Changement de serrure, porte du local vélos",
        "Serrure forcée, à remplacer par un cylindre européen 30x30.", "22 quai Perrache, 69002 Lyon"), now)
    tickets.refuse_request(store.load_ticket(refused.ticket_id),
                           "Indisponible cette semaine, je peux passer à partir de lundi prochain.",
                           tokens.new_random_secret(), now)

    tickets.create_request(manager, plumber, request(
        ("email",), "Devis : remplacement du chauffe-eau collectif",
        "Le chauffe-eau de 300 L de la chaufferie a 18 ans. Merci de chiffrer son remplacement à l'identique.",
        "14 rue des Lilas, 69003 Lyon", "Chaufferie au sous-sol, badge à récupérer à l'agence.", kind="quote"), now,
        building=lilas)
