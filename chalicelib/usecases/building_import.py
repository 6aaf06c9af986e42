"""Importing buildings and lots from a CSV file: preview, confirm, write in chunks, or roll back.

1. `preview` reads the whole file (chalicelib/domain/building_csv.py) and compares it with the
   table: buildings and lots already saved are recognised by their keys (a building's id derives
   from its address) and left as they are. A file without problems gets a plan: what to write, cut
   into chunks of at most CHUNK_ITEMS items, staged in the import's own partition. No building
   and no lot is written.
2. `confirm` starts it (a second click finds it started).
3. `advance` writes the next chunks, each in ONE transaction with the import's progress (condition:
   the progress is the one read): a chunk is written whole or not at all, and exactly once even when
   two tabs or a retry advance the same import. Every item written carries the import's id.
4. When a chunk cannot be written (a building or lot created meanwhile: its put is conditioned on
   not existing), or the manager cancels, the import rolls back: the chunks written are deleted in
   reverse order, the same way, chunk by chunk, and only items carrying this import's id.

So a file is never left half-imported: the import is either done, or rolled back to nothing, or
stopped mid-way (the browser was closed, a function died) and then shown as such on the buildings
page, to resume or to cancel; its plan stays for PLAN_DAYS. Each request of the page does what
fits in BATCH_SECONDS and reports the progress, which the page shows.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.data import buildings, keys, store
from chalicelib.data.models import BuildingImport, BuildingImportPlan, ImportStatus, RelaisItem
from chalicelib.domain import building_csv, clock, ids
from chalicelib.domain.buildings import Address, BuildingCard, Lot
from chalicelib.domain.errors import NotFound
from chalicelib.domain.text import N_

CHUNK_ITEMS = 99  # + the import's progress: DynamoDB's 100 items per transaction
PAGE_BYTES = 300_000  # of plan per staged item (DynamoDB's items hold 400 KB); a chunk holds no more
PLAN_DAYS = 30
BATCH_SECONDS = 3.0
PREVIEWED, RUNNING, DONE, ROLLING_BACK, CANCELLED = (status.value for status in ImportStatus)
CONFLICT = N_("Un immeuble ou un lot du fichier a été créé entre-temps : l'import est annulé et ce qu'il avait écrit est "
              "retiré. Importez le fichier à nouveau : ce qui existe déjà sera reconnu.")

Operation = dict[str, Any]  # {"building": card} or {"lot": lot, "building_id": id}


@dataclass
class Preview:
    file: building_csv.ImportFile
    import_id: str = ""  # set when the file can be imported
    new_buildings: list[BuildingCard] = field(default_factory=list)
    new_lots: int = 0
    known_buildings: int = 0
    known_lots: int = 0


def _building_operation(card: BuildingCard) -> Operation:
    fields = asdict(card)
    fields.pop("lots")
    return {"building": fields}


def _card(fields: dict[str, Any]) -> BuildingCard:
    return BuildingCard(**{**fields, "address": Address(**fields["address"])})


def _size(operation: Operation) -> int:
    return 1 + len(_card(operation["building"]).search_words()) if "building" in operation else 1


def _bytes(value: Any) -> int:
    """As stored: pynamodb's JSONAttribute writes `json.dumps` (ASCII, so 'é' takes 6 bytes)."""
    return len(json.dumps(value))


def plan(file: building_csv.ImportFile, known: dict[str, set[str]]) -> tuple[list[list[Operation]], Preview]:
    """What to write for this file, given the buildings (and their lots) already saved, in chunks."""
    preview = Preview(file)
    operations: list[Operation] = []
    for card in file.buildings:
        saved_lots = known.get(card.building_id)
        if saved_lots is None:
            preview.new_buildings.append(card)
            operations.append(_building_operation(card))
        else:
            preview.known_buildings += 1
        for lot in card.lots:
            if saved_lots is not None and lot.number in saved_lots:
                preview.known_lots += 1
                continue
            preview.new_lots += 1
            operations.append({"lot": asdict(lot), "building_id": card.building_id})
    chunks: list[list[Operation]] = []
    room = room_bytes = 0
    for operation in operations:
        size, size_bytes = _size(operation), _bytes(operation)
        if size > room or size_bytes > room_bytes:
            chunks.append([])
            room, room_bytes = CHUNK_ITEMS, PAGE_BYTES
        chunks[-1].append(operation)
        room, room_bytes = room - size, room_bytes - size_bytes
    return chunks, preview


