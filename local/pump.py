"""The local stand-in for what AWS does on its own in the cloud: it feeds the table's
stream records to the dispatcher, runs the outbox sweep, and fires due schedules."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from local.stream import StreamReader

Handler = Callable[[dict[str, Any], Any], Any]
RETRIES = 5  # the stream mapping's MaximumRetryAttempts (infra/functions.yml)


class Pump:
    def __init__(self, stream_arn: str, dispatch: Handler, sweep: Handler, sweep_every: float = 5.0,
                 fire_due: Callable[[], Any] | None = None) -> None:
        self._reader = StreamReader(stream_arn)
        self._dispatch = dispatch
        self._sweep = sweep
        self._fire_due = fire_due
        self._sweep_every = sweep_every
        self._last_sweep = 0.0
        self._again: list[dict[str, Any]] = []  # from the first record the dispatcher reported failed
        self._retries = 0

    def run_once(self) -> int:
        """One round: deliver new stream records (after those to deliver again), sweep when due.
        Returns records seen."""
        records = self._again + self._reader.read()
        if records:
            self._again = self._to_deliver_again(records, self._dispatch({"Records": records}, None))
        if time.monotonic() - self._last_sweep >= self._sweep_every:
            self._last_sweep = time.monotonic()
            self._sweep({}, None)
            if self._fire_due is not None:
                self._fire_due()  # what EventBridge Scheduler does in the cloud
        return len(records)

    def _to_deliver_again(self, records: list[dict[str, Any]], answer: Any) -> list[dict[str, Any]]:
        """As Lambda does with ReportBatchItemFailures on a stream: the batch again from the first
        failed record, at most RETRIES times (then Lambda gives up on it; the sweep still sends what is due)."""
        failed = {item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])}
        first = next((n for n, record in enumerate(records) if record["dynamodb"]["SequenceNumber"] in failed), None)
        self._retries = 0 if first is None or self._retries >= RETRIES else self._retries + 1
        return [] if first is None or self._retries == 0 else records[first:]

    def drain(self, rounds: int = 20) -> int:
        """Run until the stream is quiet (tests: everything written so far is delivered)."""
        total = 0
        for _ in range(rounds):
            seen = self.run_once()
            total += seen
            if seen == 0:
                break
        return total
