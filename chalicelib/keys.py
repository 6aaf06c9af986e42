"""The signing key, read from SSM Parameter Store (never from the repo), cached per container."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.config import settings

_CACHE_SECONDS = 300


@cache
def _provider() -> Any:
    # Imported here: Powertools parameters pulls in extra modules that only some paths need.
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    from chalicelib import aws

    return SSMProvider(boto3_client=aws.client("ssm"))  # not a boto3 session of its own: see aws.py


def signing_key() -> str:
    return str(_provider().get(settings().signing_key_parameter, decrypt=True, max_age=_CACHE_SECONDS))
