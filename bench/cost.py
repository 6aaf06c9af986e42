"""What 1,000 full lifecycles cost on AWS (eu-west-3), from counted calls (`make bench`, `make bench-package`).

    .venv/bin/python -m bench.cost

One real lifecycle runs against an embedded moto server on loopback: request → accept → presence →
end of work (with a proof photo) → invoice request → invoice (a PDF) → close, through the API (Chalice's
test client), the stream dispatcher (the local pump), and the Scheduler's fires. Every botocore call is
counted per Lambda function (pynamodb's included); DynamoDB read/write units come from the sizes of
the items read and written (before and after images, GSI copies, transactions at twice the price);
each handler call is one invocation, timed here (warm, against moto: an estimate of the time on AWS)
and billed at its memory size from .chalice/config.json; SMS parts come from the texts sent (GSM-7 or
UCS-2). The prices are list prices, below, with their page; the sum is split into infrastructure
and messages. Free tiers are left out; CloudWatch (logs, metrics, alarms) and data transfer too.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib.domain import gsm7

ROOT = Path(__file__).resolve().parent.parent
LIFECYCLES = 1000

# -- eu-west-3 (Paris) list prices, USD, on-demand, first tier, without free tiers. Recorded for
# -- 2026-11 from the pages named (this machine has no internet: re-check them before quoting).
LAMBDA_PER_GB_SECOND = 0.0000166667  # https://aws.amazon.com/lambda/pricing/ (x86, first 6 B GB-s)
LAMBDA_PER_REQUEST = 0.20 / 1e6  # https://aws.amazon.com/lambda/pricing/
API_GATEWAY_PER_REQUEST = 3.70 / 1e6  # https://aws.amazon.com/api-gateway/pricing/ (REST, first 333 M)
DYNAMODB_PER_WRITE_UNIT = 0.7363 / 1e6  # https://aws.amazon.com/dynamodb/pricing/on-demand/ (since the 2024-11 cut)
DYNAMODB_PER_READ_UNIT = 0.1473 / 1e6  # https://aws.amazon.com/dynamodb/pricing/on-demand/
DYNAMODB_PER_GB_MONTH = 0.2970  # https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class)
S3_PER_WRITE_REQUEST = 0.0053 / 1000  # https://aws.amazon.com/s3/pricing/ (PUT, COPY, POST, LIST)
S3_PER_READ_REQUEST = 0.00042 / 1000  # https://aws.amazon.com/s3/pricing/ (GET, HEAD, SELECT)
S3_PER_GB_MONTH = 0.024  # https://aws.amazon.com/s3/pricing/ (Standard, first 50 TB)
SCHEDULER_PER_INVOCATION = 1.00 / 1e6  # https://aws.amazon.com/eventbridge/pricing/ (Scheduler)
SES_PER_EMAIL = 0.10 / 1000  # https://aws.amazon.com/ses/pricing/ (outbound email)
SMS_FRANCE_PER_PART = 0.0760  # https://aws.amazon.com/end-user-messaging/pricing/ (France, outbound, per part)

# The test files are a few hundred bytes; storage is priced for what a phone sends.
# The links in the SMS point at the stage's origin (README's deploy example), not the bench's loopback.
PRODUCTION_ORIGIN = "https://relais.gestion-demo.fr"
PHOTO_BYTES = 2_500_000
PDF_BYTES = 250_000
DYNAMODB_ITEM_OVERHEAD_BYTES = 100  # per item stored (DynamoDB's storage accounting)

# -- SMS parts: GSM 03.38 (7-bit; the extension table counts twice) or UCS-2 -------------------------
GSM_BASIC, GSM_EXTENSION = gsm7.BASIC, gsm7.EXTENSION


def sms_parts(text: str) -> tuple[int, str]:
    """(parts, encoding): 160 GSM-7 septets in one part or 153 per part when split; 70 UCS-2 code
    units in one part or 67 per part (what SNS / End User Messaging bill)."""
    if gsm7.is_gsm7(text):
        septets = gsm7.septets(text)
        return (1 if septets <= gsm7.ONE_SEGMENT else math.ceil(septets / 153)), "GSM-7"
    units = len(text.encode("utf-16-le")) // 2
    return (1 if units <= 70 else math.ceil(units / 67)), "UCS-2"


# -- DynamoDB units from item sizes ----------------------------------------------------------------

def _number_size(text: str) -> int:
    digits = len(text.lstrip("-").replace(".", "").strip("0")) or 1
    return (digits + 1) // 2 + 1


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value (its sizing rules, from the developer guide)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in inner.items())  # M


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


def read_units(size: int, factor: float) -> float:
    return max(1, math.ceil(size / 4096)) * factor


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


@dataclass
class Table:
    keys: tuple[str, ...]
    indexes: list[tuple[str, ...]]  # each GSI's key attributes (all project ALL or KEYS_ONLY: sized as ALL)


@dataclass
class Usage:
    """What one function did: invocations with their durations, calls, units."""

    durations_ms: list[float] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0


class Meter:
    """Counts every botocore call per Lambda function (the one running when the call is made)."""

    def __init__(self) -> None:
        self.usage: dict[str, Usage] = defaultdict(Usage)
        self.function: str | None = None
        self._tables: dict[str, Table] = {}
        self._raw: Callable[..., Any] | None = None
        self._overhead_s = 0.0  # the meter's own look-ups, taken out of the durations

    def _lookup(self, client: Any, operation: str, params: dict[str, Any]) -> Any:
        assert self._raw is not None
        started = time.perf_counter()
        try:
            return self._raw(client, operation, params)
        finally:
            self._overhead_s += time.perf_counter() - started

    @contextmanager
    def installed(self) -> Iterator[Meter]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        self._raw = original
        meter = self

        def counting(client: Any, operation: str, params: Any) -> Any:
            if meter.function is None:  # the bench's own look-ups
                return original(client, operation, params)
            service = client.meta.service_model.service_name
            meter.usage[meter.function].calls[f"{service}:{operation}"] += 1
            if service != "dynamodb":
                return original(client, operation, params)
            writes = meter._writes(client, operation, params)
            before = [meter._image(client, table, key) for table, key, _, _ in writes]
            response = original(client, operation, params)
            meter._account_reads(operation, params, response)
            for (table, key, kind, transactional), old in zip(writes, before, strict=True):
                meter._account_write(meter._table(client, table), kind, transactional, old,
                                     meter._image(client, table, key))
            return response

        BaseClient._make_api_call = counting  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]

    @contextmanager
    def running(self, function: str) -> Iterator[None]:
        """One invocation of `function`: its calls are counted to it, its duration recorded."""
        outer, self.function = self.function, function
        started, overhead = time.perf_counter(), self._overhead_s
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started - (self._overhead_s - overhead)
            self.usage[function].durations_ms.append(elapsed * 1000)
            self.function = outer

    # DynamoDB ---------------------------------------------------------------------------------
    def _table(self, client: Any, name: str) -> Table:
        if name not in self._tables:
            described = self._lookup(client, "DescribeTable", {"TableName": name})["Table"]
            keys = tuple(k["AttributeName"] for k in described["KeySchema"])
            indexes = [tuple(k["AttributeName"] for k in index["KeySchema"])
                       for index in described.get("GlobalSecondaryIndexes", [])]
            self._tables[name] = Table(keys, indexes)
        return self._tables[name]

    def _writes(self, client: Any, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, bool]]:
        """(table, key, kind, transactional) of each item the call writes or checks."""
        def key_of(table: str, spec: dict[str, Any]) -> dict[str, Any]:
            return spec["Key"] if "Key" in spec else {k: spec["Item"][k] for k in self._table(client, table).keys}

        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return [(params["TableName"], key_of(params["TableName"], params), operation, False)]
        if operation == "TransactWriteItems":
            return [(spec["TableName"], key_of(spec["TableName"], spec), kind, True)
                    for entry in params["TransactItems"] for kind, spec in entry.items()]
        if operation == "BatchWriteItem":
            return [(table, key_of(table, next(iter(request.values()))), "BatchWrite", False)
                    for table, requests in params["RequestItems"].items() for request in requests]
        return []

    def _image(self, client: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._lookup(client, "GetItem", {"TableName": table, "Key": key,
                                                                         "ConsistentRead": True}).get("Item")
        return found

    def _account_write(self, table: Table, kind: str, transactional: bool, old: dict[str, Any] | None,
                       new: dict[str, Any] | None) -> None:
        assert self.function is not None
        usage = self.usage[self.function]
        size = max(item_size(old), item_size(new))
        usage.write_units += write_units(size) * (2 if transactional else 1)
        if kind == "ConditionCheck":
            return
        for index in table.indexes:
            was = old is not None and all(k in old for k in index)
            now = new is not None and all(k in new for k in index)
            moved = was and now and any(old[k] != new[k] for k in index)  # type: ignore[index]
            copies = (2 if moved else 1) if (was or now) else 0  # a key change deletes one copy, writes another
            usage.write_units += copies * write_units(item_size(new) or item_size(old))

    def _account_reads(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        assert self.function is not None
        usage = self.usage[self.function]
        factor = 1.0 if params.get("ConsistentRead") else 0.5
        if operation == "GetItem":
            usage.read_units += read_units(item_size(response.get("Item")), factor)
        elif operation in ("Query", "Scan"):
            usage.read_units += read_units(sum(item_size(i) for i in response.get("Items", [])), factor)
        elif operation == "BatchGetItem":
            usage.read_units += sum(read_units(item_size(i), 1.0 if params["RequestItems"][t].get("ConsistentRead") else 0.5)
                                    for t, items in response.get("Responses", {}).items() for i in items)
        elif operation == "TransactGetItems":
            usage.read_units += sum(read_units(item_size(r.get("Item")), 2.0) for r in response.get("Responses", []))


# -- the lifecycle ---------------------------------------------------------------------------------

class MeteredHttp:
    """The Chalice test client's http, each request one API Gateway request and one api_handler
    invocation."""

    def __init__(self, http: Any, meter: Meter) -> None:
        self._http, self._meter = http, meter

    def get(self, path: str, **kwargs: Any) -> Any:
        with self._meter.running("api_handler"):
            return self._http.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        with self._meter.running("api_handler"):
            return self._http.post(path, **kwargs)


@dataclass
class MeteredClient:
    http: MeteredHttp


@dataclass
class Lifecycle:
    meter: Meter
    sms: list[str]
    uploads: dict[str, int]  # kind -> count (each one browser POST to S3)
    downloads: int  # the manager opens each file once (a GET on S3 each)
    stored_items_bytes: int
    stored_items: int


def run_lifecycle() -> Lifecycle:
    """The full lifecycle once, on the moto server already configured in the environment."""
    import boto3
    from chalice.test import Client

    import app as relais_app
    from chalicelib.config import settings
    from chalicelib.data.models import ticket_pk
    from chalicelib.domain import clock
    from chalicelib.usecases import timers
    from local import resources
    from local.pump import Pump
    from tests.integration.conftest import make_people, sent_messages
    from tests.integration.test_admin import csrf_of, draft_of, signed_in_headers
    from tests.integration.test_conversation import JPEG, PDF, upload
    from tests.integration.test_timers import act, token

    meter = Meter()
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    people = make_people()
    scheduler = boto3.client("scheduler")

    def labelled(function: str, handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def invoke(event: Any, context: Any) -> Any:
            with meter.running(function):
                return handler(event, context)
        return invoke

    with Client(relais_app.app, project_dir=str(ROOT), stage_name="local") as raw_client, meter.installed():
        manager = signed_in_headers(raw_client, people)  # once a day for many tickets: not counted
        client: Any = MeteredClient(MeteredHttp(raw_client.http, meter))  # where the helpers take a Client
        pump = Pump(resources.stream_arn(settings().table_name), labelled("dispatch_outbox", relais_app.dispatch_outbox),
                    labelled("sweep_outbox", relais_app.sweep_outbox), sweep_every=1e9)
        pump.drain()  # what the sign-in sent
        meter.usage.clear()
        pump._last_sweep = time.monotonic()  # no sweep inside the lifecycle: it runs every minute anyway
        before = sent_messages(endpoint)

        def fire(ticket_id: str, step: str) -> None:
            held = scheduler.get_schedule(Name=f"{ticket_id}-{step}", GroupName=settings().schedule_group)
            with meter.running("fire_schedule"):
                assert timers.fire(json.loads(held["Target"]["Input"])) == "done"
            pump.drain()

        def step(response: Any) -> None:
            assert response.status_code in (200, 303), response.body[:300]
            pump.drain()

        form = client.http.get("/admin/tickets/new", headers=manager).body.decode()
        fields = {"csrf": csrf_of(form), "draft": draft_of(form), "request_kind": "intervention",
                  "contractor_id": people.plumber.contractor_id, "title": "Fuite sous l'évier",
                  "description": "Fuite au lot 12, sous l'évier de la cuisine.", "site_address": "14 rue des Lilas, Lyon",
                  "access_notes": "Digicode 4521B", "urgency": "urgent"}
        form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        from urllib.parse import urlencode

        created = client.http.post("/admin/tickets", headers={**form_headers, **manager}, body=urlencode(fields))
        step(created)
        sms = [m["message"] for m in sent_messages(endpoint)["sms"][len(before["sms"]):]]
        match = re.search(r"/t/([A-Z0-9]{26})/[A-Za-z0-9_-]+", sms[0])
        assert match, sms
        path, ticket_id = match.group(0), match.group(1)
        # Soon, whatever the hour the bench runs at (a time already past is refused): the timers are fired by hand.
        soon = clock.paris(clock.now() + timedelta(minutes=10))
        step(act(client, path, "answer", {"decision": "accept", "planned_date": soon.date().isoformat(),
                                          "planned_time": soon.strftime("%H:%M")}))
        fire(ticket_id, "presence_check")
        step(act(client, path, "presence", {}))
        fire(ticket_id, "completion_offer")
        html = client.http.get(path).body.decode()
        proof = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "apres.jpg", "image/jpeg",
                       JPEG)
        done_on = clock.paris(clock.now()).date().isoformat()
        step(act(client, path, "completion", [("done_on", done_on), ("proof_key", proof), ("proof_name", "apres.jpg")]))
        fire(ticket_id, "invoice_request")
        html = client.http.get(path).body.decode()
        invoice = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "facture.pdf",
                         "application/pdf", PDF)
        step(act(client, path, "invoice", [("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                           ("invoice_amount_excl", "400,00"),
                                           ("invoice_amount", "480,00"), ("invoice_number", "F-2026-118")]))
        page = client.http.get(f"/admin/tickets/{ticket_id}", headers=manager).body.decode()
        close = re.search(r'actions/close".*?name="form_id" value="([^"]+)"', page, re.S)
        assert close, "no close button on the ticket page"
        step(client.http.post(f"/admin/tickets/{ticket_id}/actions/close", headers={**form_headers, **manager},
                              body=urlencode({"csrf": csrf_of(page), "form_id": close.group(1), "reason": ""})))
        after = sent_messages(endpoint)
        with meter.running("sweep_outbox"):  # nothing due: what it costs every minute
            relais_app.sweep_outbox({}, None)
        items = boto3.client("dynamodb").query(TableName=settings().table_name, KeyConditionExpression="pk = :pk",
                                               ExpressionAttributeValues={":pk": {"S": ticket_pk(ticket_id)}})["Items"]
    texts = [m["message"].replace(settings().base_url, PRODUCTION_ORIGIN) for m in after["sms"][len(before["sms"]):]]
    return Lifecycle(meter, texts, {"photo": 1, "pdf": 1}, 2,
                     sum(item_size(i) + DYNAMODB_ITEM_OVERHEAD_BYTES for i in items), len(items))


# -- the bill --------------------------------------------------------------------------------------

def memory_sizes() -> dict[str, int]:
    """Each function's memory (MB), as .chalice/config.json gives it to the template (every stage alike)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    default = int(config.get("lambda_memory_size", 128))
    return defaultdict(lambda: default, {name: int(spec.get("lambda_memory_size", default))
                                         for name, spec in config.get("lambda_functions", {}).items()})


