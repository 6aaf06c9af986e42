"""One full lifecycle run the way AWS runs it, function by function, recording what each function
asks of AWS and every record the table's stream carries.

request with a photo (by the admin form) → reminder fired → accept → message with a photo → a reply
by email with a PDF (SES's receipt rule: stored raw, then receive_email) →
presence check fired → presence → end of work offered → end of work with a photo → invoice request
fired → invoice → close; plus the manager's sign-in by emailed link, an SES bounce, and two stream
batches the dispatcher never got (a crashed invocation), which the sweep sends instead.

Each Lambda function runs in its own container on AWS: entering a function forgets the signing key
another one cached, so every function's own calls are seen.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import botocore.client
import pytest
from chalice.test import Client

from chalicelib.aws import inbound
from chalicelib.data import agency, reply_addresses
from chalicelib.domain import clock
from chalicelib.domain.agency import Agency
from local import smtp
from local.stream import StreamReader
from tests.infra.test_bounces import KARIM_EMAIL, sent_email, ses_event, sns
from tests.integration.conftest import FORM_HEADERS, People, link_path, sent_messages, tomorrow_paris
from tests.integration.test_admin import csrf_of, draft_of, login_link, session_cookie
from tests.integration.test_conversation import JPEG, PDF, contractor_message, upload
from tests.integration.test_email_replies import REPLY_DOMAIN, mime
from tests.integration.test_timers import act, schedule, token


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict[str, Any]


@dataclass
class Recorder:
    """The AWS calls of each function (by its name in app.py), and the stream's records by batch."""

    calls: dict[str, list[Call]] = field(default_factory=dict)
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    acted_on: list[dict[str, Any]] = field(default_factory=list)  # records the dispatcher did something for
    lost_batches: list[list[dict[str, Any]]] = field(default_factory=list)  # never given to the dispatcher
    current: str | None = None

    @contextmanager
    def running(self, function: str) -> Iterator[None]:
        from chalicelib.aws import signing_keys

        outer, self.current = self.current, function
        signing_keys.forget()  # a fresh container: nothing cached by another function
        try:
            yield
        finally:
            self.current = outer

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Every botocore call (pynamodb's too) is counted for the function running it; every
        request the test client sends to the app runs as api_handler."""
        import app as relais_app

        original_call = botocore.client.BaseClient._make_api_call
        app_class = type(relais_app.app)
        original_app = app_class.__call__
        recorder = self

        def counted(client: Any, operation: str, params: Any) -> Any:
            if recorder.current is not None:
                service = client.meta.service_model.service_name
                recorder.calls.setdefault(recorder.current, []).append(Call(service, operation, dict(params)))
            return original_call(client, operation, params)

        def as_api_handler(app: Any, event: Any, context: Any) -> Any:
            with recorder.running("api_handler"):
                return original_app(app, event, context)

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
        app_class.__call__ = as_api_handler  # type: ignore[method-assign]
        try:
            yield
        finally:
            botocore.client.BaseClient._make_api_call = original_call  # type: ignore[method-assign]
            app_class.__call__ = original_app  # type: ignore[method-assign]

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        import app as relais_app

        handler: Callable[[dict[str, Any], Any], Any] = getattr(relais_app, function)
        with self.running(function):
            return handler(event, None)

    def records(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches for record in batch]

    def dispatch_one(self, record: dict[str, Any]) -> None:
        """dispatch_outbox with this one record (it handles each record on its own anyway), noting
        whether it did anything: an AWS call (a claim, a send) or a metric (an EMF line)."""
        calls_before = len(self.calls.get("dispatch_outbox", []))
        printed = io.StringIO()
        with redirect_stdout(printed):
            self.invoke("dispatch_outbox", {"Records": [record]})
        sys.stdout.write(printed.getvalue())
        if len(self.calls.get("dispatch_outbox", [])) > calls_before or '"_aws"' in printed.getvalue():
            self.acted_on.append(record)


class RecordingPump:
    """What Lambda does with the stream and the one-minute schedule: every batch to dispatch_outbox
    (unless told the next invocation crashes), then sweep_outbox."""

    def __init__(self, recorder: Recorder) -> None:
        from local import resources

        self._recorder = recorder
        self._reader = StreamReader(resources.stream_arn(os.environ["RELAIS_TABLE"]))
        self._crash_next = False

    def crash_next_dispatch(self) -> None:
        self._crash_next = True

    def drain(self, rounds: int = 20) -> int:
        total = 0
        for _ in range(rounds):
            records = self._reader.read()
            if records:
                self._recorder.batches.append(records)
                if self._crash_next:
                    self._crash_next = False  # the batch is lost to the dispatcher: the sweep must send it
                    self._recorder.lost_batches.append(records)
                else:
                    for record in records:
                        self._recorder.dispatch_one(record)
            self._recorder.invoke("sweep_outbox", {})
            total += len(records)
            if not records:
                break
        return total


def fire(recorder: Recorder, ticket_id: str, step: str) -> Any:
    """What EventBridge Scheduler does at the schedule's time: invoke fire_schedule with its input."""
    payload = json.loads(schedule(f"{ticket_id}-{step}")["Target"]["Input"])
    return recorder.invoke("fire_schedule", payload)


def walk(client: Client, people: People, aws: str, recorder: Recorder) -> str:
    """The whole lifecycle; returns the ticket id."""
    pump = RecordingPump(recorder)
    # The agency receives replies by email (the stack's ReplyDomain): every email carries a Reply-To.
    agency.save(Agency("Gestion Démo", "GESTDEMO", "+33478000000", "1 place Bellecour, Lyon", REPLY_DOMAIN), None,
                people.manager.manager_id)
    agency.forget()
    # The manager signs in with the emailed link.
    signed_in = client.http.post(login_link(client, pump, aws), headers=FORM_HEADERS, body="")
    assert signed_in.status_code == 303
    manager = {"Cookie": session_cookie(signed_in)}
    # As an administrateur, the manager invites a colleague, then makes them an administrateur too.
    managers = client.http.get("/admin/managers", headers=manager).body.decode()
    new_token = re.search(r'name="new_token" value="([^"]+)"', managers)
    assert new_token, "no invitation form on the managers page"
    invited = client.http.post("/admin/managers", headers={**FORM_HEADERS, **manager}, body=urlencode(
        {"csrf": csrf_of(managers), "new_token": new_token.group(1), "name": "Paul Girard",
         "email": "paul.girard@gestion-demo.fr", "language": "fr", "role": "gestionnaire"}))
    assert invited.status_code == 303
    managers = client.http.get("/admin/managers", headers=manager).body.decode()
    colleague = re.search(r'action="/admin/managers/([^/"]+)/role"', managers)
    assert colleague, "no role button for the invited manager"
    promoted = client.http.post(f"/admin/managers/{colleague.group(1)}/role", headers={**FORM_HEADERS, **manager},
                                body=urlencode({"csrf": csrf_of(managers), "role": "administrateur"}))
    assert promoted.status_code == 303
    # The request with a photo, from the admin form; the dispatcher's invocation crashes, the sweep
    # sends it (the email carries the photo).
    form = client.http.get("/admin/tickets/new", headers=manager).body.decode()
    hidden = {"csrf": csrf_of(form), "draft": draft_of(form)}
    photo = upload(client, "/admin/drafts/uploads", hidden, "evier.jpg", "image/jpeg", JPEG, manager)
    fields = [*hidden.items(), ("request_kind", "intervention"), ("contractor_id", people.plumber.contractor_id),
              ("title", "Fuite sous l'évier"), ("description", "Fuite au lot 12."),
              ("site_address", "14 rue des Lilas, Lyon"), ("access_notes", ""), ("urgency", "urgent"),
              ("file_key", photo), ("file_name", "evier.jpg")]
    created = client.http.post("/admin/tickets", headers={**FORM_HEADERS, **manager}, body=urlencode(fields))
    assert created.status_code == 303
    ticket_id = created.headers["Location"].rsplit("/", 1)[1]
    pump.crash_next_dispatch()
    pump.drain()
    path = link_path(next(m["message"] for m in sent_messages(aws)["sms"] if f"/t/{ticket_id}/" in m["message"]))
    # Unanswered: the reminder sends the request again, with its photo, through the dispatcher.
    email = sent_email(ticket_id)
    assert fire(recorder, ticket_id, "reminder") == "done"
    pump.drain()
    # SES reports the request's email as bounced.
    assert recorder.invoke("handle_bounce", sns(ses_event("Bounce", str(email.provider_id), KARIM_EMAIL)))
    pump.drain()
    # Accept, then a message with a photo (its alert to the manager is sent by the sweep too).
    assert act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(),
                                        "planned_time": "14:30"}).status_code == 303
    pump.drain()
    html = client.http.get(path).body.decode()
    photo = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "fuite.jpg", "image/jpeg", JPEG)
    assert contractor_message(client, path, "Voici la fuite.", [(photo, "fuite.jpg")]).status_code == 303
    pump.crash_next_dispatch()
    pump.drain()
    # The contractor also answers an email from their mail client, with a PDF: SES stores it raw under
    # inbound/, then invokes receive_email, which records it in the thread (its alert goes out).
    address = reply_addresses.for_contractor(ticket_id, 1)
    ses_id = smtp.new_message_id()
    inbound.store_raw(ses_id, mime(KARIM_EMAIL, address, "Devis joint.", files=(("devis.pdf", "application/pdf", PDF),)))
    assert recorder.invoke("receive_email", smtp.ses_event(ses_id, [address], KARIM_EMAIL)) == {"recorded": 1}
    pump.drain()
    # Presence at D/H, end of work with a photo, the invoice chase, the invoice, close.
    assert fire(recorder, ticket_id, "presence_check") == "done"
    pump.drain()
    assert act(client, path, "presence", {}).status_code == 303
    pump.drain()
    assert fire(recorder, ticket_id, "completion_offer") == "done"
    pump.drain()
    html = client.http.get(path).body.decode()
    proof = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "apres.jpg", "image/jpeg", JPEG)
    done = act(client, path, "completion", [("done_on", clock.paris(clock.now()).date().isoformat()),
                                            ("proof_key", proof), ("proof_name", "apres.jpg")])
    assert done.status_code == 303
    pump.drain()
    assert fire(recorder, ticket_id, "invoice_request") == "done"
    pump.drain()
    html = client.http.get(path).body.decode()
    invoice = upload(client, f"{path}/uploads", {"form_token": token(html, "messages")}, "facture.pdf",
                     "application/pdf", PDF)
    sent = act(client, path, "invoice", [("invoice_key", invoice), ("invoice_name", "facture.pdf"),
                                         ("invoice_amount_excl", "400,00"),
                                         ("invoice_amount", "480,00"), ("invoice_number", "F-2026-118")])
    assert sent.status_code == 303
    pump.drain()
    page = client.http.get(f"/admin/tickets/{ticket_id}", headers=manager).body.decode()
    close = _action_form(page, ticket_id, "close")
    closed = client.http.post(f"/admin/tickets/{ticket_id}/actions/close", headers={**FORM_HEADERS, **manager},
                              body=urlencode({"csrf": csrf_of(page), "form_id": close, "reason": ""}))
    assert closed.status_code == 303
    pump.drain()
    _large_export(client, manager)
    return ticket_id


