"""What the exports hold: the filtered ticket list, and the invoices, as CSV rows French Excel opens.

The tickets come from the list's own reading (`listing.tickets_page`, page after page, with the
list's filters), each page's tickets in one BatchGetItem: an export costs its pages, never a Scan,
and knows nothing of how the list finds them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib import i18n
from chalicelib.aws import export_files
from chalicelib.data import export_jobs, keys, listing
from chalicelib.data.models import ExportJob, RelaisItem, Ticket
from chalicelib.domain import clock, spreadsheet
from chalicelib.domain.lifecycle import State
from chalicelib.domain.text import N_
from chalicelib.i18n.formatting import label, local_datetime

KINDS = ("tickets", "invoices")
INVOICED_STATES = (State.INVOICED.value, State.CLOSED.value)
# Where a ticket names its building and lot (the buildings' version adds them): read defensively.
BUILDING_ATTRIBUTES = ("building_name",)
LOT_ATTRIBUTES = ("lot_number", "lot_label", "lot_name")

TICKET_COLUMNS = (
    N_("Référence"), N_("Titre"), N_("Immeuble"), N_("Adresse"), N_("Lot"), N_("Intervenant"), N_("Entreprise"),
    N_("Gestionnaire"), N_("État"), N_("Urgence"), N_("Date prévue"), N_("Heure prévue"), N_("Créé le"),
    N_("Dernière activité"), N_("Devis HT"), N_("Devis TVA"), N_("Devis TTC"), N_("Facture n°"), N_("Facture HT"),
    N_("Facture TVA"), N_("Facture TTC"),
)
INVOICE_COLUMNS = (
    N_("Référence"), N_("Immeuble"), N_("Adresse"), N_("Lot"), N_("Intervenant"), N_("Entreprise"), N_("Titre"),
    N_("Date d'intervention"), N_("Terminé le"), N_("Facture n°"), N_("Taux de TVA (%)"), N_("Montant HT"), N_("TVA"),
    N_("Montant TTC"),
)


def _first(ticket: Ticket, names: tuple[str, ...]) -> str:
    return next((str(value) for name in names if (value := getattr(ticket, name, None))), "")


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _day(value: str | None) -> str:
    """'2026-12-01' → '01/12/2026', as French Excel reads a date."""
    return "/".join(reversed(value.split("-"))) if value else ""


def _ticket_row(ticket: Ticket, language: str) -> list[spreadsheet.Cell]:
    quote, invoice = ticket.quote or {}, ticket.invoice or {}
    return [
        ticket.reference, ticket.title, _first(ticket, BUILDING_ATTRIBUTES), ticket.site_address,
        _first(ticket, LOT_ATTRIBUTES), ticket.contractor_name, ticket.contractor_company, ticket.manager_name,
        label(ticket.state, "state", language), label(ticket.urgency, "urgency", language), _day(ticket.planned_date),
        ticket.planned_time or "", local_datetime(ticket.created_at), local_datetime(ticket.updated_at),
        _decimal(quote.get("amount_excl")), _decimal(quote.get("vat_amount")), _decimal(quote.get("amount_incl")),
        invoice.get("number"), _decimal(invoice.get("amount_excl")), _decimal(invoice.get("vat_amount")),
        _decimal(invoice.get("amount_incl") or invoice.get("amount")),
    ]


def _invoice_row(ticket: Ticket, language: str) -> list[spreadsheet.Cell]:
    invoice = ticket.invoice or {}
    return [
        ticket.reference, _first(ticket, BUILDING_ATTRIBUTES), ticket.site_address, _first(ticket, LOT_ATTRIBUTES),
        ticket.contractor_name, ticket.contractor_company, ticket.title, _day(ticket.planned_date),
        local_datetime(ticket.completed_at), invoice.get("number"), str(invoice.get("vat_rate") or "").replace(".", ","),
        _decimal(invoice.get("amount_excl")), _decimal(invoice.get("vat_amount")),
        _decimal(invoice.get("amount_incl") or invoice.get("amount")),
    ]


def _tickets(ticket_ids: list[str]) -> list[Ticket]:
    """The tickets of one list page, in its order: one BatchGetItem (a page holds at most 100)."""
    found = {item.ticket_id: item for item in RelaisItem.batch_get([(keys.ticket_pk(t), keys.TICKET_SK) for t in ticket_ids])
             if isinstance(item, Ticket)}
    return [found[t] for t in ticket_ids if t in found]


@dataclass(frozen=True)
class Slice:
    text: str
    rows: int
    position: dict[str, Any] | None  # where the next slice starts reading; None after the last


def _steps(kind: str, filters: listing.Filters) -> list[listing.Filters]:
    """The list readings an export walks: the list itself, or its invoiced then its closed tickets."""
    if kind == "tickets":
        return [filters]
    return [replace(filters, state=state) for state in INVOICED_STATES if filters.state in ("", state)]


def slices(kind: str, filters: listing.Filters, language: str, position: dict[str, Any] | None = None) -> Iterator[Slice]:
    """The CSV after its header, one list page at a time, from `position` (the start by default)."""
    steps = _steps(kind, filters)
    step, cursor = int((position or {}).get("step", 0)), (position or {}).get("cursor")
    row = _ticket_row if kind == "tickets" else _invoice_row
    while step < len(steps):
        page = listing.tickets_page(steps[step], cursor)
        tickets = [t for t in _tickets([str(item.ticket_id) for item in page.items]) if kind == "tickets" or t.invoice]
        step, cursor = (step, page.next_cursor) if page.next_cursor else (step + 1, None)
        text = spreadsheet.rows_text(row(ticket, language) for ticket in tickets) if tickets else ""
        yield Slice(text, len(tickets), {"step": step, "cursor": cursor} if step < len(steps) else None)


def header(kind: str, language: str) -> str:
    columns = TICKET_COLUMNS if kind == "tickets" else INVOICE_COLUMNS
    return spreadsheet.BOM + spreadsheet.rows_text([[i18n.translate(language, column) for column in columns]])


# -- one response, or a file in S3 written a slice per request -------------------------------------

# Lambda answers API Gateway with at most 6 MB of JSON, in which every accented letter of the body
# takes 6 bytes (\\u00e9): beyond this, the export goes to S3 and its page shows the progress.
INLINE_JSON_BYTES = int(os.environ.get("RELAIS_EXPORT_INLINE_BYTES", "5000000"))  # lower: tests, a tight API
SLICE_SECONDS = 8.0  # of reading per request, well inside API Gateway's 29 s


def _json_size(text: str) -> int:
    return len(json.dumps(text)) - 2


def export(manager_id: str, kind: str, query: dict[str, str], filters: listing.Filters, language: str,
           now: datetime) -> str | ExportJob:
    """The whole CSV when it fits in one response and is read in a slice's time; else an export job,
    what was read so far written as its first slice."""
    text, size, rows, started = [header(kind, language)], 0, 0, time.monotonic()
    for piece in slices(kind, filters, language):
        text.append(piece.text)
        size, rows = size + _json_size(piece.text), rows + piece.rows
        too_long = size > INLINE_JSON_BYTES or time.monotonic() - started > SLICE_SECONDS
        if too_long and piece.position is not None:
            job = export_jobs.create(manager_id, kind, language, query, now)
            if export_jobs.claim(job, now):
                _Writer(job, "".join(text).encode("utf-8")).pause(rows, piece.position)
            return job
    return "".join(text)


def advance(job: ExportJob, filters: listing.Filters, now: datetime) -> ExportJob:
    """One more slice of a running export (nothing if another request holds it); the job as it is now."""
    if not export_jobs.claim(job, now):
        return job
    written = export_files.read_tail(_key(job, "tail")) if job.upload_id else header(job.kind, job.language).encode()
    writer = _Writer(job, written)  # nothing written yet when its first slice could not be taken
    rows, started = int(job.rows), time.monotonic()
    for piece in slices(job.kind, filters, job.language, job.position):
        writer.add(piece.text.encode("utf-8"))
        rows += piece.rows
        if piece.position is None:
            writer.finish(rows, now)
            return job
        if time.monotonic() - started > SLICE_SECONDS:
            writer.pause(rows, piece.position)
            return job
    writer.finish(rows, now)  # the last page had been read: what remains is the tail
    return job


def download_url(job: ExportJob, day: str) -> str:
    return export_files.download_url(_key(job, "csv"), f"relais-{job.kind}-{day}.csv")


def _key(job: ExportJob, suffix: str) -> str:
    return keys.export_object_key(job.manager_id, job.job_id, suffix)


class _Writer:
    """The export's file: parts of at least S3's smallest size as they fill, the rest kept as the tail."""

    def __init__(self, job: ExportJob, buffer: bytes) -> None:
        self.job, self.buffer = job, buffer
        self.upload_id = job.upload_id or export_files.start(_key(job, "csv"))
        self.parts: list[dict[str, Any]] = list(job.parts or [])

    def add(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= export_files.PART_BYTES:
            self._send()

    def _send(self) -> None:
        self.parts.append(export_files.send_part(_key(self.job, "csv"), self.upload_id, len(self.parts) + 1, self.buffer))
        self.buffer = b""

    def pause(self, rows: int, position: dict[str, Any]) -> None:
        if len(self.buffer) >= export_files.PART_BYTES:
            self._send()
        export_files.write_tail(_key(self.job, "tail"), self.buffer)
        export_jobs.save_slice(self.job, upload_id=self.upload_id, parts=self.parts, rows=rows, position=position)

    def finish(self, rows: int, now: datetime) -> None:
        if self.buffer or not self.parts:
            self._send()
        export_files.finish(_key(self.job, "csv"), self.upload_id, self.parts)
        export_jobs.save_slice(self.job, upload_id=self.upload_id, parts=self.parts, rows=rows, position=None,
                               status="done", finished_at=clock.iso(now))
