"""Secrets in links and cookies: contractor link secrets, login links, sessions, CSRF tokens.

Contractor link secrets are never stored: the link item keeps a random nonce (from
`secrets`) and the SHA-256 of the secret; the secret itself is HMAC(signing key, nonce), so
every notification of the ticket can carry the same link without the database holding it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from collections.abc import Callable, Iterator
from typing import Any

_URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_")
NONCE_BYTES = 32
SECRET_BYTES = 24  # 192 bits once derived; ≥128 bits as required
# A contractor's link travels in a one-segment SMS: 128 bits (22 characters) are enough and required.
# Links made before keep their SECRET_BYTES: they are in people's phones.
LINK_SECRET_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_nonce() -> str:
    return _b64(secrets.token_bytes(NONCE_BYTES))


def new_random_secret() -> str:
    """A single-use secret (login links, form ids): 256 bits."""
    return _b64(secrets.token_bytes(32))


def _mac(key: str, purpose: str, parts: tuple[str | int, ...]) -> bytes:
    return hmac.new(key.encode(), ":".join([purpose, *map(str, parts)]).encode(), hashlib.sha256).digest()


def derive_secret(key: str, purpose: str, *parts: str | int, size: int = SECRET_BYTES) -> str:
    """A secret that is never stored: HMAC(signing key, purpose + parts), ≥128 bits."""
    return _b64(_mac(key, purpose, parts)[:size])


def derive_mail_secret(key: str, purpose: str, *parts: str | int) -> str:
    """The same, for an email address: 128 bits in 26 lower-case base32 letters, since mail systems
    may change the case of an address (base64 would then no longer match)."""
    return base64.b32encode(_mac(key, purpose, parts)[:LINK_SECRET_BYTES]).decode("ascii").rstrip("=").lower()


def derive_link_secret(key: str, ticket_id: str, number: int, nonce: str, size: int = LINK_SECRET_BYTES) -> str:
    return derive_secret(key, "link", ticket_id, number, nonce, size=size)


def derive_login_secret(key: str, nonce: str) -> str:
    return derive_secret(key, "login", nonce)


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(sha256_hex(secret), stored_hash)


def looks_like_secret(value: str) -> bool:
    """Cheap shape check before any database call: malformed links stop here."""
    return 20 <= len(value) <= 64 and all(c in _URL_SAFE for c in value)


class SignedTokens:
    """Signed, timestamped values (sessions, CSRF) built on itsdangerous.

    Signs with `key`; a token it does not verify is tried with `other_keys()` (the other valid
    signing keys around a rotation), fetched only then."""

    def __init__(self, key: str, other_keys: Callable[[], list[str]] | None = None) -> None:
        self._key = key
        self._other_keys = other_keys

    def dumps(self, purpose: str, value: Any) -> str:
        from itsdangerous import URLSafeTimedSerializer

        return URLSafeTimedSerializer(self._key, salt=purpose).dumps(value)

    def loads(self, purpose: str, token: str, max_age_seconds: int) -> Any | None:
        """The signed value, or None when the token is forged, altered or too old."""
        from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

        def keys() -> Iterator[str]:
            yield self._key
            if self._other_keys is not None:
                yield from self._other_keys()

        for key in keys():
            try:
                return URLSafeTimedSerializer(key, salt=purpose).loads(token, max_age=max_age_seconds)
            except SignatureExpired:
                return None  # genuine but too old: no other key makes it younger
            except BadSignature:
                continue
        return None
