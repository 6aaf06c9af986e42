"""Relais bench: what the answer's timing tells an outsider (target: nothing).

Two pairs of requests, interleaved so drift on the machine hits both alike, each pair's medians
compared (the slower ÷ the faster, target ≤ 1.2):
- POST /admin/login for a manager's address ÷ for an unknown address;
- GET of the contractor form with a wrong secret, for a real ticket ÷ for a ticket id that does not exist.

Run from the project root: `.venv/bin/python -m bench.timing` (part of `make bench`). Everything runs
in-process (Chalice's test client) against an embedded moto server on 127.0.0.1, patched as in the
tests and `make run`. The limits (wrong links, sign-in emails) are raised for the run: the bench
measures the answers a guesser gets before any limit stops them.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bench.run import ROOT, bench_env, interleaved, stand_in
from local.harness import free_port

WARMUP, SAMPLES = 10, 50
TARGET_RATIO = 1.2
MESSAGES_IN_THREAD = 6
OTHER_TICKETS = 5
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _environment(port: int) -> None:
    os.environ.update({**bench_env(port), "RELAIS_TABLE": "relais-bench-timing", "RELAIS_BUCKET": "relais-bench-timing-files",
                       "RELAIS_SIGNING_KEY_PARAMETER": "/relais/bench/timing-key", "POWERTOOLS_LOG_LEVEL": "ERROR",
                       "RELAIS_WRONG_LINK_LIMIT": str(10**9)})
    os.environ.pop("RELAIS_DEV_OUTBOX_ARCHIVE", None)


def _raise_login_limits() -> None:
    from chalicelib.data import throttle

    throttle.LOGIN_EMAILS_PER_ADDRESS = throttle.LOGIN_EMAILS_PER_CLIENT = 10**9  # type: ignore[misc]


def _ticket_with_a_thread(client: Any) -> str:
    """A request accepted by the contractor, then a few messages: the partition a real ticket has."""
    from bench.run import World, _tomorrow_paris

    world = World(client)
    for _ in range(OTHER_TICKETS):
        world.new_ticket()
    ticket_id, path = world.new_ticket()

    def post(action: str, **fields: str) -> None:
        token = FORM_TOKEN.search(world.get_form(path))
        assert token, "no form token"
        response = client.http.post(f"{path}/{action}", headers=FORM_HEADERS,
                                    body=urlencode({"form_token": token.group(1), **fields}))
        assert response.status_code == 303, (action, response.status_code)

    post("answer", decision="accept", planned_date=_tomorrow_paris(), planned_time="14:30")
    for n in range(MESSAGES_IN_THREAD):
        post("messages", body=f"Message {n} : la pièce arrive demain, je passe vers 9 h.")
    return ticket_id


def _pair(name: str, slow_side: Callable[[], Any], fast_side: Callable[[], Any], labels: tuple[str, str]) -> dict[str, Any]:
    a, b = interleaved(slow_side, fast_side, WARMUP, SAMPLES)
    median_a, median_b = statistics.median(a), statistics.median(b)
    ratio = max(median_a, median_b) / min(median_a, median_b)
    ok = ratio <= TARGET_RATIO
    print(f"\n== {name} ({SAMPLES} each after {WARMUP} warm-up, interleaved) ==")
    print(f"  {labels[0]:<28}: median {median_a * 1000:7.1f} ms")
    print(f"  {labels[1]:<28}: median {median_b * 1000:7.1f} ms")
    print(f"  ratio (slower ÷ faster)     : {ratio:.2f}   target ≤ {TARGET_RATIO}   {'PASS' if ok else 'FAIL'}")
    return {"name": name, "a": median_a, "b": median_b, "ratio": ratio, "ok": ok}


def main() -> int:
    started = time.perf_counter()
    port = free_port()
    _environment(port)
    print(f"Relais timing bench — python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.2f}, moto on 127.0.0.1:{port}")
    with stand_in(port):
        from chalice.test import Client

        env = os.environ
        _raise_login_limits()
        import app as relais_app
        from chalicelib.domain import ids

        with Client(relais_app.app, project_dir=ROOT, stage_name="local") as client:
            ticket_id = _ticket_with_a_thread(client)
            known_email = "claire.martin@gestion-demo.fr"  # the manager World saved
            login_headers = {**FORM_HEADERS, "Origin": env["RELAIS_BASE_URL"]}
            unknown_count = iter(range(10**9))

            def login(email: str) -> None:
                response = client.http.post("/admin/login", headers=login_headers, body=urlencode({"email": email}))
                assert response.status_code == 200, response.status_code

            wrong = "W" * 32  # the shape of a secret, never a ticket's

            def wrong_link(ticket: str) -> None:
                assert client.http.get(f"/t/{ticket}/{wrong}").status_code == 404

            results = [  # the wrong links first: sign-in requests add items to the table
                _pair("GET /t/{ticket}/{wrong secret}", lambda: wrong_link(ticket_id), lambda: wrong_link(ids.new_id()),
                      ("a real ticket", "a ticket that does not exist")),
                _pair("POST /admin/login", lambda: login(known_email),
                      lambda: login(f"personne{next(unknown_count)}@example.com"), ("a manager's address", "an unknown address")),
            ]

    print("\n== Summary (Markdown) ==")
    print("| figure | measured | target | result |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['name']}: known ÷ unknown (slower ÷ faster) | {r['ratio']:.2f} ({r['a'] * 1000:.1f} ms vs "
              f"{r['b'] * 1000:.1f} ms) | ≤ {TARGET_RATIO} | {'PASS' if r['ok'] else 'FAIL'} |")
    print(f"\n{sum(r['ok'] for r in results)}/{len(results)} targets met; bench took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
