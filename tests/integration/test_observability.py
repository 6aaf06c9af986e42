"""What the functions print, run as Lambda runs them: `app.app(event, context)` for the API (an API
Gateway proxy event, or chalice.test's client, which makes one per request) and the other
functions with their event shapes, each invocation with its own Lambda context.

Everything they print to stdout/stderr is kept, as CloudWatch Logs would get it, with a root
handler like the Lambda runtime's (plain text) for whatever reaches the root logger, at the prod
stage's log level (INFO). Then: one JSON line per event, the request id and the ticket as
`correlation_id` on every line, through the API, the stream, the timers, the sends and the bounces;
no phone number, email address or link secret anywhere; and every dashboard metric fired.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

import app as relais_app
from chalicelib.data import links, store
from chalicelib.domain import clock
from chalicelib.outbox.metrics import STEP_METRICS
from tests.infra.test_bounces import notifications, ses_event, sns
from tests.integration.conftest import FORM_HEADERS, People, sent_messages, tomorrow_paris
from tests.integration.test_admin import csrf_of, draft_of, login_link, session_cookie
from tests.integration.test_conversation import JPEG, PDF, upload
from tests.integration.test_timers import act, schedule, token

Handler = Callable[[dict[str, Any], Any], Any]


# --- running the functions as Lambda does, and reading what they print ----------------------------------

def invoke(function: str, handler: Handler, event: dict[str, Any]) -> Any:
    """One invocation of a function, with a Lambda context of its own (its request id)."""
    return handler(event, LambdaContext(f"relais-prod-{function}", 256))


class Lambdas:
    """The stream, the timers and the sweep as AWS drives them, through the functions' handlers."""

    def __init__(self) -> None:
        from local import resources
        from local.stream import StreamReader

        self._stream = StreamReader(resources.stream_arn(os.environ["RELAIS_TABLE"]))

    def drain(self) -> None:
        """Every stream record so far, to dispatch_outbox (in batches, as the event source does)."""
        for _ in range(20):
            records = self._stream.read()
            if not records:
                return
            invoke("dispatch_outbox", relais_app.dispatch_outbox, {"Records": records})

    def sweep(self) -> Any:
        return invoke("sweep_outbox", relais_app.sweep_outbox, {})

    def fire(self, ticket_id: str, step: str) -> str:
        """What EventBridge Scheduler does at the schedule's time: the schedule's input, to fire_schedule."""
        payload = json.loads(schedule(f"{ticket_id}-{step}")["Target"]["Input"])
        return str(invoke("fire_schedule", relais_app.fire_schedule, payload))

    def bounce(self, message_id: str, address: str) -> Any:
        return invoke("handle_bounce", relais_app.handle_bounce, sns(ses_event("Bounce", message_id, address)))


class _RuntimeHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The Lambda runtime's root handler: what reaches the root logger is printed as plain text,
    but for the `relais` loggers (Powertools filters them out of the root handlers it finds when the
    app is imported). Only the invocation's own thread (the moto server here has its own threads)."""

    def __init__(self, stream: io.StringIO) -> None:
        from aws_lambda_powertools.logging.filters import SuppressFilter

        super().__init__(stream)
        self.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(message)s"))
        self.addFilter(SuppressFilter("relais"))
        self._thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self._thread and super().filter(record)


@contextmanager
def printed() -> Iterator[list[str]]:
    """The lines the functions print while inside (filled in on the way out)."""
    from chalicelib.outbox import dispatcher
    from chalicelib.usecases import bounces, timers

    assert bounces.logger and dispatcher.logger and timers.logger  # loaded: their loggers get the prod level below
    buffer = io.StringIO()
    names = ["relais", *(n for n in logging.root.manager.loggerDict if n.startswith("relais."))]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    streams = [(handler, handler.setStream(buffer)) for logger in loggers for handler in logger.handlers
               if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith("_pytest")]
    for logger in loggers:
        logger.setLevel(logging.INFO)  # the prod stage's POWERTOOLS_LOG_LEVEL (.chalice/config.json)
    runtime = _RuntimeHandler(buffer)
    logging.root.addHandler(runtime)
    lines: list[str] = []
    try:
        with redirect_stdout(buffer), redirect_stderr(buffer):
            yield lines
    finally:
        logging.root.removeHandler(runtime)
        for handler, stream in streams:
            handler.setStream(stream)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        lines.extend(line for line in buffer.getvalue().splitlines() if line.strip())


