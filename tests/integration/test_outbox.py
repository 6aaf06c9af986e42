"""The outbox: every notification is sent once, retried on failure, and never silently lost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from chalice.test import Client

from chalicelib.aws import clients as aws_clients
from chalicelib.data import store
from chalicelib.data.models import Notification
from chalicelib.outbox import dispatcher
from local.harness import AwsCalls, recording_aws_calls
from local.stream import StreamReader
from tests.integration.conftest import People, new_ticket, sent_messages


class Outage:
    """Makes one AWS operation fail, at the botocore layer, as a network outage would."""

    def __init__(self, service: str, operation: str) -> None:
        self.calls = 0
        self._event = f"before-call.{service}.{operation}"
        self._client = aws_clients.client(service)

    def _fail(self, **_: Any) -> None:
        self.calls += 1
        raise EndpointConnectionError(endpoint_url="https://email.eu-west-3.amazonaws.com")

    def __enter__(self) -> Outage:
        self._client.meta.events.register(self._event, self._fail)
        return self

    def __exit__(self, *_: object) -> None:
        self._client.meta.events.unregister(self._event, self._fail)


def fail_for_good(pump: Any, service: str = "sns", operation: str = "Publish") -> None:
    """Every try of the pending notifications through this operation fails: they end up failed."""
    with Outage(service, operation):
        pump.drain()
        for _ in range(5):
            dispatcher.sweep()


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    yield
    aws_clients.reset_clients()


def notification(ticket_id: str, channel: str) -> Notification:
    view = store.load_ticket(ticket_id)
    return next(n for n in view.notifications if n.channel == channel and n.audience == "contractor")


def test_a_duplicate_stream_delivery_sends_nothing_twice(people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    batch = {"Records": pump._reader.read()}
    with recording_aws_calls() as calls:
        assert dispatcher.handle_stream_batch(batch) == {"batchItemFailures": []}
    # SMS, email, and the two timers a new request sets (reminder, alert if unanswered)
    assert sorted(calls.others()) == ["scheduler:CreateSchedule", "scheduler:CreateSchedule", "sesv2:SendEmail",
                                      "sns:Publish"]
    with recording_aws_calls() as calls:
        assert dispatcher.handle_stream_batch(batch) == {"batchItemFailures": []}
    assert calls.others() == []
    assert dispatcher.sweep() == {}
    sent = sent_messages(aws)
    assert len(sent["sms"]) == 1 and len(sent["email"]) == 1
    assert notification(ticket.ticket_id, "sms").status == "sent"


def test_ses_down_retries_then_marks_failed_and_the_manager_sees_it(client: Client, people: People, pump: Any,
                                                                      aws: str) -> None:
    ticket = new_ticket(people)
    with Outage("sesv2", "SendEmail") as outage:
        pump.drain()
        for _ in range(5):
            dispatcher.sweep()
    # RELAIS_NOTIFICATION_MAX_ATTEMPTS in the tests, for the request, then for the manager's alert about it
    # (SES is down for it too; an alert that fails alerts nobody: no loop).
    assert outage.calls == 3 + 3
    email = notification(ticket.ticket_id, "email")
    assert email.status == "failed" and email.attempts == 3
    assert "EndpointConnectionError" in (email.last_error or "")
    assert notification(ticket.ticket_id, "sms").status == "sent"  # one channel's outage spares the other
    view = store.load_ticket(ticket.ticket_id)
    assert [e.event_type for e in view.events] == ["created", "notification_failed", "notification_failed"]
    alert = next(n for n in view.notifications if n.audience == "manager")
    assert (alert.params["alert"], alert.status) == ("delivery_failed", "failed")
    assert len(sent_messages(aws)["email"]) == 0


def test_a_send_that_fails_once_is_retried_and_delivered(people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people, channels=("sms",))
    with Outage("sns", "Publish") as outage:
        # The first try, from the stream: a failed send is retried by the outbox, not by Lambda.
        assert dispatcher.handle_stream_batch({"Records": pump._reader.read()}) == {"batchItemFailures": []}
    assert outage.calls == 1
    sms = notification(ticket.ticket_id, "sms")
    assert sms.status == "pending" and sms.attempts == 1
    assert dispatcher.sweep() == {"sent": 1}
    assert notification(ticket.ticket_id, "sms").status == "sent"
    assert len(sent_messages(aws)["sms"]) == 1


def test_an_item_whose_sender_died_is_picked_up_after_its_lease(people: People, pump: Any, aws: str) -> None:
    from datetime import timedelta

    from chalicelib.domain import clock

    ticket = new_ticket(people, channels=("sms",))
    sms = notification(ticket.ticket_id, "sms")
    assert dispatcher._claim(sms.pk, sms.sk, clock.now()) is not None  # claimed, then the Lambda "dies"
    assert dispatcher.sweep() == {"sent": 2}  # the ticket's two timers; the SMS is still leased: nobody sends it
    assert len(sent_messages(aws)["sms"]) == 0
    later = clock.now() + dispatcher.LEASE + timedelta(seconds=1)
    assert dispatcher.sweep(now=later) == {"sent": 1}
    assert len(sent_messages(aws)["sms"]) == 1


def test_the_ticket_page_shows_a_failed_notification(client: Client, people: People, pump: Any) -> None:
    from tests.integration.test_admin import signed_in_headers

    ticket = new_ticket(people)
    with Outage("sns", "Publish"):
        pump.drain()
        for _ in range(5):
            dispatcher.sweep()
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people))
    html = page.body.decode()
    assert page.status_code == 200
    assert 'class="notif-failed"' in html and "Échec" in html
    assert "Échec d&#39;envoi d&#39;une notification" in html


def pending_notifications(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["dynamodb"].get("NewImage", {}).get("item_type", {}).get("S") == "notification"
            and r["dynamodb"]["NewImage"]["status"]["S"] == "pending"]


SENDS = {"sms": "sns:Publish", "email": "sesv2:SendEmail", "schedule": "scheduler:CreateSchedule"}


def send_of(record: dict[str, Any]) -> str:
    return SENDS[record["dynamodb"]["NewImage"]["channel"]["S"]]


def sends(calls: AwsCalls) -> list[str]:
    return [call for call in calls.others() if call in SENDS.values()]


@contextmanager
def claim_throttled(record: dict[str, Any], times: int = 1) -> Iterator[None]:
    """DynamoDB still throttling this record's claim once botocore's own retries are spent (`times` times)."""
    import botocore.client
    from botocore.exceptions import ClientError

    key = {name: record["dynamodb"]["Keys"][name] for name in ("pk", "sk")}
    original = botocore.client.BaseClient._make_api_call
    left = [times]

    def throttled(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "UpdateItem" and params.get("Key") == key and left[0] > 0:
            left[0] -= 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              operation)
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = throttled  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def statuses(records: list[dict[str, Any]]) -> list[str]:
    ticket_id = records[0]["dynamodb"]["Keys"]["pk"]["S"].removeprefix("TICKET#")
    by_sk = {n.sk: n.status for n in store.load_ticket(ticket_id).notifications}
    return [by_sk[r["dynamodb"]["Keys"]["sk"]["S"]] for r in records]


def test_a_record_that_fails_is_the_only_one_lambda_delivers_again(people: People, pump: Any, aws: str) -> None:
    import app as relais_app

    new_ticket(people)
    first, second, third = pending_notifications(pump._reader.read())[:3]
    with recording_aws_calls() as calls:
        with claim_throttled(second):
            answer = relais_app.dispatch_outbox({"Records": [first, second, third]}, None)
        assert answer == {"batchItemFailures": [{"itemIdentifier": second["dynamodb"]["SequenceNumber"]}]}
        sent_by_the_batch = sends(calls)
        # Lambda (ReportBatchItemFailures on a stream) delivers again from the first failed record.
        assert relais_app.dispatch_outbox({"Records": [second, third]}, None) == {"batchItemFailures": []}
    assert sent_by_the_batch == [send_of(first), send_of(third)]
    assert sends(calls) == [send_of(first), send_of(third), send_of(second)]  # each once
    assert statuses([first, second, third]) == ["sent", "sent", "sent"]


def test_the_local_pump_delivers_again_from_the_failed_record_as_lambda_does(people: People, aws: str) -> None:
    import app as relais_app
    from local import resources
    from local.pump import Pump

    pump = Pump(resources.stream_arn(os.environ["RELAIS_TABLE"]), relais_app.dispatch_outbox,
                lambda event, context: None)  # no sweep: only the stream can send it
    new_ticket(people)
    records = pending_notifications(StreamReader(resources.stream_arn(os.environ["RELAIS_TABLE"])).read())
    with recording_aws_calls() as calls, claim_throttled(records[1]):
        pump.drain()
    assert sorted(sends(calls)) == sorted(send_of(record) for record in records)  # each once
    assert statuses(records) == ["sent"] * len(records)
