"""`make run`'s stand-in over a long day: transactions that fail undo only what they wrote, memory
does not keep table copies, the stream survives a 409, a restart (or a crash after a save) brings
back tickets, files, messages and timers, and the dev pages stay cheap and never answer 500."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from tests.integration.conftest import FORM_HEADERS, People, new_ticket

TABLE = os.environ["RELAIS_TABLE"]
BUCKET = os.environ["RELAIS_BUCKET"]


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "item"}}


def _put(pk: str, **attrs: str) -> None:
    boto3.client("dynamodb").put_item(TableName=TABLE, Item={**_key(pk), **{k: {"S": v} for k, v in attrs.items()}})


def _get(pk: str) -> dict[str, Any] | None:
    return boto3.client("dynamodb").get_item(TableName=TABLE, Key=_key(pk), ConsistentRead=True).get("Item")


def _failing_transaction(tag: str = "1") -> None:
    """Updates A, creates D, deletes B, then a condition on C fails: a 409 in the product."""
    with pytest.raises(ClientError) as refused:
        boto3.client("dynamodb").transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": _key("A"), "UpdateExpression": "SET colour = :c, extra = :c",
                        "ExpressionAttributeValues": {":c": {"S": f"red-{tag}"}}}},
            {"Put": {"TableName": TABLE, "Item": {**_key(f"D{tag}"), "colour": {"S": "new"}}}},
            {"Delete": {"TableName": TABLE, "Key": _key("B")}},
            {"ConditionCheck": {"TableName": TABLE, "Key": _key("C"), "ConditionExpression": "colour = :x",
                                "ExpressionAttributeValues": {":x": {"S": "not-its-colour"}}}},
        ])
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"


def _stream_reader() -> Any:
    from local import resources
    from local.stream import StreamReader

    reader = StreamReader(resources.stream_arn(TABLE))
    reader.read()  # everything so far: what follows is new
    return reader


def test_a_failed_transaction_puts_back_exactly_the_items_it_touched_and_writes_no_stream_record(aws: str) -> None:
    _put("A", colour="blue")
    _put("B", colour="green")
    _put("C", colour="white")
    _put("E", colour="grey")
    before = {pk: _get(pk) for pk in "ABCE"}
    reader = _stream_reader()

    _failing_transaction()

    assert {pk: _get(pk) for pk in "ABCE"} == before
    assert _get("D1") is None
    assert reader.read() == []  # the dispatcher must not act on a change that never happened
    _put("E", colour="black")  # and the table goes on as before
    assert _get("E") == {**_key("E"), "colour": {"S": "black"}}


def test_the_stream_goes_on_after_a_failed_transaction(aws: str) -> None:
    _put("A", colour="blue")
    _put("B", colour="green")
    _put("C", colour="white")
    reader = _stream_reader()
    _failing_transaction()
    _put("F", colour="after the 409")

    records = reader.read()

    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["F"]


def _tracked() -> int:
    from moto.core.model_instances import model_data

    return sum(len(model.instances_tracked) for models in model_data.values() for model in models.values())  # type: ignore[attr-defined]


def test_transactions_keep_no_table_copies_in_memory(aws: str) -> None:
    for number in range(200):  # a table with some weight
        _put(f"T{number}", colour="blue")
    _put("A", colour="blue")
    _put("B", colour="green")
    _put("C", colour="white")
    reader = _stream_reader()
    before = _tracked()

    for number in range(25):
        _failing_transaction(str(number))
        boto3.client("dynamodb").transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**_key(f"ok{number}"), "colour": {"S": "ok"}}}}])
    reader.read()

    assert _tracked() - before < 50  # was one copy of every item per transaction: over 5,000


# -- restart and crash --------------------------------------------------------------------------------

def _restart_stand_in(aws: str) -> None:
    """What a new `make run` meets: a fresh moto, the resources created again."""
    import urllib.request

    from local import resources
    from tests.conftest import REGION, TEST_KEY

    urllib.request.urlopen(urllib.request.Request(f"{aws}/moto-api/reset", method="POST"))
    resources.create_all(TABLE, BUCKET, os.environ["RELAIS_SENDER_EMAIL"], os.environ["RELAIS_SIGNING_KEY_PARAMETER"],
                         REGION, key=TEST_KEY)


def _schedules(aws: str) -> dict[str, tuple[str, str]]:
    import urllib.request

    with urllib.request.urlopen(f"{aws}/moto-api/relais/schedules?group=relais") as response:
        return {s["name"]: (s["expression"], s["input"]) for s in json.load(response)["schedules"]}


def _versions(key: str) -> list[bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]  # newest first
    return [s3.get_object(Bucket=BUCKET, Key=key, VersionId=v["VersionId"])["Body"].read() for v in reversed(listed)]


def _whole(ticket_id: str) -> list[dict[str, Any]]:
    """Every item of the ticket's partition (ticket, events, links, notifications), as stored."""
    from chalicelib.data.models import ticket_pk

    return list(boto3.client("dynamodb").query(TableName=TABLE, KeyConditionExpression="pk = :pk", ConsistentRead=True,
                                                ExpressionAttributeValues={":pk": {"S": ticket_pk(ticket_id)}})["Items"])


