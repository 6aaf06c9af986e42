"""AWS clients, created lazily and once per process (cold starts pay only for what they use).

boto3 honours AWS_ENDPOINT_URL, so locally and in tests these talk to the moto server.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # here, not on top: importing the API (pages that only read DynamoDB) never loads boto3

    return boto3.client(service)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between sessions)."""
    client.cache_clear()
