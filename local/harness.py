"""What the tests, the benchmarks and `make run` share to drive Relais on loopback: a free port,
waiting for something observable (a child answering HTTP, a message, a row) instead of a fixed
sleep, and a record of the AWS calls a block of code makes ("at most 2 DynamoDB calls per page")."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, probe: Callable[[], T], seconds: float, every: float = 0.2) -> T:
    """The first truthy result of `probe`, asked every `every` s; AssertionError naming `what`
    after `seconds`. Exceptions of the probe propagate: a probe says what must stop the wait."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:g} s")
        time.sleep(every)


class NotServing(Exception):
    """A child process exited, or did not answer HTTP in time, while it was starting."""


def describe_exit(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def wait_http(url: str, child: subprocess.Popen[bytes], name: str, seconds: float = 60) -> None:
    """Returns once `url` answers (any status); NotServing if `child` exits first or time runs out."""
    def answers() -> bool:
        if child.poll() is not None:
            raise NotServing(f"{name} exited while starting ({describe_exit(child.returncode)}).")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
        except Exception:
            return False
        return True

    try:
        wait_until(f"{name} answering on {url}", answers, seconds)
    except AssertionError as exc:
        raise NotServing(f"{name} did not answer on {url} within {seconds:.0f} s") from exc


# -- AWS calls ---------------------------------------------------------------------------------------

@dataclass(repr=False)
class AwsCall:
    service: str  # botocore's name: "dynamodb", "sesv2", "sns", …
    operation: str  # "Query", "TransactWriteItems", …
    params: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)  # empty if the call raised

    def __repr__(self) -> str:  # what a failed assertion shows
        return f"{self.service}:{self.operation}"


class AwsCalls(list[AwsCall]):
    """The calls made inside `recording_aws_calls()`, in order."""

    def dynamodb(self) -> list[str]:
        return [call.operation for call in self if call.service == "dynamodb"]

    def dynamodb_items(self) -> list[tuple[str, int]]:
        """(operation, items it wrote in a transaction or read) for each DynamoDB call."""
        return [(call.operation, len(call.params.get("TransactItems", [])) or len(call.response.get("Items", [])))
                for call in self if call.service == "dynamodb"]

    def others(self) -> list[str]:
        return [f"{call.service}:{call.operation}" for call in self if call.service != "dynamodb"]


@contextmanager
def recording_aws_calls() -> Iterator[AwsCalls]:
    """Every API call botocore makes in this process inside the block (pynamodb's own session too)."""
    import botocore.client

    calls = AwsCalls()
    original = botocore.client.BaseClient._make_api_call

    def recorded(client: Any, operation: str, params: Any) -> Any:
        call = AwsCall(client.meta.service_model.service_name, operation, dict(params))
        calls.append(call)
        call.response = original(client, operation, params)
        return call.response

    botocore.client.BaseClient._make_api_call = recorded  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