def as_json(lines: list[str]) -> list[dict[str, Any]]:
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(parsed[-1], dict), line
    return parsed


def is_metric(line: dict[str, Any]) -> bool:
    return "_aws" in line


def metric_series(lines: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    """(metric, dimension, value, ...) of every EMF line, as a dashboard names a series."""
    series = set()
    for line in filter(is_metric, lines):
        for directive in line["_aws"]["CloudWatchMetrics"]:
            (dimensions,) = directive["Dimensions"]
            for metric in directive["Metrics"]:
                series.add((metric["Name"], *(part for name in dimensions for part in (name, line[name]))))
    return series


# --- what people do, through the API ------------------------------------------------------------------

def api_gateway_event(method: str, path: str, resource: str, path_parameters: dict[str, str]) -> dict[str, Any]:
    """A REST API proxy event as API Gateway sends it (trimmed to what the app reads)."""
    return {"resource": resource, "path": path, "httpMethod": method, "headers": {"Host": "relais.example.fr"},
            "multiValueHeaders": {"Host": ["relais.example.fr"]}, "queryStringParameters": None,
            "multiValueQueryStringParameters": None, "pathParameters": path_parameters, "stageVariables": None,
            "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/prod{path}",
                               "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "stage": "prod",
                               "identity": {"sourceIp": "203.0.113.7"}},
            "body": None, "isBase64Encoded": False}


def sign_in(client: Client, lambdas: Lambdas, aws: str) -> tuple[dict[str, str], str]:
    """The manager's session, opened with the emailed link; and the link's secret."""
    path = login_link(client, lambdas, aws)
    response = client.http.post(path, headers=FORM_HEADERS, body="")
    assert response.status_code == 303
    return {"Cookie": session_cookie(response)}, path.rsplit("/", 1)[1]


def create_request(client: Client, people: People, session: dict[str, str], kind: str = "intervention") -> str:
    form = client.http.get("/admin/tickets/new", headers=session).body.decode()
    fields = {"csrf": csrf_of(form), "draft": draft_of(form), "request_kind": kind,
              "contractor_id": people.plumber.contractor_id, "title": "Radiateur froid",
              "description": "Le radiateur du séjour reste froid.", "site_address": "3 rue Neuve, Lyon",
              "access_notes": "Code 4521B", "urgency": "normal"}
    response = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **session}, body=urlencode(fields))
    assert response.status_code == 303
    return str(response.headers["Location"]).rsplit("/", 1)[1]


def manager_does(client: Client, session: dict[str, str], ticket_id: str, action: str, reason: str = "") -> None:
    page = client.http.get(f"/admin/tickets/{ticket_id}", headers=session).body.decode()
    match = re.search(rf'actions/{action}".*?name="form_id" value="([^"]+)"', page, re.S)
    assert match, f"no {action} button on the ticket page"
    body = urlencode({"csrf": csrf_of(page), "form_id": match.group(1), "reason": reason})
    response = client.http.post(f"/admin/tickets/{ticket_id}/actions/{action}", headers={**FORM_HEADERS, **session},
                                body=body)
    assert response.status_code == 303, response.body


def contractor_link(ticket_id: str) -> str:
    link = links.current_link(store.load_ticket(ticket_id))
    assert link is not None
    return f"/t/{ticket_id}/{links.secret_of(link)}"


def contractor_does(client: Client, path: str, action: str, fields: list[tuple[str, str]] | dict[str, str]) -> None:
    response = act(client, path, action, fields)
    assert response.status_code == 303, response.body


def uploaded(client: Client, path: str, name: str, content_type: str, data: bytes) -> str:
    html = client.http.get(path).body.decode()
    return upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, name, content_type, data)


def today() -> str:
    return clock.paris(clock.now()).date().isoformat()


def state(ticket_id: str) -> str:
    return str(store.load_ticket(ticket_id).ticket.state)