S3_WRITES = re.compile(r"^s3:(Put|Copy|Post|List|Create|Complete|Upload|Restore)")
S3_READS = re.compile(r"^s3:(Get|Head|Select)")


@dataclass
class Line:
    group: str  # "infrastructure" | "messages"
    service: str
    counted: str  # what was counted in one lifecycle
    usd: float  # for LIFECYCLES lifecycles


def bill(run: Lifecycle) -> list[Line]:
    memory = memory_sizes()
    usage = run.meter.usage
    n = LIFECYCLES
    lines = []
    for function in sorted(set(usage) - {"sweep_outbox"}):
        durations = usage[function].durations_ms
        gb_seconds = sum(math.ceil(ms) for ms in durations) / 1000 * memory[function] / 1024
        lines.append(Line("infrastructure", f"Lambda {function}",
                          f"{len(durations)} invocations, {sum(durations):.0f} ms at {memory[function]} MB",
                          n * (len(durations) * LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_PER_GB_SECOND)))
    api_requests = len(usage["api_handler"].durations_ms)
    lines.append(Line("infrastructure", "API Gateway (REST)", f"{api_requests} requests",
                      n * api_requests * API_GATEWAY_PER_REQUEST))
    reads = sum(u.read_units for u in usage.values())
    writes = sum(u.write_units for u in usage.values())
    dynamodb_calls = sum(c for u in usage.values() for op, c in u.calls.items() if op.startswith("dynamodb:"))
    lines.append(Line("infrastructure", "DynamoDB requests",
                      f"{dynamodb_calls} calls: {reads:g} read units, {writes:g} write units",
                      n * (reads * DYNAMODB_PER_READ_UNIT + writes * DYNAMODB_PER_WRITE_UNIT)))
    lines.append(Line("infrastructure", "DynamoDB storage, per month kept",
                      f"{run.stored_items} items, {run.stored_items_bytes / 1000:.1f} kB",
                      n * run.stored_items_bytes / 1e9 * DYNAMODB_PER_GB_MONTH))
    calls = Counter[str]()
    for u in usage.values():
        calls.update(u.calls)
    uploads = sum(run.uploads.values())
    s3_writes = uploads + sum(c for op, c in calls.items() if S3_WRITES.match(op))
    s3_reads = run.downloads + sum(c for op, c in calls.items() if S3_READS.match(op))
    lines.append(Line("infrastructure", "S3 requests",
                      f"{s3_writes} write-class ({uploads} browser uploads), {s3_reads} read-class "
                      f"({run.downloads} downloads)", n * (s3_writes * S3_PER_WRITE_REQUEST + s3_reads * S3_PER_READ_REQUEST)))
    stored = run.uploads["photo"] * PHOTO_BYTES + run.uploads["pdf"] * PDF_BYTES
    lines.append(Line("infrastructure", "S3 storage, per month kept", f"{stored / 1e6:.2f} MB (a photo, a PDF)",
                      n * stored / 1e9 * S3_PER_GB_MONTH))
    fires = len(usage["fire_schedule"].durations_ms)
    lines.append(Line("infrastructure", "EventBridge Scheduler",
                      f"{fires} fires ({calls['scheduler:CreateSchedule']} created, "
                      f"{calls['scheduler:UpdateSchedule']} updated, {calls['scheduler:DeleteSchedule']} deleted)",
                      n * fires * SCHEDULER_PER_INVOCATION))
    emails = sum(c for op, c in calls.items() if op in ("sesv2:SendEmail", "ses:SendEmail", "ses:SendRawEmail"))
    lines.append(Line("messages", "SES email", f"{emails} emails (one recipient each)", n * emails * SES_PER_EMAIL))
    assert len(run.sms) == calls["sns:Publish"], "every SMS publish was seen by the moto server"
    parts = [sms_parts(text) for text in run.sms]
    described = ", ".join(f"{p} ({encoding})" for p, encoding in parts)
    forcing = "".join(sorted({c for text in run.sms for c in text if c not in GSM_BASIC | GSM_EXTENSION}))
    described += f"; UCS-2 because of {forcing!r}" if forcing else ""
    lines.append(Line("messages", "SMS (France)", f"{len(run.sms)} SMS = {sum(p for p, _ in parts)} parts: {described}",
                      n * sum(p for p, _ in parts) * SMS_FRANCE_PER_PART))
    return lines


