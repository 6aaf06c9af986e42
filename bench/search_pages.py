"""Relais bench: search at scale.

Seeds a table of 500 tickets and one of 50,000 in the same moto server, then times, for a few
searches (a word, the start of a word, two words, part of a reference), the search page on each
table in turns, and prints the p50 ratio (50,000 ÷ 500, target ≤ 1.3) and the DynamoDB calls of a
search (target ≤ 3).
Each search fills a page (or finds the same few tickets) at both sizes: what grows is the table,
and the tickets that match, not the page.

Run from the project root: `.venv/bin/python -m bench.search_pages` (part of `make bench`).
Tickets are written as the product stores them (the ticket, its list summaries and its words)
with BatchWriteItem: going through the use cases would take hours on the stand-in.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from bench.list_pages import count_calls, signed_in
from bench.run import bench_env, stand_in
from local.harness import free_port

SMALL, LARGE = int(os.environ.get("BENCH_SMALL", "500")), int(os.environ.get("BENCH_LARGE", "50000"))
TARGET_RATIO = 1.3
TARGET_CALLS = 3
WARMUP, SAMPLES = int(os.environ.get("BENCH_WARMUP", "10")), int(os.environ.get("BENCH_SAMPLES", "100"))
STREETS = ("Lilas", "Tilleuls", "Platanes", "Acacias", "Marronniers", "Peupliers", "Érables", "Chênes", "Bouleaux",
           "Saules")
TITLES = ("Fuite d'eau", "Porte de garage bloquée", "Panne d'ascenseur", "Vitre cassée", "Interphone hors service")
CITIES = ("Lyon", "Villeurbanne", "Caluire")
CONTRACTORS = tuple((f"Artisan {name}", f"{trade} {name}") for name, trade in
                    [("Benali", "Plomberie"), ("Girard", "Serrurerie"), ("Morel", "Vitrerie"), ("Roux", "Électricité")])
# (label, what is typed): every one finds the same tickets' page at both sizes.
SEARCHES = (("a word", "lilas"), ("the start of a word", "lil"), ("two words", "fuite lilas"),
            ("part of a reference", "2026-0004"))


def _environment(port: int) -> None:
    os.environ.update({**bench_env(port), "RELAIS_TABLE": "relais-bench-search", "RELAIS_BUCKET": "relais-bench-search-files",
                       "RELAIS_SIGNING_KEY_PARAMETER": "/relais/bench/search-key", "POWERTOOLS_LOG_LEVEL": "ERROR"})


def _tickets(first: int, count: int, manager: Any, contractor: Any) -> Iterator[Any]:
    """`count` tickets: street n % 10 and title n % 5, so every "Lilas" ticket is a "Fuite" one."""
    from datetime import timedelta

    from chalicelib.data import keys
    from chalicelib.data.models import Ticket
    from chalicelib.domain import clock, ids

    now = clock.now()
    for n in range(first, first + count):
        ticket_id = ids.new_id()
        updated = clock.iso(now - timedelta(minutes=(n * 21) % (2 * 365 * 24 * 60)))
        name, company = CONTRACTORS[n % len(CONTRACTORS)]
        yield Ticket(
            keys.ticket_pk(ticket_id), keys.TICKET_SK, ticket_id=ticket_id, reference=f"2026-{n:05d}",
            request_kind="intervention", state=("sent", "scheduled", "completed", "closed")[n % 4],
            title=TITLES[n % len(TITLES)], description="Bench",
            site_address=f"{n % 90 + 1} allée des {STREETS[n % len(STREETS)]}, {CITIES[n % len(CITIES)]}",
            urgency="normal", channels=["sms"], contractor_id=contractor.contractor_id, contractor_name=name,
            contractor_company=company, manager_id=manager.manager_id, manager_name=manager.name,
            manager_email=manager.email, created_at=updated, updated_at=updated, gsi1pk=keys.owner_group(manager.manager_id),
            gsi1sk=keys.activity_order(updated, ticket_id), lookup_key=keys.reference_lookup(f"2026-{n:05d}"), version=1,
        )


def _seed(first: int, count: int, manager: Any, contractor: Any) -> None:
    """The tickets and every item the product derives from them (list summaries, search words), put
    straight into the stand-in's table in this process: through HTTP, 50,000 tickets (some 850,000
    items) take over an hour to seed on a loaded 2-core machine. The index cache is dropped after."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.data import listing
    from local import moto_patches

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].get_table(os.environ["RELAIS_TABLE"])
    for ticket in _tickets(first, count, manager, contractor):
        for item in (ticket, *listing.summaries(ticket)):
            table.put_item(item.serialize())
    moto_patches.forget_partitions()