@pytest.fixture
def local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """.local/ of a `make run` (the stand-in writes the table there itself)."""
    monkeypatch.setenv("RELAIS_LOCAL_DIR", str(tmp_path))
    return tmp_path


def test_a_restart_brings_back_tickets_files_with_their_versions_messages_and_timers(
        aws: str, people: People, pump: Any, client: Client, local_dir: Path) -> None:
    from local.state import LocalState, recreate_timers

    tmp_path = local_dir

    ticket = new_ticket(people)
    pump.drain()  # the request is sent and its timers placed
    kept = _whole(ticket.ticket_id)
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key="tickets/photo.jpg", Body=b"first", ContentType="image/jpeg")
    s3.put_object(Bucket=BUCKET, Key="tickets/photo.jpg", Body=b"second", ContentType="image/jpeg")
    s3.put_object(Bucket=BUCKET, Key="tickets/gone.pdf", Body=b"%PDF")
    s3.delete_object(Bucket=BUCKET, Key="tickets/gone.pdf")
    timers, sent = _schedules(aws), client.http.get("/dev/outbox.json").json_body
    assert timers and sent
    LocalState(tmp_path, TABLE, aws).save()

    _restart_stand_in(aws)
    assert _schedules(aws) == {} and client.http.get("/dev/outbox.json").json_body == []
    restored = LocalState(tmp_path, TABLE, aws)
    assert restored.restore()
    recreate_timers()

    assert _whole(ticket.ticket_id) == kept
    assert _schedules(aws) == timers
    assert _versions("tickets/photo.jpg") == [b"first", b"second"]
    assert s3.get_object(Bucket=BUCKET, Key="tickets/photo.jpg")["ContentType"] == "image/jpeg"
    with pytest.raises(ClientError):
        s3.get_object(Bucket=BUCKET, Key="tickets/gone.pdf")  # deleted before the stop: still deleted
    assert client.http.get("/dev/outbox.json").json_body == sent
    restored.save()  # saving again after the restart writes no message twice
    assert len((tmp_path / "sent.jsonl").read_text().splitlines()) == len(sent)


def test_a_crash_in_the_middle_of_a_save_loses_nothing_the_last_save_had(
        aws: str, people: People, pump: Any, local_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from local import state
    from local.state import LocalState

    tmp_path = local_dir

    first = new_ticket(people)
    pump.drain()
    kept = _whole(first.ticket_id)
    LocalState(tmp_path, TABLE, aws).save()
    new_ticket(people)
    pump.drain()

    def killed(*_: Any) -> None:
        raise OSError("kill -9")  # the process dies after writing the new files, before their rename

    with monkeypatch.context() as patch:
        patch.setattr(state.os, "replace", killed)
        with pytest.raises(Exception):  # noqa: B017 - moto answers 500, boto3 raises its own error
            LocalState(tmp_path, TABLE, aws).save()
    assert list(tmp_path.glob(".*.tmp"))  # it did write them
    with open(tmp_path / "sent.jsonl", "a", encoding="utf-8") as journal:
        journal.write('{"id": "cut by the cr')  # a line the crash cut short

    _restart_stand_in(aws)
    assert LocalState(tmp_path, TABLE, aws).restore()

    assert _whole(first.ticket_id) == kept


# -- dev pages ---------------------------------------------------------------------------------------

def test_the_dev_outbox_pages_newest_first(client: Client, people: People, pump: Any) -> None:
    for _ in range(3):
        new_ticket(people)
    pump.drain()
    everything = client.http.get("/dev/outbox.json?limit=500")
    listing = everything.json_body
    total = int(everything.headers["X-Total-Count"])
    assert total == len(listing) >= 6
    assert [m["sent_at"] for m in listing] == sorted((m["sent_at"] for m in listing), reverse=True)
    assert client.http.get("/dev/outbox.json?limit=2").json_body == listing[:2]
    assert client.http.get("/dev/outbox.json?offset=2&limit=3").json_body == listing[2:5]
    page = client.http.get("/dev/outbox").body.decode()
    assert page.count('<article class="message') == min(total, 50)


def test_dev_schedules_answers_when_a_timer_goes_between_its_list_and_its_read(
        client: Client, people: People, pump: Any, aws: str, monkeypatch: Any) -> None:
    first, second = new_ticket(people), new_ticket(people)
    pump.drain()
    names = sorted(_schedules(aws))
    gone = f"{first.ticket_id}-reminder"

    from chalicelib.dev import scheduler

    listed = scheduler.pending

    def fired_meanwhile() -> list[Any]:  # the pump fires and deletes it right after the page's list was read
        snapshot = listed()
        boto3.client("scheduler").delete_schedule(Name=gone, GroupName="relais")
        return snapshot

    monkeypatch.setattr(scheduler, "pending", fired_meanwhile)
    page = client.http.get("/dev/schedules")
    monkeypatch.setattr(scheduler, "pending", listed)
    assert gone not in _schedules(aws)

    assert page.status_code == 200
    assert second.ticket_id in page.body.decode() and len(names) >= 4
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.body.decode()).group(1)  # type: ignore[union-attr]
    late = client.http.post("/dev/schedules/fire", headers=FORM_HEADERS, body=urlencode({"csrf": csrf, "name": gone}))
    assert late.status_code == 404 and "existe plus" in late.body.decode()
