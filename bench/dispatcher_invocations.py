"""How often the stream wakes the dispatcher during one full lifecycle, before and after its filter
was narrowed to what it acts on (`make bench-package`, via bench/package.py).

    .venv/bin/python -m bench.dispatcher_invocations

Walks tests/infra/lifecycle.py's lifecycle (request → accept → presence → end of work → invoice
request → invoice → close, with sign-in, bounce and sweep) on a moto server, then runs its stream
records through each filter with AWS's matching (infra/stream_filter.py). Records passed are what
Lambda hands the dispatcher; invocations are this run's stream batches with at least one record passed.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from typing import Any

from bench.run import ROOT, bench_env, stand_in
from local.harness import free_port

# The filter before issue 10: every notification and event record, the dispatcher's own updates included.
PREVIOUS = [{"dynamodb": {"NewImage": {"item_type": {"S": ["notification", "event"]}}}}]


def _walk() -> Any:
    from chalice.test import Client

    port = free_port()
    env = bench_env(port)
    os.environ.update(env)
    with stand_in(port):
        import app as relais_app
        from tests.infra.lifecycle import Recorder, walk
        from tests.integration.conftest import make_people

        recorder = Recorder()
        with Client(relais_app.app, project_dir=str(ROOT), stage_name="local") as client, recorder.installed(), \
                redirect_stdout(io.StringIO()):  # the EMF metric lines
            walk(client, make_people(), env["AWS_ENDPOINT_URL"], recorder)
        return recorder


def report() -> str:
    from infra.stream_filter import dispatcher_patterns, passes

    recorder = _walk()
    records = recorder.records()
    rows = []
    for label, patterns in (("no filter", [{}]), ("before (notification or event)", PREVIOUS),
                            ("after (pending notification, new event)", dispatcher_patterns())):
        passed = [r for r in records if passes(patterns, r)]
        batches = sum(any(passes(patterns, r) for r in batch) for batch in recorder.batches)
        rows.append(f"| {label} | {len(passed)} | {batches} |")
    acted = len(recorder.acted_on)
    lost = sum(len(b) for b in recorder.lost_batches)
    return "\n".join([
        f"Dispatcher per full lifecycle ({len(records)} stream records, {acted} of them acted on; "
        f"{lost} in the two batches the walk withholds for the sweep):", "",
        "| stream filter | records passed | invocations (batches) |", "|---|---|---|", *rows])


def main() -> None:
    print(report())


if __name__ == "__main__":
    main()