def _large_export(client: Client, manager: dict[str, str]) -> None:
    """The invoices exported as a large export goes (to S3, a slice per request, then a download link)."""
    from chalicelib.usecases import exports

    page = client.http.get("/admin/tickets", headers=manager).body.decode()
    inline, exports.INLINE_JSON_BYTES = exports.INLINE_JSON_BYTES, -1  # any export is large here
    try:
        started = client.http.post("/admin/exports/invoices", headers={**FORM_HEADERS, **manager},
                                   body=urlencode({"csrf": csrf_of(page), "owner": "all"}))
    finally:
        exports.INLINE_JSON_BYTES = inline
    job = started.headers["Location"]
    while 'id="export-download"' not in (shown := client.http.get(job, headers=manager).body.decode()):
        client.http.post(job, headers={**FORM_HEADERS, **manager}, body=urlencode({"csrf": csrf_of(shown)}))
    assert client.http.get(f"{job}/file", headers=manager).status_code == 302


def _action_form(page: str, ticket_id: str, action: str) -> str:
    match = re.search(rf'actions/{action}".*?name="form_id" value="([^"]+)"', page, re.S)
    assert match, f"no {action} button on the ticket page of {ticket_id}"
    return match.group(1)


_walked: list[Recorder] = []


@pytest.fixture(name="lifecycle")
def lifecycle_fixture(client: Client, people: People, aws: str) -> Recorder:
    """The recorded lifecycle, walked once per session (what it recorded does not need the stand-in)."""
    if not _walked:
        recorder = Recorder()
        with recorder.installed():
            walk(client, people, aws, recorder)
        _walked.append(recorder)
    return _walked[0]