def preview(manager_id: str, data: bytes, now: datetime) -> Preview:
    """The file read and compared with the table; staged for `confirm` if it has no problem."""
    file = building_csv.read(data)
    if file.refused:
        return Preview(file)
    chunks, found = plan(file, buildings.existing({card.building_id: [lot.number for lot in card.lots]
                                                   for card in file.buildings}))
    if file.problems or not chunks:
        return found
    found.import_id = ids.new_id()
    _stage(found.import_id, manager_id, chunks, found, now)
    return found


def _stage(import_id: str, manager_id: str, chunks: list[list[Operation]], found: Preview, now: datetime) -> None:
    pages: list[list[list[Operation]]] = [[]]
    page_starts, used = [0], 0
    for index, chunk in enumerate(chunks):
        size = _bytes(chunk)
        if used + size > PAGE_BYTES and pages[-1]:
            pages.append([])
            page_starts.append(index)
            used = 0
        pages[-1].append(chunk)
        used += size
    expires = now + timedelta(days=PLAN_DAYS)
    for number, page in enumerate(pages):
        BuildingImportPlan(keys.import_pk(import_id), keys.plan_sk(number), chunks=page, expires=expires).save()
    BuildingImport(keys.import_pk(import_id), keys.IMPORT_SK, import_id=import_id, manager_id=manager_id,
                   page_starts=page_starts, total_chunks=len(chunks), status=PREVIEWED, buildings=len(found.new_buildings),
                   lots=found.new_lots, created_at=clock.iso(now), expires=expires).save()


def get(manager_id: str, import_id: str) -> BuildingImport:
    """This manager's import, as stored now; NotFound for another's or none."""
    if not ids.looks_valid(import_id):
        raise NotFound(import_id)
    try:
        job = BuildingImport.get(keys.import_pk(import_id), keys.IMPORT_SK, consistent_read=True)
    except BuildingImport.DoesNotExist as exc:
        raise NotFound(import_id) from exc
    if job.manager_id != manager_id:
        raise NotFound(import_id)
    return job


def _set_status(job: BuildingImport, status: str, expected: tuple[str, ...], error: str | None = None) -> BuildingImport:
    """Moves the import to `status` if it is still in one of `expected`; the import as stored after."""
    actions: list[Any] = [BuildingImport.status.set(status)]
    if error:
        actions.append(BuildingImport.error.set(error))
    if status == RUNNING:
        actions += [BuildingImport.gsi1pk.set(keys.imports_group(job.manager_id)), BuildingImport.gsi1sk.set(job.created_at)]
    if status in (DONE, CANCELLED):
        actions += [BuildingImport.gsi1pk.remove(), BuildingImport.gsi1sk.remove()]  # off the unfinished list
    try:
        job.update(actions=actions, condition=BuildingImport.status.is_in(*expected))
    except UpdateError as exc:
        store.failed_conditions(exc)  # moved on meanwhile (a second click, another tab): as stored, below
    return get(job.manager_id, job.import_id)


def confirm(manager_id: str, import_id: str) -> BuildingImport:
    """Starts writing a previewed import (a second confirmation finds it started)."""
    return _set_status(get(manager_id, import_id), RUNNING, (PREVIEWED,))


def cancel(manager_id: str, import_id: str) -> BuildingImport:
    """Stops an import and rolls back what it wrote (advance() does the deleting)."""
    return _set_status(get(manager_id, import_id), ROLLING_BACK, (RUNNING,))


