"""The dispatcher's stream filter, judged on every record a whole lifecycle puts on the table's
stream (tests/infra/lifecycle.py), with AWS's matching (infra/stream_filter.py): every record the
dispatcher acts on passes; its own updates and every other item are dropped."""

from __future__ import annotations

from typing import Any

import pytest

from infra.stream_filter import dispatcher_patterns, matches, passes
from tests.infra.lifecycle import Recorder, lifecycle_fixture  # noqa: F401  (the `lifecycle` fixture)
from tests.integration.conftest import client, people  # noqa: F401  (fixtures the lifecycle needs)


def image(record: dict[str, Any], name: str = "NewImage") -> dict[str, Any]:
    return dict(record["dynamodb"].get(name) or {})


def kind(record: dict[str, Any]) -> tuple[str, str | None, str | None]:
    new = image(record)
    return (record["eventName"], new.get("item_type", {}).get("S"), new.get("status", {}).get("S"))


def test_every_record_the_dispatcher_acts_on_passes_the_filter(lifecycle: Recorder) -> None:
    patterns = dispatcher_patterns()
    assert lifecycle.acted_on, "the lifecycle gave the dispatcher nothing to do"
    dropped = [kind(record) for record in lifecycle.acted_on if not passes(patterns, record)]
    assert dropped == []
    # What it acts on, by kind: new outbox items (and retries), and new ticket events (step metrics).
    assert {kind(r)[:2] for r in lifecycle.acted_on} == {("INSERT", "notification"), ("INSERT", "event")}


def test_the_dispatchers_own_updates_and_other_items_never_invoke_it(lifecycle: Recorder) -> None:
    patterns = dispatcher_patterns()
    records = lifecycle.records()
    own = [r for r in records if r["eventName"] == "MODIFY" and kind(r)[1] == "notification" and kind(r)[2] != "pending"]
    assert {kind(r)[2] for r in own} >= {"sending", "sent"}  # claims and results, written by the dispatcher itself
    assert not any(passes(patterns, r) for r in own)
    passed = [r for r in records if passes(patterns, r)]
    assert {kind(r)[1] for r in passed} == {"notification", "event"}
    assert all(kind(r)[2] == "pending" for r in passed if kind(r)[1] == "notification")
    # Nothing passes that the dispatcher would do nothing for, apart from records of batches it never got.
    acted = {r["dynamodb"]["SequenceNumber"] for r in lifecycle.acted_on}
    idle = [kind(r) for r in passed if r["dynamodb"]["SequenceNumber"] not in acted
            and not any(r in batch for batch in lifecycle.lost_batches)]
    assert idle == []


@pytest.mark.parametrize(("pattern", "record", "expected"), [
    ({"a": ["x"]}, {"a": "x"}, True),
    ({"a": ["x", "y"]}, {"a": "y"}, True),
    ({"a": ["x"]}, {"a": "z"}, False),
    ({"a": ["x"]}, {}, False),
    ({"a": {"b": ["x"]}}, {"a": {"b": "x", "c": "q"}}, True),
    ({"a": {"b": ["x"]}, "c": ["y"]}, {"a": {"b": "x"}, "c": "n"}, False),
    ({"a": [{"exists": False}]}, {}, True),
    ({"a": [{"exists": True}]}, {}, False),
    ({"a": ["x"]}, {"a": ["w", "x"]}, True),  # an array in the record matches when any element does
])
def test_the_matcher_follows_aws_rules(pattern: dict[str, Any], record: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, record) is expected


def test_the_matcher_refuses_operators_it_does_not_evaluate() -> None:
    with pytest.raises(ValueError, match="not evaluated"):
        matches({"a": [{"prefix": "x"}]}, {"a": "xy"})
