"""The signing key, read from SSM Parameter Store (never from the repo), cached per container."""

from __future__ import annotations

from chalicelib.config import settings

_CACHE_SECONDS = 300


def signing_key() -> str:
    # Imported here: Powertools parameters pulls in extra modules that only some paths need.
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(settings().signing_key_parameter, decrypt=True, max_age=_CACHE_SECONDS)
    return str(value)