def _use_table(name: str) -> None:
    """Points every model at table `name` (pynamodb reconnects when the name changes)."""
    from chalicelib.data.models import RelaisItem

    RelaisItem.Meta.table_name = name


def main() -> int:
    import statistics

    from bench.run import interleaved

    port = free_port()
    _environment(port)
    started = time.perf_counter()
    tables = {size: f"relais-bench-search-{size}" for size in (SMALL, LARGE)}
    with stand_in(port, key="bench-key"):
        import boto3
        from chalice.test import Client

        import app as relais_app
        from chalicelib.data import directory, search
        from local import resources

        cookies: dict[int, dict[str, str]] = {}
        with Client(relais_app.app) as client:
            for size, table in tables.items():
                boto3.client("dynamodb").create_table(**resources.table_definition(table))
                os.environ["RELAIS_TABLE"] = table
                _use_table(table)
                manager = directory.save_manager("Claire Martin", "claire.martin@gestion-demo.fr")
                contractor = directory.save_contractor(name="Karim Benali", company="", trade="", phone="+33612345678",
                                                       email=None, channels=["sms"])
                seed_start = time.perf_counter()
                _seed(0, size, manager, contractor)
                print(f"seeded {size:>6} tickets in {time.perf_counter() - seed_start:5.1f} s", flush=True)
                cookies[size] = signed_in(client, manager)

            def page(size: int, text: str) -> Any:
                def get() -> None:
                    _use_table(tables[size])
                    response = client.http.get(f"/admin/tickets?{urlencode({'q': text})}", headers=cookies[size])
                    assert response.status_code == 200 and b'id="ticket-list"' in response.body, text
                return get

            medians: dict[str, tuple[float, float]] = {}
            calls: dict[str, list[str]] = {}
            for _, text in SEARCHES:  # the two sizes in turns, so a busy moment of the machine weighs on both
                small, large = interleaved(page(SMALL, text), page(LARGE, text), WARMUP, SAMPLES)
                medians[text] = (statistics.median(small), statistics.median(large))
                calls[text] = count_calls(lambda text=text: search.search(text))  # type: ignore[misc]

    print(f"\n== Search at scale (chalice.test.Client, the search page, p50 of {SAMPLES} after {WARMUP} warm-up, "
          f"{SMALL} and {LARGE:,} tickets in turns) ==")
    rows, ok = [], True
    for label, text in SEARCHES:
        small, large = medians[text]
        ratio = large / small
        within = ratio <= TARGET_RATIO and len(calls[text]) <= TARGET_CALLS
        ok = ok and within
        rows.append(f"| {label} (`{text}`) | {ratio:.2f} ({large * 1000:.1f} ms ÷ {small * 1000:.1f} ms) | "
                    f"{len(calls[text])} ({', '.join(calls[text])}) | {'PASS' if within else 'FAIL'} |")
    print(f"\n| search | p50 {LARGE:,} ÷ {SMALL} tickets (target ≤ {TARGET_RATIO}) | DynamoDB calls of the search "
          f"(target ≤ {TARGET_CALLS}) | result |\n|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nbench took {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
