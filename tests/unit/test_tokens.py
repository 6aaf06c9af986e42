"""Secrets in links and cookies: derived, never stored, and refused when forged or stale."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from chalicelib.domain import tokens
from chalicelib.domain.tokens import SignedTokens, derive_link_secret, looks_like_secret, secret_matches

KEY = "k" * 48
TICKET = "01JDQX3Y7Z8A9B0C1D2E3F4G5H"
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def test_the_same_ticket_link_always_gets_the_same_secret() -> None:
    nonce = tokens.new_nonce()
    assert derive_link_secret(KEY, TICKET, 1, nonce) == derive_link_secret(KEY, TICKET, 1, nonce)


@pytest.mark.parametrize("change", ["nonce", "number", "ticket", "key"])
def test_changing_any_input_changes_the_secret(change: str) -> None:
    args = {"key": KEY, "ticket_id": TICKET, "number": 1, "nonce": "n" * 43}
    other = dict(args)
    other.update({"nonce": {"nonce": "m" * 43}, "number": {"number": 2}, "ticket": {"ticket_id": TICKET[:-1] + "J"},
                  "key": {"key": "q" * 48}}[change])
    assert derive_link_secret(**args) != derive_link_secret(**other)


def test_a_link_secret_is_long_enough_and_fits_in_a_url() -> None:
    secret = derive_link_secret(KEY, TICKET, 1, tokens.new_nonce())
    assert len(secret) >= 22
    assert URL_SAFE.match(secret)
    padded = secret + "=" * (-len(secret) % 4)
    assert len(base64.urlsafe_b64decode(padded)) * 8 >= 128
    assert looks_like_secret(secret)


def test_random_secrets_differ_and_look_like_secrets() -> None:
    first, second = tokens.new_random_secret(), tokens.new_random_secret()
    assert first != second
    assert looks_like_secret(first) and looks_like_secret(second)


def test_a_secret_matches_its_sha256_hash_only() -> None:
    secret = derive_link_secret(KEY, TICKET, 1, tokens.new_nonce())
    stored = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    assert secret_matches(secret, stored)
    assert not secret_matches(secret + "x", stored)
    assert not secret_matches(secret, hashlib.sha256(b"something else").hexdigest())
    assert not secret_matches(secret, secret)  # the secret itself is never what is stored


@pytest.mark.parametrize("value", [
    "",
    "short",
    "a" * 19,
    "a" * 65,
    "abc/def+ghi=jkl.mno-pqrs",
    "abcdefghij klmnopqrstuvwx",
    "../../etc/passwd/aaaaaaaaaaaa",
    "abcdefghijklmnopqrstuvwx%00",
])
def test_malformed_link_secrets_are_rejected_before_any_lookup(value: str) -> None:
    assert not looks_like_secret(value)


@pytest.mark.parametrize("value", ["é" * 24, "secret²²²²²²²²²²²²²²²²²", "ｓｅｃｒｅｔ" * 4])
def test_non_ascii_link_secrets_are_rejected_before_any_lookup(value: str) -> None:
    assert not looks_like_secret(value)


# -- signed tokens (sessions, CSRF, form tokens) ------------------------------------------------

def test_a_signed_value_comes_back_intact() -> None:
    signer = SignedTokens(KEY)
    token = signer.dumps("form", {"t": TICKET, "f": "abc"})
    assert signer.loads("form", token, 3600) == {"t": TICKET, "f": "abc"}


def test_a_tampered_token_is_refused() -> None:
    signer = SignedTokens(KEY)
    token = signer.dumps("session", {"m": "manager-1"})
    forged_payload = signer.dumps("session", {"m": "manager-2"}).split(".")[0]
    tampered = ".".join([forged_payload, *token.split(".")[1:]])
    assert tampered != token
    assert signer.loads("session", tampered, 3600) is None


def test_a_token_with_a_changed_signature_is_refused() -> None:
    signer = SignedTokens(KEY)
    token = signer.dumps("session", {"m": "manager-1"})
    payload, stamp, signature = token.split(".")
    flipped = ("B" if signature[0] != "B" else "C") + signature[1:]
    assert signer.loads("session", f"{payload}.{stamp}.{flipped}", 3600) is None


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "é.é.é"])
def test_garbage_is_refused(garbage: str) -> None:
    assert SignedTokens(KEY).loads("csrf", garbage, 3600) is None


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = SignedTokens("another-key-" + "z" * 36).dumps("session", {"m": "manager-1"})
    assert SignedTokens(KEY).loads("session", token, 3600) is None


def test_a_token_made_for_another_purpose_is_refused() -> None:
    signer = SignedTokens(KEY)
    csrf = signer.dumps("csrf", {"m": "manager-1"})
    assert signer.loads("session", csrf, 3600) is None


def test_an_expired_token_is_refused() -> None:
    signer = SignedTokens(KEY)
    token = signer.dumps("csrf", "value")
    assert signer.loads("csrf", token, -1) is None


def test_a_token_older_than_its_lifetime_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    signer = SignedTokens(KEY)
    token = signer.dumps("form", "value")
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 8 * 24 * 3600)
    assert signer.loads("form", token, 7 * 24 * 3600) is None


# -- after a rotation of the signing key ------------------------------------------------------------

PREVIOUS_KEY = "previous-key-" + "p" * 36


def test_a_token_signed_before_a_rotation_is_still_accepted() -> None:
    token = SignedTokens(PREVIOUS_KEY).dumps("form", {"t": TICKET, "f": "abc"})
    assert SignedTokens(KEY, other_keys=lambda: [PREVIOUS_KEY]).loads("form", token, 3600) == {"t": TICKET, "f": "abc"}
    assert SignedTokens(KEY).loads("form", token, 3600) is None  # two rotations later: retired


def test_new_tokens_are_signed_with_the_current_key_and_other_keys_are_fetched_only_when_needed() -> None:
    fetched: list[int] = []

    def older() -> list[str]:
        fetched.append(1)
        return [PREVIOUS_KEY]

    signer = SignedTokens(KEY, other_keys=older)
    token = signer.dumps("session", {"m": "manager-1"})
    assert SignedTokens(KEY).loads("session", token, 3600) == {"m": "manager-1"}
    assert signer.loads("session", token, 3600) == {"m": "manager-1"} and fetched == []
    assert signer.loads("session", "a.b.c", 3600) is None and fetched == [1]


def test_an_expired_token_is_refused_whichever_key_signed_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    token = SignedTokens(KEY).dumps("form", {"t": TICKET})
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 7200)
    assert SignedTokens(KEY, other_keys=lambda: [PREVIOUS_KEY]).loads("form", token, 3600) is None