SWEEPS_PER_MONTH = 60 * 24 * 365 // 12  # the rate(1 minute) schedule


def sweep_per_month(run: Lifecycle) -> str:
    """The outbox sweep runs every minute whatever the traffic: a monthly cost, not a lifecycle's."""
    sweep = run.meter.usage["sweep_outbox"]
    (ms,) = sweep.durations_ms
    memory = memory_sizes()["sweep_outbox"]
    gb_seconds = math.ceil(ms) / 1000 * memory / 1024
    usd = SWEEPS_PER_MONTH * (LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_PER_GB_SECOND
                              + sweep.read_units * DYNAMODB_PER_READ_UNIT)
    calls = ", ".join(f"{op} x{c}" for op, c in sorted(sweep.calls.items()))
    return (f"plus, whatever the traffic: the outbox sweep every minute, {SWEEPS_PER_MONTH:,} invocations a month of "
            f"{ms:.0f} ms at {memory} MB ({calls}, {sweep.read_units:g} read units) = {usd:.2f} USD a month")


def report(lines: list[Line]) -> str:
    out = [f"AWS cost of {LIFECYCLES:,} full lifecycles (request → accept → presence → end of work → invoice request "
           f"→ invoice → close), eu-west-3 list prices (bench/cost.py), from the calls counted in one lifecycle:",
           "", "| group | service | counted in one lifecycle | USD per 1,000 |", "|---|---|---|---|"]
    out += [f"| {line.group} | {line.service} | {line.counted} | {line.usd:.4f} |" for line in lines]
    totals = {group: sum(line.usd for line in lines if line.group == group) for group in ("infrastructure", "messages")}
    out += ["", f"total: {sum(totals.values()):.2f} USD per 1,000 lifecycles = infrastructure {totals['infrastructure']:.2f} "
            f"+ messages {totals['messages']:.2f} (SES + SMS parts)"]
    return "\n".join(out)


@contextmanager
def links_to(origin: str) -> Iterator[None]:
    """Links in messages written with the deployed origin: an SMS is fitted to one segment around its
    link, so an origin swapped in after rendering would count parts the stage never sends."""
    from dataclasses import replace
    from unittest import mock

    from chalicelib.config import settings
    from chalicelib.data import links

    deployed = replace(settings(), base_url=origin)
    with mock.patch.object(links, "settings", lambda: deployed):
        yield


def main() -> None:
    from bench.run import bench_env, stand_in
    from local.harness import free_port

    port = free_port()
    os.environ.update(bench_env(port))
    os.environ.pop("RELAIS_DEV_OUTBOX_ARCHIVE", None)
    with stand_in(port), contextlib.redirect_stdout(io.StringIO()), links_to(PRODUCTION_ORIGIN):  # stdout: EMF lines
        run = run_lifecycle()
    print(report(bill(run)))
    print(sweep_per_month(run))


if __name__ == "__main__":
    main()
