"""AWS clients, created lazily and once per process (cold starts pay only for what they use).

They are botocore clients made on the botocore session pynamodb already holds for the table:
a session of their own (or boto3's) would load botocore's endpoint, partition and retry data a
second time, about 30 ms of CPU per cold start. botocore honours AWS_ENDPOINT_URL, so locally
and in tests these talk to the moto server.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    from chalicelib.models import RelaisItem

    return RelaisItem._get_connection().connection.session.create_client(service)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between sessions)."""
    client.cache_clear()
