"""What the Lambda Python runtime does with a function, for the unzipped package on the target
interpreter (infra/lambda_python.sh): import the handler's module once (the cold start), then
call the handler with each event and a context object. Standard library only: it runs beside the
package and the runtime's boto3, nothing else.

    python3.13 -S infra/lambda_bootstrap.py REQUEST.json RESULT.json

REQUEST: {"handler": "app.dispatch_outbox", "function_name": ..., "memory_mb": 256, "timeout_s": 60,
          "events": [...]}.  RESULT: {"init_ms": ..., "invocations": [{"result": ..., "ms": ...}]}.
The function's own output (its JSON log lines) goes to stdout, as to CloudWatch Logs.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import uuid
from typing import Any


class LambdaContext:
    """The attributes the Python runtime's context object has."""

    def __init__(self, request: dict[str, Any]) -> None:
        name = request["function_name"]
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{name}"
        self.memory_limit_in_mb = int(request["memory_mb"])
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "2026/11/29/[$LATEST]0123456789abcdef"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + float(request["timeout_s"])

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def main(request_path: str, result_path: str) -> None:
    with open(request_path) as source:
        request = json.load(source)
    module_name, handler_name = request["handler"].rsplit(".", 1)
    started = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), handler_name)
    init_ms = (time.perf_counter() - started) * 1000
    invocations = []
    for event in request["events"]:
        started = time.perf_counter()
        result = handler(event, LambdaContext(request))
        invocations.append({"result": result, "ms": (time.perf_counter() - started) * 1000})
    with open(result_path, "w") as target:
        json.dump({"init_ms": init_ms, "invocations": invocations, "version": sys.version.split()[0],
                   "modules": sorted(sys.modules)}, target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