def intervention_to_closed(client: Client, lambdas: Lambdas, session: dict[str, str], ticket_id: str) -> str:
    """Accept → presence → end of work → invoice request → invoice → close. Returns the contractor's link."""
    path = contractor_link(ticket_id)
    contractor_does(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "14:30"})
    lambdas.drain()
    assert lambdas.fire(ticket_id, "presence_check") == "done"
    lambdas.drain()
    contractor_does(client, path, "presence", {})
    lambdas.drain()
    assert lambdas.fire(ticket_id, "completion_offer") == "done"
    lambdas.drain()
    proof = uploaded(client, path, "apres.jpg", "image/jpeg", JPEG)
    contractor_does(client, path, "completion", [("done_on", today()), ("proof_key", proof), ("proof_name", "apres.jpg")])
    lambdas.drain()
    assert lambdas.fire(ticket_id, "invoice_request") == "done"
    lambdas.drain()
    invoice = uploaded(client, path, "facture.pdf", "application/pdf", PDF)
    contractor_does(client, path, "invoice", [("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                              ("invoice_amount_excl", "400,00"),
                                              ("invoice_amount", "480,00"), ("invoice_number", "F-2026-118")])
    lambdas.drain()
    manager_does(client, session, ticket_id, "close")
    lambdas.drain()
    assert state(ticket_id) == "closed"
    return path


@pytest.fixture
def lambdas(aws: str) -> Lambdas:
    return Lambdas()


# --- the tests ----------------------------------------------------------------------------------------

def test_a_page_served_as_lambda_serves_it_prints_one_json_line(client: Client, people: People, lambdas: Lambdas) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(people)
    path = contractor_link(ticket.ticket_id)
    secret = path.rsplit("/", 1)[1]
    with printed() as lines:
        response = invoke("api_handler", relais_app.app, api_gateway_event(
            "GET", path, "/t/{ticket_id}/{secret}", {"ticket_id": ticket.ticket_id, "secret": secret}))
    assert response["statusCode"] == 200
    [line] = as_json(lines)  # once, as JSON: not a second time as Chalice's plain text
    assert line["message"] == "request" and line["route"] == "/t/{ticket_id}/{secret}" and line["status"] == 200
    assert line["correlation_id"] == ticket.ticket_id and line["request_id"]
    assert line["api_request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert secret not in json.dumps(line)

    with printed() as lines:
        lambdas.drain()
    dispatched = as_json(lines)
    sent = [line for line in dispatched if line.get("message") == "notification sent"]
    delivered = {n.notification_id for n in notifications(ticket.ticket_id) if n.status == "sent"}
    assert len(delivered) >= 2  # the SMS, the email, the timers
    assert sorted(line["notification_id"] for line in sent) == sorted(delivered)  # each once
    assert all(line["correlation_id"] == ticket.ticket_id and line["request_id"] for line in dispatched)


def test_one_query_by_ticket_follows_it_through_every_function_and_no_line_holds_a_contact_or_a_secret(
        client: Client, people: People, lambdas: Lambdas, aws: str) -> None:
    with printed() as lines:
        session, login = sign_in(client, lambdas, aws)
        ticket_id = create_request(client, people, session)
        lambdas.drain()
        path = intervention_to_closed(client, lambdas, session, ticket_id)
        lambdas.sweep()
        email = next(m for m in sent_messages(aws)["email"]
                     if m["destinations"]["ToAddresses"] == [people.plumber.email])
        assert lambdas.bounce(email["id"], str(people.plumber.email)) in ({"recorded": 1}, {"rerouted": 1})
        lambdas.drain()
    logged = as_json(lines)

    assert all(line.get("request_id") for line in logged), "a line without the Lambda request id"
    requests = [line for line in logged if line.get("message") == "request"]
    assert len({line["request_id"] for line in requests}) == len(requests)  # one line per API invocation
    for line in logged:  # a line about a ticket is found by the ticket's id
        if line.get("ticket_id"):
            assert line.get("correlation_id") == line["ticket_id"], line
        if "{ticket_id}" in str(line.get("route")):
            assert line.get("correlation_id"), line
        if is_metric(line) and metric_series([line]) & {(name, "service", "relais") for name in STEP_METRICS.values()}:
            assert line.get("correlation_id"), line  # a ticket step
    followed = [line for line in logged if line.get("correlation_id") == ticket_id]
    functions = {line.get("function_name") for line in followed}
    assert {"relais-prod-dispatch_outbox", "relais-prod-fire_schedule", "relais-prod-handle_bounce"} <= functions
    routes = {line.get("route") for line in followed}
    assert {None, "/admin/tickets", "/t/{ticket_id}/{secret}/{action}", "/admin/tickets/{ticket_id}"} <= routes
    assert {line["message"] for line in followed if "message" in line} >= {"request", "notification sent", "timer fired",
                                                                            "ses event"}
    assert any(is_metric(line) and line.get("correlation_id") == ticket_id for line in logged)

    text = "\n".join(lines)
    private = [people.plumber.phone, "0612345678", "612345678", people.plumber.email, people.manager.email,
               path.rsplit("/", 1)[1], login]
    for value in private:
        assert value and value not in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "an email address in the logs"
    assert not re.search(r"\+\d{8,15}", text), "a phone number in the logs"


def test_every_dashboard_metric_receives_a_value_over_a_lifecycle(client: Client, people: People, lambdas: Lambdas,
                                                                   aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.outbox import dispatcher
    from infra.dashboard import dashboard_body

    with printed() as lines:
        session, _ = sign_in(client, lambdas, aws)
        # A quote rejected; a quote accepted that becomes the intervention, walked to closed.
        rejected = create_request(client, people, session, "quote")
        accepted = create_request(client, people, session, "quote")
        lambdas.drain()
        for ticket_id in (rejected, accepted):
            path = contractor_link(ticket_id)
            pdf = uploaded(client, path, "devis.pdf", "application/pdf", PDF)
            contractor_does(client, path, "quote", [("amount_excl", "1 500,00"), ("amount_incl", "1 800,00"),
                                                    ("valid_until", tomorrow_paris()), ("quote_key", pdf),
                                                    ("quote_name", "devis.pdf")])
        lambdas.drain()
        manager_does(client, session, rejected, "reject_quote", "Trop cher.")
        manager_does(client, session, accepted, "accept_quote")
        lambdas.drain()
        intervention_to_closed(client, lambdas, session, accepted)

        # Refused; unanswered then cancelled; completed with the invoice at once; a message.
        refused = create_request(client, people, session)
        lambdas.drain()
        contractor_does(client, contractor_link(refused), "answer", {"decision": "refuse", "reason": "Pas disponible."})
        unanswered = create_request(client, people, session)
        lambdas.drain()
        assert lambdas.fire(unanswered, "reminder") == "done"
        assert lambdas.fire(unanswered, "answer_overdue") == "done"
        manager_does(client, session, unanswered, "cancel", "Plus nécessaire.")
        lambdas.drain()
        at_once = create_request(client, people, session)
        lambdas.drain()
        path = contractor_link(at_once)
        contractor_does(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
        photo = uploaded(client, path, "photo.jpg", "image/jpeg", JPEG)
        invoice = uploaded(client, path, "facture.pdf", "application/pdf", PDF)
        contractor_does(client, path, "completion", [("done_on", today()), ("proof_key", photo), ("proof_name", "photo.jpg"),
                                                     ("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                                     ("invoice_amount_excl", "75"),
                                                     ("invoice_amount", "90"), ("invoice_number", "F-7")])
        contractor_does(client, path, "messages", {"body": "Facture jointe, merci."})
        lambdas.drain()

        # Deliveries: the provider fails every try for one ticket (retried, then failed), an address bounces
        # (re-routed to SMS next time), and the sweep says how old the oldest waiting item is.
        failing = create_request(client, people, session)
        real_send = dispatcher._send

        def provider_down(notification: Any, senders: Any) -> str:
            if notification.ticket_id == failing:
                raise ConnectionError("provider down")
            return real_send(notification, senders)

        monkeypatch.setattr(dispatcher, "_send", provider_down)
        lambdas.drain()
        for _ in range(3):
            lambdas.sweep()
        monkeypatch.setattr(dispatcher, "_send", real_send)
        email = next(m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == [people.plumber.email])
        lambdas.bounce(email["id"], str(people.plumber.email))
        create_request(client, people, session)
        lambdas.drain()
        lambdas.sweep()
    logged = as_json(lines)

    fired = metric_series(logged)
    body = dashboard_body(["api_handler"])
    shown = {tuple(series[1:]) for widget in body["widgets"] for series in widget["properties"]["metrics"]
             if series[0] == "Relais"}
    assert shown, "the dashboard shows no Relais metric"
    assert not shown - fired, f"dashboard metrics that never received a value: {sorted(shown - fired)}"
    assert not any(line.get("message") == "event type without a metric" for line in logged)
