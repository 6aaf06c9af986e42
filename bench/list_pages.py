"""Relais bench: the ticket list at scale.

Seeds 500, then 50,000 tickets into the moto server and prints the p50 latency of one page of
the ticket list (and of À traiter) at both sizes, the ratio (50,000 ÷ 500, target ≤ 1.2), and the
DynamoDB calls per page (target ≤ 2).

Run from the project root: `.venv/bin/python -m bench.list_pages` (part of `make bench`).
Tickets are written as the product stores them (ticket item + its list summaries) with
BatchWriteItem: going through the use cases would take hours on the stand-in.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.run import bench_env, stand_in
from local.harness import free_port

SMALL, LARGE = int(os.environ.get("BENCH_SMALL", "500")), int(os.environ.get("BENCH_LARGE", "50000"))
WARMUP, SAMPLES = 20, 200
TARGET_RATIO = 1.2
TARGET_CALLS = 2


def _environment(port: int) -> None:
    """The main bench's settings (bench/run.py), with a table of its own: 50,000 tickets stay apart."""
    os.environ.update({**bench_env(port), "RELAIS_TABLE": "relais-bench-list", "RELAIS_BUCKET": "relais-bench-list-files",
                       "RELAIS_SIGNING_KEY_PARAMETER": "/relais/bench/list-key", "POWERTOOLS_LOG_LEVEL": "ERROR"})


def _seed(first: int, count: int, manager: Any, contractor: Any) -> None:
    """`count` tickets, their activity spread over the past two years, in batches of 25 items."""
    import boto3

    from chalicelib.data import keys, listing
    from chalicelib.data.models import Ticket
    from chalicelib.domain import clock, ids

    client = boto3.client("dynamodb")
    table = os.environ["RELAIS_TABLE"]
    batch: list[dict[str, Any]] = []
    now = clock.now()
    from datetime import timedelta

    for n in range(first, first + count):
        ticket_id = ids.new_id()
        updated = clock.iso(now - timedelta(minutes=(n * 21) % (2 * 365 * 24 * 60)))
        ticket = Ticket(
            keys.ticket_pk(ticket_id), keys.TICKET_SK, ticket_id=ticket_id, reference=f"2026-{n:05d}",
            request_kind="intervention",
            state=("sent", "scheduled", "completed", "closed")[n % 4], title=f"Intervention {n}", description="Bench",
            site_address="1 rue du Bench, Lyon", urgency="normal", channels=["sms"], contractor_id=contractor.contractor_id,
            contractor_name=contractor.name, manager_id=manager.manager_id, manager_name=manager.name,
            manager_email=manager.email, created_at=updated, updated_at=updated, gsi1pk=keys.owner_group(manager.manager_id),
            gsi1sk=keys.activity_order(updated, ticket_id), lookup_key=keys.reference_lookup(f"2026-{n:05d}"), version=1,
        )
        for item in (ticket, *listing.summaries(ticket)):
            batch.append({"PutRequest": {"Item": item.serialize()}})
            if len(batch) == 25:
                client.batch_write_item(RequestItems={table: batch})
                batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})


def p50(call: Callable[[], Any]) -> float:
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def signed_in(client: Any, manager: Any) -> dict[str, str]:
    """The session cookie of `manager`, signed in through a login link as the email carries it."""
    from chalicelib.aws.signing_keys import signing_key
    from chalicelib.data import keys
    from chalicelib.data.models import LoginToken
    from chalicelib.domain import clock, tokens
    from chalicelib.usecases import auth

    secret = tokens.derive_login_secret(signing_key(), tokens.new_nonce())
    LoginToken(keys.login_pk(secret), keys.LOGIN_SK, manager_id=manager.manager_id,
               expires_at=clock.iso(clock.now() + auth.LOGIN_LINK_LIFETIME)).save()
    login = client.http.post(f"/admin/login/{secret}", headers={"Content-Type": "application/x-www-form-urlencoded"},
                             body="")
    return {"Cookie": login.headers["Set-Cookie"].split(";", 1)[0]}


def count_calls(call: Callable[[], Any]) -> list[str]:
    from local.harness import recording_aws_calls

    with recording_aws_calls() as calls:
        call()
    return calls.dynamodb()


def main() -> int:
    port = free_port()
    _environment(port)
    started = time.perf_counter()
    with stand_in(port, key="bench-key"):
        from chalice.test import Client

        import app as relais_app
        from chalicelib.data import directory
        manager = directory.save_manager("Claire Martin", "claire.martin@gestion-demo.fr")
        contractor = directory.save_contractor(name="Karim Benali", company="", trade="", phone="+33612345678",
                                               email=None, channels=["sms"])
        with Client(relais_app.app) as client:
            cookie = signed_in(client, manager)

            def list_page() -> None:
                response = client.http.get("/admin/tickets?owner=all", headers=cookie)
                assert response.status_code == 200 and response.body.count(b'rel="next"') == 1

            def attention_page() -> None:
                assert client.http.get("/admin", headers=cookie).status_code == 200

            figures: dict[int, tuple[float, float]] = {}
            seeded = 0
            for size in (SMALL, LARGE):
                seed_start = time.perf_counter()
                _seed(seeded, size - seeded, manager, contractor)
                seeded = size
                print(f"seeded {size:>6} tickets in {time.perf_counter() - seed_start:5.1f} s", flush=True)
                figures[size] = (p50(list_page), p50(attention_page))
            list_calls = count_calls(list_page)
            attention_calls = count_calls(attention_page)

    ratio = figures[LARGE][0] / figures[SMALL][0]
    attention_ratio = figures[LARGE][1] / figures[SMALL][1]
    print("\n== Ticket list at scale (chalice.test.Client, p50 of 200 after 20 warm-up) ==")
    for size, (list_p50, attention_p50) in figures.items():
        print(f"{size:>6} tickets: list page p50 {list_p50 * 1000:6.2f} ms · À traiter p50 {attention_p50 * 1000:6.2f} ms")
    ok_ratio = ratio <= TARGET_RATIO
    ok_calls = len(list_calls) <= TARGET_CALLS and len(attention_calls) <= TARGET_CALLS
    print(f"list page ratio {LARGE} ÷ {SMALL}: {ratio:.2f}   target ≤ {TARGET_RATIO}   {'PASS' if ok_ratio else 'FAIL'}")
    print(f"À traiter ratio (info): {attention_ratio:.2f}")
    print(f"DynamoDB calls: list page {list_calls}, À traiter {attention_calls}   target ≤ {TARGET_CALLS}   "
          f"{'PASS' if ok_calls else 'FAIL'}")
    print("\n| figure | measured | target | result |\n|---|---|---|---|")
    print(f"| list page p50, {LARGE:,} ÷ {SMALL} tickets | {ratio:.2f} ({figures[LARGE][0] * 1000:.1f} ms ÷ "
          f"{figures[SMALL][0] * 1000:.1f} ms) | ≤ {TARGET_RATIO} | {'PASS' if ok_ratio else 'FAIL'} |")
    print(f"| DynamoDB calls per page (list, À traiter) | {len(list_calls)}, {len(attention_calls)} | ≤ {TARGET_CALLS} | "
          f"{'PASS' if ok_calls else 'FAIL'} |")
    print(f"\nbench took {time.perf_counter() - started:.0f} s")
    return 0 if ok_ratio and ok_calls else 1


if __name__ == "__main__":
    raise SystemExit(main())
