"""Makes the AWS stand-in behave like AWS where Relais depends on it.

moto runs a TransactWriteItems by deep-copying the table and restoring that copy when a
condition fails. Two concurrent requests can then undo each other's writes (a failed
transaction restores a table that predates the other's commit), which real DynamoDB
never does. Serialising moto's DynamoDB requests restores DynamoDB's atomicity, so local
runs and the concurrency tests see what production sees.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def serialise_dynamodb() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _applied = True
