"""`make bench-soak N=1000`: does `make run` hold a long working day? (not part of `make test`)

Starts `make run` on its own ports with a fresh data folder, then walks N tickets through their
whole life over HTTP as browsers would (forms and their tokens, links read from the dev outbox,
timers fired from /dev/schedules, files uploaded to the presigned POST): request → accept →
presence → end of work (with a photo) → invoice (PDF) → close. At checkpoints it prints the
moto server's RSS, the dev outbox's read time, the contractor form's GET p50 and a
TransactWriteItems p50 (half of them failing their condition, as a 409 does). Then it stops
`make run` with SIGTERM to its process group and starts it again, and kills the group with
SIGKILL after a few more tickets, and counts what came back each time.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from local.harness import wait_until

ROOT = Path(__file__).resolve().parent.parent
MOTO_PORT = int(os.environ.get("MOTO_PORT", "4604"))
PORT = int(os.environ.get("PORT", "8104"))
BASE = f"http://127.0.0.1:{PORT}"
MOTO = f"http://127.0.0.1:{MOTO_PORT}"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MOTO_CLIENT = {"endpoint_url": MOTO, "region_name": "eu-west-3", "aws_access_key_id": "local",
               "aws_secret_access_key": "local"}
CHECKPOINTS = (50, 100, 250, 500, 1000, 2000)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies, forms and no automatic redirects: what the bench needs of a browser."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method: str, url: str, fields: dict[str, Any] | list[tuple[str, str]] | None = None,
                body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        data = body if body is not None else (urllib.parse.urlencode(fields, doseq=True).encode() if fields is not None else None)
        target = url if url.startswith("http") else BASE + url
        request = urllib.request.Request(target, data=data, method=method, headers={
            "Origin": BASE, **({"Content-Type": "application/x-www-form-urlencoded"} if fields is not None else {}),
            **(headers or {})})
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, dict(response.headers), response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def get(self, url: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", url)

    def post(self, url: str, fields: dict[str, Any] | list[tuple[str, str]]) -> tuple[int, dict[str, str], str]:
        return self.request("POST", url, fields)


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not match:
        raise AssertionError(f"no {name} in the page")
    return match.group(1)


def outbox(limit: int = 200) -> list[dict[str, Any]]:
    return list(json.loads(urllib.request.urlopen(f"{BASE}/dev/outbox.json?limit={limit}", timeout=60).read()))


def contractor_link(ticket_id: str, after: str = "") -> str:
    """The newest link to this ticket's form the contractor got (by SMS or email)."""
    def probe() -> str | None:
        for message in outbox():
            for link in message["links"]:
                if f"/t/{ticket_id}/" in link and link != after:
                    return str(link)
        return None
    return str(wait_until(f"a link for {ticket_id}", probe, 60))


