"""Buildings, their lots and their tickets in the table.

A building's partition holds its profile, its lots and the words it is found by; each word item is
also under keys.building_words_group in the activity index, so what a manager types is one Query on
a prefix there, never a Scan. A ticket picked at a building gets a line in its own partition under
keys.building_tickets_group: the building's history is one Query, then the tickets themselves (one
BatchGetItem per 100) for their current state, contractor, dates and amounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.data import keys, store
from chalicelib.data.models import (
    Building,
    BuildingImport,
    BuildingVisit,
    BuildingWord,
    ImportStatus,
    Lot,
    RelaisItem,
    Ticket,
)
from chalicelib.domain import buildings, clock, ids
from chalicelib.domain.buildings import BuildingCard
from chalicelib.domain.errors import AlreadyExists, Changed

SEARCH_RESULTS = 10
SEARCH_READ = 60  # word items read by one Query: a building may match on several of its words
PAGE_SIZE = 50
_ORDER_CURSOR = re.compile(r"^.{0,400}#[0-9A-Z]{26}$")


# -- items ------------------------------------------------------------------------------------------

def profile_item(card: BuildingCard, created_at: str, import_id: str | None = None) -> Building:
    building_id = card.building_id
    return Building(
        keys.building_pk(building_id), keys.PROFILE, building_id=building_id, name=card.name, street=card.address.street,
        postal_code=card.address.postal_code, city=card.address.city, access_notes=card.access_notes,
        caretaker_name=card.caretaker_name, caretaker_phone=card.caretaker_phone, caretaker_email=card.caretaker_email,
        notes=card.notes, created_at=created_at, import_id=import_id,
        gsi1pk=keys.BUILDINGS_GROUP, gsi1sk=keys.building_order(card.name, building_id),
    )


def word_items(card: BuildingCard, import_id: str | None = None) -> list[BuildingWord]:
    building_id = card.building_id
    return [BuildingWord(keys.building_pk(building_id), keys.word_sk(word), building_id=building_id, name=card.name,
                         address=card.address.text(), import_id=import_id, gsi1pk=keys.building_words_group(word),
                         gsi1sk=keys.word_order(word, building_id))
            for word in card.search_words()]


def lot_item(building_id: str, lot: buildings.Lot, import_id: str | None = None) -> Lot:
    return Lot(keys.building_pk(building_id), keys.lot_sk(lot.number), building_id=building_id, number=lot.number,
               floor=lot.floor, occupant_name=lot.occupant_name, occupant_phone=lot.occupant_phone,
               occupant_email=lot.occupant_email, import_id=import_id)


def create_building(card: BuildingCard, now: datetime) -> Building:
    """The building, its words and lots in one transaction; AlreadyExists if its address is taken."""
    profile = profile_item(card, clock.iso(now))
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.save(profile, condition=Building.pk.does_not_exist())
            for item in [*word_items(card), *(lot_item(card.building_id, lot) for lot in card.lots)]:
                transaction.save(item)
    except TransactWriteError as exc:
        store.failed_conditions(exc)  # a busy table raises Busy
        raise AlreadyExists(card.building_id) from exc
    return profile


def card_of(building: Building) -> BuildingCard:
    return BuildingCard(building.name, buildings.Address(building.street, building.postal_code, building.city),
                        building.access_notes, building.caretaker_name, building.caretaker_phone, building.caretaker_email,
                        building.notes)


def update_building(building: Building, card: BuildingCard) -> Building:
    """New name, access notes, caretaker or notes (the address is the building's identity): the
    profile and its words in one transaction. Refused (Changed) while the import that created the
    building is unfinished: rolling it back must find the words it wrote."""
    updated = profile_item(card, building.created_at, building.import_id)
    kept = set(card.search_words())
    gone = [word for word in card_of(building).search_words() if word not in kept]
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            if building.import_id:
                transaction.condition_check(BuildingImport, keys.import_pk(building.import_id), keys.IMPORT_SK,
                                            condition=BuildingImport.pk.does_not_exist()
                                            | BuildingImport.status.is_in(ImportStatus.DONE, ImportStatus.CANCELLED))
            transaction.save(updated, condition=Building.pk.exists())
            for item in word_items(card, building.import_id):
                transaction.save(item)
            for word in gone:
                transaction.delete(BuildingWord(keys.building_pk(building.building_id), keys.word_sk(word)))
    except TransactWriteError as exc:
        store.failed_conditions(exc)
        raise Changed(building.building_id) from exc
    return updated


def add_lot(building_id: str, lot: buildings.Lot) -> Lot:
    """A new lot of an existing building; AlreadyExists if the building has one of that number."""
    item = lot_item(building_id, lot)
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.condition_check(Building, keys.building_pk(building_id), keys.PROFILE,
                                        condition=Building.pk.exists())
            transaction.save(item, condition=Lot.pk.does_not_exist())
    except TransactWriteError as exc:
        failed = store.failed_conditions(exc)
        raise AlreadyExists(building_id if 0 in failed else item.sk) from exc
    return item


# -- reading ----------------------------------------------------------------------------------------

def get_building(building_id: str) -> Building | None:
    if not ids.looks_valid(building_id):
        return None
    try:
        return Building.get(keys.building_pk(building_id), keys.PROFILE)
    except Building.DoesNotExist:
        return None


@dataclass
class BuildingView:
    building: Building
    lots: list[Lot] = field(default_factory=list)


def load_building(building_id: str) -> BuildingView | None:
    """The building and its lots: one Query on its partition (lots in number order)."""
    if not ids.looks_valid(building_id):
        return None
    view: BuildingView | None = None
    lots: list[Lot] = []
    for item in RelaisItem.query(keys.building_pk(building_id), filter_condition=RelaisItem.item_type.is_in(Building, Lot)):
        if isinstance(item, Building):
            view = BuildingView(item)
        elif isinstance(item, Lot):
            lots.append(item)
    if view is not None:
        view.lots = sorted(lots, key=lambda lot: (len(lot.number), lot.number))
    return view


def find_lot(building_id: str, number: str) -> Lot | None:
    try:
        return Lot.get(keys.building_pk(building_id), keys.lot_sk(buildings.lot_key(number)))
    except Lot.DoesNotExist:
        return None


def search(typed: str) -> list[BuildingWord]:
    """The buildings whose words start with every typed word: one Query on the longest typed word's
    prefix (none when fewer than two letters are typed)."""
    plan = buildings.search_plan(typed)
    if plan is None:
        return []
    prefix, typed_words = plan
    found: dict[str, BuildingWord] = {}
    query = RelaisItem.activity_index.query(keys.building_words_group(prefix), RelaisItem.gsi1sk.startswith(prefix),
                                            limit=SEARCH_READ, page_size=SEARCH_READ)
    for item in query:
        if (isinstance(item, BuildingWord) and item.building_id not in found
                and buildings.matches_all(typed_words, buildings.words_of(f"{item.name} {item.address}"))):
            found[item.building_id] = item
        if len(found) == SEARCH_RESULTS:
            break
    return sorted(found.values(), key=lambda item: buildings.plain(item.name))


def _start(cursor: str, pk_of: Any, sk: str, group: str) -> dict[str, dict[str, str]] | None:
    """A page's start from the last sort key shown: its item's keys derive from the id it ends with."""
    if not cursor or not _ORDER_CURSOR.match(cursor):
        return None
    item_id = cursor.rsplit("#", 1)[1]
    return {"pk": {"S": pk_of(item_id)}, "sk": {"S": sk}, "gsi1pk": {"S": group}, "gsi1sk": {"S": cursor}}


def buildings_page(cursor: str = "") -> tuple[list[Building], str]:
    """Buildings by name, PAGE_SIZE at a time (one Query), and the cursor to the next page ("" at the end)."""
    start = _start(cursor, keys.building_pk, keys.PROFILE, keys.BUILDINGS_GROUP)
    query = RelaisItem.activity_index.query(keys.BUILDINGS_GROUP, limit=PAGE_SIZE + 1, page_size=PAGE_SIZE + 1,
                                            last_evaluated_key=start)
    items = [item for item in query if isinstance(item, Building)]
    if len(items) <= PAGE_SIZE:
        return items, ""
    return items[:PAGE_SIZE], str(items[PAGE_SIZE - 1].gsi1sk)


def every_building() -> Iterator[Building]:
    """All buildings, by name (a paginated Query: for `make upgrade-data`, not for pages)."""
    for item in RelaisItem.activity_index.query(keys.BUILDINGS_GROUP):
        if isinstance(item, Building):
            yield item


def existing(wanted: dict[str, list[str]]) -> dict[str, set[str]]:
    """Of these buildings (id → the lot numbers asked about), those already saved, with which of
    those lots they already have: BatchGetItem by 100 keys, profiles then lots."""
    found: dict[str, set[str]] = {}
    for profile in Building.batch_get([(keys.building_pk(b), keys.PROFILE) for b in wanted]):
        found[profile.building_id] = set()
    lot_keys = [(keys.building_pk(b), keys.lot_sk(number)) for b in found for number in dict.fromkeys(wanted[b])]
    for lot in Lot.batch_get(lot_keys):
        found[lot.building_id].add(lot.number)
    return found


# -- its tickets ------------------------------------------------------------------------------------

def visit_item(ticket: Ticket) -> BuildingVisit:
    """The ticket's line in its building's history: saved with the ticket (a put: twice changes nothing)."""
    assert ticket.building_id
    return BuildingVisit(keys.ticket_pk(ticket.ticket_id), keys.BUILDING_VISIT_SK, building_id=ticket.building_id,
                         ticket_id=ticket.ticket_id, created_at=ticket.created_at,
                         gsi1pk=keys.building_tickets_group(ticket.building_id),
                         gsi1sk=keys.visit_order(ticket.created_at, ticket.ticket_id))


def building_tickets(building_id: str, cursor: str = "") -> tuple[list[Ticket], str]:
    """The building's tickets, newest first, PAGE_SIZE at a time: one Query, one BatchGetItem."""
    group = keys.building_tickets_group(building_id)
    start = _start(cursor, keys.ticket_pk, keys.BUILDING_VISIT_SK, group)
    query = RelaisItem.activity_index.query(group, scan_index_forward=False, limit=PAGE_SIZE + 1,
                                            page_size=PAGE_SIZE + 1, last_evaluated_key=start)
    visits = [item for item in query if isinstance(item, BuildingVisit)]
    shown = visits[:PAGE_SIZE]
    by_id = {t.ticket_id: t for t in Ticket.batch_get([(keys.ticket_pk(v.ticket_id), keys.TICKET_SK) for v in shown])}
    tickets = [by_id[v.ticket_id] for v in shown if v.ticket_id in by_id]
    return tickets, str(shown[-1].gsi1sk) if len(visits) > PAGE_SIZE else ""


def link_ticket(ticket: Ticket, building: Building) -> bool:
    """Link a ticket with a freehand address to `building` (for `make upgrade-data`): only if the
    ticket is unchanged since read and still has no building. False when it changed meanwhile."""
    ticket.building_id, ticket.building_name = building.building_id, building.name
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.update(ticket, actions=[Ticket.building_id.set(building.building_id),
                                                Ticket.building_name.set(building.name)],
                               condition=(Ticket.version == ticket.version) & Ticket.building_id.does_not_exist())
            transaction.save(visit_item(ticket))
    except TransactWriteError as exc:
        store.failed_conditions(exc)
        return False
    return True


def picked(building_id: str, lot_number: str) -> tuple[Building | None, str | None, dict[str, str]]:
    """The building and lot a new request names (both optional), or why not (errors by field)."""
    from chalicelib.domain.text import N_

    if not building_id:
        return None, None, {}
    building = get_building(building_id)
    if building is None:
        return None, None, {"building_id": N_("Cet immeuble n'existe pas (ou plus) : choisissez-en un autre.")}
    if not lot_number.strip():
        return building, None, {}
    lot = find_lot(building_id, lot_number) if len(lot_number) <= buildings.LOT_NUMBER_MAX else None
    if lot is None:
        return building, None, {"lot_number": N_("Ce lot n'existe pas dans cet immeuble.")}
    return building, lot.number, {}


# -- tickets typed before buildings (make upgrade-data) ----------------------------------------------

def freehand_matches() -> list[tuple[Ticket, Building]]:
    """Tickets with no building whose freehand address names exactly one saved building: the same
    street, and its postal code or city. A Scan of the tickets: for `make upgrade-data` only."""
    by_street: dict[str, list[Building]] = {}
    for building in every_building():
        by_street.setdefault(buildings.street_key(building.street), []).append(building)
    matches = []
    for ticket in Ticket.scan(filter_condition=Ticket.building_id.does_not_exist()):
        freehand = buildings.read_freehand(ticket.site_address)
        if freehand is None:
            continue
        found = [b for b in by_street.get(freehand.street, [])
                 if buildings.matches_freehand(buildings.Address(b.street, b.postal_code, b.city), freehand)]
        if len(found) == 1:
            matches.append((ticket, found[0]))
    return sorted(matches, key=lambda match: match[0].created_at)
