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
    from chalicelib.data.models import RelaisItem

    session = RelaisItem._get_connection().connection.session
    if service == "s3":
        return session.create_client("s3", **files_client_options())
    return session.create_client(service)


def files_client_options() -> dict[str, Any]:
    """The S3 client presigns on `settings().files_origin`, the origin the CSP allows: built on
    `files_endpoint` in its region, with the bucket in the host name on AWS."""
    from botocore.config import Config

    from chalicelib.config import settings

    files = settings()
    return {"region_name": files.region, "endpoint_url": files.files_endpoint,
            "config": Config(s3={"addressing_style": "virtual" if files.files_on_aws else "path"})}


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between sessions)."""
    client.cache_clear()
