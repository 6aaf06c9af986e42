"""Slows down link guessing: wrong links from one client are counted per time window."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import tokens
from chalicelib.config import settings
from chalicelib.models import WrongLinkCount


def record_wrong_link(client: str, now: datetime) -> bool:
    """Count one wrong link; True when this client is over the limit and must wait (429).

    Only failures are counted, so a correct link costs no extra database call.
    """
    window = settings().wrong_link_window_seconds
    bucket = int(now.timestamp()) // window
    counter = WrongLinkCount(f"WRONGLINK#{tokens.sha256_hex(client)[:32]}#{bucket}", "COUNT")
    counter.update(actions=[WrongLinkCount.hits.add(1),
                            WrongLinkCount.expires.set(now + timedelta(seconds=2 * window))])
    return int(counter.hits) > settings().wrong_link_limit
