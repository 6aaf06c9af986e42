"""The signing key, read from SSM Parameter Store (never from the repo), and its rotation.

Rotating the key is one `aws ssm put-parameter --overwrite`: SSM keeps every version. What is
signed from then on uses the new version (within _CACHE_SECONDS). What was derived from a key
and is sent again later (a contractor's link in a reminder, a login link) records the version it
came from and is derived from that version again, so a rotation breaks no link. Signed tokens
(forms, sessions, CSRF, cursors) are also accepted under the previous version, so nobody is cut
off in the middle of a form; a second rotation retires that one. Links saved before versions were
recorded get theirs from `links.record_key_versions` (`make upgrade-data`), before any rotation.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import cache

from chalicelib.config import settings
from chalicelib.domain import tokens

_CACHE_SECONDS = 300
_RECHECK_SECONDS = 5  # at most one extra read per container this often, when a token does not verify


@dataclass(frozen=True)
class SigningKey:
    value: str
    version: int


logger = logging.getLogger("relais.keys")  # a child of the Powertools logger: one JSON line (chalicelib/logs.py)
_lock = threading.Lock()
_current: tuple[float, SigningKey] | None = None  # (read at, key), per container
_retry_after = 0.0  # after SSM failed: no new read before this (time.monotonic)


def _get_parameter(name: str) -> SigningKey:
    from chalicelib.aws import clients  # botocore on pynamodb's session: no boto3, no session of its own

    parameter = clients.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    return SigningKey(str(parameter["Value"]), int(parameter["Version"]))


def current() -> SigningKey:
    """The key to sign with now, read again every _CACHE_SECONDS so a rotation reaches every container."""
    return _read_if_older_than(_CACHE_SECONDS)


def _read_if_older_than(seconds: float) -> SigningKey:
    """SSM failing (throttled, unreachable) does not fail the requests of a container that has a
    key: it keeps that one and tries again _RECHECK_SECONDS later. A cold start without one fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    global _current, _retry_after
    with _lock:
        now = time.monotonic()
        if _current is None or (now - _current[0] > seconds and now >= _retry_after):
            try:
                _current = (now, _get_parameter(settings().signing_key_parameter))
            except (BotoCoreError, ClientError):
                if _current is None:
                    raise
                logger.warning("signing key not re-read from SSM; keeping version %s", _current[1].version, exc_info=True)
                _retry_after = now + _RECHECK_SECONDS
        return _current[1]


@cache
def _stored_version(version: int) -> str | None:
    """A version's value never changes: read once per container. None once SSM dropped it."""
    from botocore.exceptions import ClientError

    try:
        return _get_parameter(f"{settings().signing_key_parameter}:{version}").value
    except ClientError as exc:  # SSM keeps the last 100 versions
        if exc.response.get("Error", {}).get("Code") == "ParameterVersionNotFound":
            return None
        raise


def at_version(version: float | None) -> str:
    """The key a link was derived with (None: made before versions were kept, so the current one).
    Stored versions come back from DynamoDB as numbers, hence the float."""
    key = current()
    if version is None or int(version) == key.version:
        return key.value
    value = _stored_version(int(version))
    if value is None:
        raise LookupError(f"signing key version {version} is no longer in SSM")
    return value


def signing_key() -> str:
    return current().value


def _other_keys() -> list[str]:
    """The keys a genuine token may carry besides ours, tried only when ours fails: a newer one
    another container already signs with (in the minutes a rotation takes to reach every
    container), and the previous one."""
    from botocore.exceptions import BotoCoreError, ClientError

    key = current()
    latest = _read_if_older_than(_RECHECK_SECONDS)
    try:
        previous = _stored_version(key.version - 1) if key.version > 1 else None
    except (BotoCoreError, ClientError):  # SSM failing: such a token is refused for now, not an error
        previous = None
    return [k.value for k in (latest,) if k.version > key.version] + ([previous] if previous else [])


def signer() -> tokens.SignedTokens:
    """Signs with the current key; verifies with it, then (only if that fails) the other keys."""
    return tokens.SignedTokens(signing_key(), other_keys=_other_keys)


def forget() -> None:
    """Read the key again on next use (tests reset the AWS stand-in between cases)."""
    global _current, _retry_after
    with _lock:
        _current, _retry_after = None, 0.0
    _stored_version.cache_clear()