class Soak:
    def __init__(self) -> None:
        self.manager = Browser()
        self.form_times: list[float] = []
        self.dev_csrf = ""

    def sign_in(self) -> None:
        email = "claire.martin@gestion-demo.fr"
        status, _, _ = self.manager.post("/admin/login", {"email": email})
        assert status == 200, status

        def link() -> str | None:
            for message in outbox():
                found = [u for u in message["links"] if "/admin/login/" in u]
                if message["to"] == email and found:
                    return found[0]
            return None
        url = wait_until("the login email", link, 60)
        status, _, _ = self.manager.post(url, {})
        assert status in (302, 303), status
        _, _, page = Browser().get("/dev/schedules")
        self.dev_csrf = field(page, "csrf")

    def contractor_id(self) -> str:
        _, _, page = self.manager.get("/admin/tickets/new")
        match = re.search(r'<option value="([0-9A-Z]{26})"[^>]*>[^<]*Karim', page)
        assert match, "no Karim Benali in the contractor list"
        return match.group(1)

    def create(self, contractor_id: str, number: int) -> str:
        status, _, page = self.manager.get("/admin/tickets/new")
        assert status == 200, status
        status, headers, body = self.manager.post("/admin/tickets", [
            ("csrf", field(page, "csrf")), ("draft", field(page, "draft")), ("request_kind", "intervention"),
            ("contractor_id", contractor_id), ("title", f"Fuite n°{number}, lot {number % 40}"),
            ("description", "La locataire signale une fuite sous l'évier. Robinet d'arrêt fermé."),
            ("site_address", "14 rue des Lilas, 69003 Lyon"), ("access_notes", "Digicode 4521B"),
            ("urgency", "normal"), ("channels", "sms"), ("channels", "email")])
        assert status == 303, (status, body[:300])
        return headers["Location"].rstrip("/").rsplit("/", 1)[1]

    def form(self, browser: Browser, link: str) -> str:
        started = time.perf_counter()
        status, _, page = browser.get(link)
        self.form_times.append(time.perf_counter() - started)
        assert status == 200, (status, link)
        return page

    def fire(self, ticket_id: str, step: str) -> None:
        def fired() -> bool:
            status, headers, _ = Browser().post("/dev/schedules/fire", {"csrf": self.dev_csrf, "name": f"{ticket_id}-{step}"})
            return status == 303 and "fired=done" in headers.get("Location", "")
        wait_until(f"the {step} timer of {ticket_id}", fired, 60)

    def upload(self, browser: Browser, link: str, token: str, name: str, kind: str, data: bytes) -> tuple[str, str]:
        status, _, body = browser.post(f"{link}/uploads", {"form_token": token, "filename": name, "content_type": kind,
                                                            "size": str(len(data))})
        assert status == 200, (status, body[:300])
        post = json.loads(body)
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in post["fields"].items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     f"Content-Type: {kind}\r\n\r\n".encode() + data + f"\r\n--{boundary}--\r\n".encode())
        status, _, body = browser.request("POST", post["url"], body=b"".join(parts),
                                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert status in (200, 201, 204), (status, body[:300])
        return str(post["key"]), str(post["name"])

    def submit(self, browser: Browser, link: str, action: str, fields: list[tuple[str, str]]) -> None:
        status, _, body = browser.post(f"{link}/{action}", fields)
        assert status == 303, (action, status, re.sub(r"\s+", " ", body)[:400])

    def lifecycle(self, contractor_id: str, number: int) -> str:
        ticket_id = self.create(contractor_id, number)
        phone = Browser()
        link = contractor_link(ticket_id)
        page = self.form(phone, link)
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        self.submit(phone, link, "answer", [("form_token", field(page, "form_token")), ("decision", "accept"),
                                            ("planned_date", tomorrow), ("planned_time", "09:30"), ("comment", "")])
        self.fire(ticket_id, "presence_check")
        page = self.form(phone, link)
        self.submit(phone, link, "presence", [("form_token", field(page, "form_token"))])
        page = self.form(phone, link)
        token = field(page, "form_token")
        photo = self.upload(phone, link, token, "photo-fin.jpg", "image/jpeg", JPEG)
        self.submit(phone, link, "completion", [("form_token", token), ("done_on", date.today().isoformat()),
                                                ("comment", "Joint remplacé."), ("proof_key", photo[0]),
                                                ("proof_name", photo[1])])
        page = self.form(phone, link)
        token = field(page, "form_token")
        invoice = self.upload(phone, link, token, f"facture-{number}.pdf", "application/pdf", PDF)
        self.submit(phone, link, "invoice", [("form_token", token),
                                             ("invoice_amount_excl", "150,00"), ("invoice_amount", "180,00"),
                                             ("invoice_number", f"F-{number}"), ("invoice_key", invoice[0]),
                                             ("invoice_name", invoice[1])])
        _, _, page = self.manager.get(f"/admin/tickets/{ticket_id}")
        close = re.search(r'action="/admin/tickets/[^/]+/actions/close".*?</form>', page, re.S)
        assert close, "no close form on the ticket page"
        status, _, _ = self.manager.post(f"/admin/tickets/{ticket_id}/actions/close",
                                         {"csrf": field(close.group(0), "csrf"), "form_id": field(close.group(0), "form_id")})
        assert status == 303, status
        return ticket_id


# -- figures ----------------------------------------------------------------------------------------

def moto_pid() -> int:
    from local.run import _listener_pid

    pid = _listener_pid(MOTO_PORT)
    assert pid is not None
    return pid


def rss_mb() -> float:
    status = Path(f"/proc/{moto_pid()}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def timed(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def transaction_p50() -> float:
    """TransactWriteItems on the app's table: one that commits, one that fails its condition."""
    import boto3

    client = boto3.client("dynamodb", **MOTO_CLIENT)
    key = {"pk": {"S": "SOAK#probe"}, "sk": {"S": "probe"}}
    flip = [0]

    def one() -> None:
        flip[0] += 1
        condition = "attribute_not_exists(pk)" if flip[0] % 2 else "attribute_exists(nothing_here)"
        try:
            client.transact_write_items(TransactItems=[
                {"Update": {"TableName": "relais", "Key": key, "UpdateExpression": "SET n = :n",
                            "ExpressionAttributeValues": {":n": {"N": str(flip[0])}}}},
                {"ConditionCheck": {"TableName": "relais", "Key": {"pk": {"S": "SOAK#other"}, "sk": {"S": "x"}},
                                    "ConditionExpression": condition}}])
        except client.exceptions.TransactionCanceledException:
            pass
    p50 = timed(one, 20)
    client.delete_item(TableName="relais", Key=key)
    return p50


def counts() -> dict[str, int]:
    import boto3

    options = MOTO_CLIENT
    kinds: dict[str, int] = {}
    for page in boto3.client("dynamodb", **options).get_paginator("scan").paginate(TableName="relais"):
        for item in page["Items"]:
            kind = item.get("item_type", {}).get("S", "other")
            kinds[kind] = kinds.get(kind, 0) + 1
    s3 = boto3.client("s3", **options)
    pages = s3.get_paginator("list_object_versions").paginate(Bucket="relais-files")
    files = sum(len(page.get("Versions", [])) for page in pages)
    messages = json.loads(urllib.request.urlopen(f"{MOTO}/moto-api/relais/messages?limit=1").read())["total"]
    schedules = len(json.loads(urllib.request.urlopen(f"{MOTO}/moto-api/relais/schedules?group=relais").read())["schedules"])
    return {"tickets": kinds.get("ticket", 0), "events": kinds.get("event", 0), "items": sum(kinds.values()),
            "files": files, "messages": int(messages), "timers": schedules}


# -- make run -----------------------------------------------------------------------------------------

def start(data_dir: str, log: Path, moto_port: int = MOTO_PORT, port: int = PORT) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RELAIS_LOCAL_DIR": data_dir}
    offset = log.stat().st_size if log.exists() else 0
    runner = subprocess.Popen(["make", "run", f"MOTO_PORT={moto_port}", f"PORT={port}", f"SMTP_PORT={port + 1000}"],
                              cwd=ROOT, env=env,
                              stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
    wait_until("make run", lambda: b"Relais is running" in log.read_bytes()[offset:] or runner.poll() is not None, 600)
    assert runner.poll() is None, log.read_text()[-2000:]
    return runner


def stop(runner: subprocess.Popen[bytes], how: signal.Signals, ports: tuple[int, ...] = (MOTO_PORT, PORT)) -> None:
    os.killpg(runner.pid, how)
    runner.wait(timeout=600)
    wait_until("the ports to be free", lambda: not any(_listening(p) for p in ports), 60)


def compare(small: str, large: str, samples: int = 200) -> None:
    """The form GET on a stand-in holding the tickets of `small` ÷ one holding those of `large`
    (data folders of earlier soaks), both up at once and timed in turns: a busy moment of the
    machine weighs on both sides, so the ratio says what the table's size costs."""
    from bench.run import interleaved

    sides = [(small, MOTO_PORT, PORT), (large, MOTO_PORT + 1, PORT + 1)]
    runners = [start(folder, Path(folder) / "make-run.log", moto, port) for folder, moto, port in sides]
    try:
        links = []
        for folder, moto, port in sides:
            sent = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/dev/outbox.json?limit=50", timeout=60).read())
            sent_to = next(u for m in sent for u in m["links"] if "/t/" in u)
            link = f"http://127.0.0.1:{port}/t/" + sent_to.split("/t/", 1)[1]  # sent when it ran on other ports
            links.append(link)
            print(f"{folder}: {count_tickets(moto)} tickets, form {link.split('/t/')[0]}/t/…", flush=True)
        small_times, large_times = interleaved(lambda: Browser().get(links[0]), lambda: Browser().get(links[1]),
                                               warmup=20, samples=samples)
        small_p50, large_p50 = (statistics.median(t) * 1000 for t in (small_times, large_times))
        print(f"form GET p50: {large_p50:.1f} ms ÷ {small_p50:.1f} ms = {large_p50 / small_p50:.2f} "
              f"({samples} GETs each, in turns)", flush=True)
    finally:
        for runner, (_, moto, port) in zip(runners, sides, strict=True):
            stop(runner, signal.SIGTERM, (moto, port))


def count_tickets(moto_port: int) -> int:
    import boto3

    client = boto3.client("dynamodb", **{**MOTO_CLIENT, "endpoint_url": f"http://127.0.0.1:{moto_port}"})
    pages = client.get_paginator("scan").paginate(
        TableName="relais", Select="COUNT", FilterExpression="item_type = :t", ExpressionAttributeValues={":t": {"S": "ticket"}})
    return sum(page["Count"] for page in pages)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--resume", default="", help="the data folder of an earlier soak: go on from its tickets")
    parser.add_argument("--compare", nargs=2, metavar=("SMALL", "LARGE"),
                        help="data folders of two earlier soaks: the form GET of each, side by side")
    arguments = parser.parse_args()
    if arguments.compare:
        sys.path.insert(0, str(ROOT))
        return compare(*arguments.compare)
    sys.path.insert(0, str(ROOT))
    total = arguments.tickets
    data_dir = arguments.resume or tempfile.mkdtemp(prefix="relais-soak-")
    log = Path(data_dir) / "make-run.log"
    print(f"make bench-soak: up to {total} tickets, {arguments.workers} lifecycles at a time, data in {data_dir}", flush=True)
    runner = start(data_dir, log)
    if arguments.resume:
        print(f"Resumed (make run restored {data_dir}): {counts()}", flush=True)
    soak = Soak()
    soak.sign_in()
    contractor = soak.contractor_id()
    print("| tickets | moto RSS (MB) | /dev/outbox.json p50 (ms) | /dev/outbox p50 (ms) | form GET p50 (ms) "
          "| TransactWriteItems p50 (ms) | min/lifecycle |", flush=True)
    print("|---|---|---|---|---|---|---|", flush=True)
    done, started, window = counts()["tickets"] if arguments.resume else 0, time.monotonic(), time.monotonic()
    marks = [c for c in CHECKPOINTS if done < c < total] + [total]
    sample_link = ""
    with ThreadPoolExecutor(arguments.workers) as pool:
        for mark in marks:
            for ticket_id in pool.map(lambda n: soak.lifecycle(contractor, n), range(done + 1, mark + 1)):
                sample_link = sample_link or contractor_link(ticket_id)
            per = (time.monotonic() - window) / 60 / max(mark - done, 1)
            done, window = mark, time.monotonic()
            form = timed(lambda link=sample_link: Browser().get(link), 20)  # type: ignore[misc]
            print(f"| {done} | {rss_mb():.0f} | {timed(lambda: outbox(100), 5):.0f} | "
                  f"{timed(lambda: Browser().get('/dev/outbox'), 5):.0f} | {form:.1f} | {transaction_p50():.1f} | {per:.3f} |",
                  flush=True)
    print(f"\n{done} lifecycles in {(time.monotonic() - started) / 60:.1f} min", flush=True)

    time.sleep(8)  # the last changes reach the outbox and the periodic save
    before = counts()
    stop(runner, signal.SIGTERM)
    runner = start(data_dir, log)
    after = counts()
    print(f"\nSIGTERM to the process group, then make run: before {before}\n{'':52}after  {after}", flush=True)

    for number in range(done + 1, done + 6):
        soak.create(contractor, number)
    time.sleep(20)  # more than 15 s: the periodic save has them
    before = counts()
    stop(runner, signal.SIGKILL)
    runner = start(data_dir, log)
    after = counts()
    print(f"kill -9 of the process group 20 s after 5 new tickets: before {before}\n{'':52}after  {after}", flush=True)
    stop(runner, signal.SIGTERM)


if __name__ == "__main__":
    main()
