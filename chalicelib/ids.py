"""Identifiers: ULIDs, time-ordered, so events and outbox items sort by creation."""

from __future__ import annotations


def new_id() -> str:
    from ulid import ULID  # imported on first use: reading pages never creates ids

    return str(ULID())
