"""Identifiers: ULIDs, time-ordered, so events and outbox items sort by creation."""

from __future__ import annotations


def looks_valid(value: object) -> bool:
    """Whether a value from a browser (URL, form) can be one of our ids: 26 letters and digits.
    Anything else never reaches DynamoDB, which refuses keys over 2 KB with an error, not a miss."""
    return isinstance(value, str) and len(value) == 26 and value.isalnum()


def new_id() -> str:
    from ulid import ULID  # imported on first use: reading pages never creates ids

    return str(ULID())