def unfinished(manager_id: str) -> list[BuildingImport]:
    """This manager's imports started and neither done nor rolled back (one Query)."""
    return [item for item in RelaisItem.activity_index.query(keys.imports_group(manager_id))
            if isinstance(item, BuildingImport) and item.status in (RUNNING, ROLLING_BACK)]


# -- writing and rolling back, chunk by chunk ------------------------------------------------------------

def _items(operation: Operation, import_id: str, now: datetime) -> list[RelaisItem]:
    if "building" in operation:
        card = _card(operation["building"])
        return [buildings.profile_item(card, clock.iso(now), import_id), *buildings.word_items(card, import_id)]
    return [buildings.lot_item(operation["building_id"], Lot(**operation["lot"]), import_id)]


class _Plan:
    """The plan's pages, read as the chunks are reached (one GetItem per page)."""

    def __init__(self, job: BuildingImport) -> None:
        self.job = job
        self.pages: dict[int, list[list[Operation]]] = {}

    def chunk(self, index: int) -> list[Operation]:
        stored: Any = self.job.page_starts
        starts = [int(start) for start in stored]
        page = max(number for number, start in enumerate(starts) if start <= index)
        if page not in self.pages:
            item = BuildingImportPlan.get(keys.import_pk(self.job.import_id), keys.plan_sk(page), consistent_read=True)
            self.pages[page] = item.chunks
        return self.pages[page][index - starts[page]]


def _progress(transaction: TransactWrite, job: BuildingImport, done: int, step: int, status: str) -> None:
    transaction.update(job, actions=[BuildingImport.done_chunks.set(done + step)],
                       condition=(BuildingImport.done_chunks == done) & (BuildingImport.status == status))


def _write_chunk(job: BuildingImport, plan: _Plan, done: int, now: datetime) -> bool:
    """Chunk `done` with the progress, in one transaction. False when an item of it exists already."""
    items = [item for operation in plan.chunk(done) for item in _items(operation, job.import_id, now)]
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            for item in items:
                transaction.save(item, condition=type(item).pk.does_not_exist())
            _progress(transaction, job, done, 1, RUNNING)
    except TransactWriteError as exc:
        return len(items) in store.failed_conditions(exc)  # the progress moved (another tab): read it again
    return True


def _delete_chunk(job: BuildingImport, plan: _Plan, done: int, now: datetime) -> None:
    """Chunk `done - 1` deleted with the progress, in one transaction: only this import's own items."""
    items = [item for operation in plan.chunk(done - 1) for item in _items(operation, job.import_id, now)]
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            for item in items:
                kind: Any = type(item)
                transaction.delete(item, condition=(kind.import_id == job.import_id) | kind.pk.does_not_exist())
            _progress(transaction, job, done, -1, ROLLING_BACK)
    except TransactWriteError as exc:
        store.failed_conditions(exc)  # the progress moved (another tab): read it again


def _finished(job: BuildingImport) -> BuildingImport:
    """Done once every chunk is written; cancelled once every chunk written is deleted."""
    if job.status == RUNNING and int(job.done_chunks) >= int(job.total_chunks):
        return _set_status(job, DONE, (RUNNING,))
    if job.status == ROLLING_BACK and int(job.done_chunks) <= 0:
        return _set_status(job, CANCELLED, (ROLLING_BACK,))
    return job


def advance(manager_id: str, import_id: str, now: datetime, seconds: float = BATCH_SECONDS) -> BuildingImport:
    """Writes (or, rolling back, deletes) chunks for about `seconds`, one at least; the import as
    stored after."""
    job = _finished(get(manager_id, import_id))
    plan = _Plan(job)
    until = time.monotonic() + seconds
    while job.status in (RUNNING, ROLLING_BACK):
        done = int(job.done_chunks)
        if job.status == RUNNING and not _write_chunk(job, plan, done, now):
            job = _finished(_set_status(job, ROLLING_BACK, (RUNNING,), CONFLICT))
            continue
        if job.status == ROLLING_BACK:
            _delete_chunk(job, plan, done, now)
        job = _finished(get(manager_id, import_id))
        plan.job = job
        if time.monotonic() >= until:
            break
    return job
