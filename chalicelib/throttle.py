"""Limits per client and time window: wrong links (slows down link guessing) and sign-in emails.

Each limit counts on one item per subject (client, address) and fixed time window: an ADD on
`hits`, expiring by TTL. A flood costs one small item per subject and window, and once a client
is over the wrong-link limit this container stops writing for it until the window ends.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import tokens
from chalicelib.config import settings
from chalicelib.models import LoginRequestCount, WrongLinkCount

# A wrong link is answered no sooner than this after it was read. Whether or not its ticket exists,
# the same work was done (links.open_ticket); this evens out what is left (a container that has
# opened no ticket yet, one partition a little larger than another).
WRONG_LINK_ANSWER_SECONDS = 0.1

LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_EMAILS_PER_ADDRESS = 3
LOGIN_EMAILS_PER_CLIENT = 10  # an office's managers share one public address

_over_limit: dict[str, int] = {}  # wrong-link counter key -> its window, for clients over the limit (this container)


def _window(kind: str, subject: str, window_seconds: int, now: datetime) -> tuple[str, int, datetime]:
    """(counter key, window number, end of the window). The subject is hashed: no address or IP is stored."""
    window = int(now.timestamp()) // window_seconds
    return (f"{kind}#{tokens.sha256_hex(subject)[:32]}#{window}", window,
            datetime.fromtimestamp((window + 1) * window_seconds, UTC))


def record_wrong_link(client: str, now: datetime, started: float | None = None) -> bool:
    """Count one wrong link; True when this client is over the limit and must wait (429).

    Only failures are counted, so a correct link costs no extra database call. Under the limit,
    returns no earlier than `started` (time.monotonic) + WRONG_LINK_ANSWER_SECONDS.
    """
    window_seconds = settings().wrong_link_window_seconds
    key, window, window_end = _window("WRONGLINK", client, window_seconds, now)
    if _over_limit.get(key) == window:
        return True  # known here already: no write, no wait
    counter = WrongLinkCount(key, "COUNT")
    counter.update(actions=[WrongLinkCount.hits.add(1),
                            WrongLinkCount.expires.set(window_end + timedelta(seconds=window_seconds))])
    if int(counter.hits) > settings().wrong_link_limit:
        for stale in [k for k, w in _over_limit.items() if w != window]:
            del _over_limit[stale]
        _over_limit[key] = window
        return True
    if started is not None:
        time.sleep(max(0.0, started + WRONG_LINK_ANSWER_SECONDS - time.monotonic()))
    return False


def forget() -> None:
    """Tests: a fresh container."""
    _over_limit.clear()


def login_email_counts(address: str, client: str, now: datetime) -> list[tuple[Any, list[Any], Any]]:
    """The two counters a sign-in email spends (the address's and the client's), as transaction
    updates that fail when either is used up: written with the email's outbox item, or not at all."""
    updates = []
    for kind, subject, limit in (("LOGINADDR", address.lower(), LOGIN_EMAILS_PER_ADDRESS),
                                 ("LOGINCLIENT", client, LOGIN_EMAILS_PER_CLIENT)):
        key, _, window_end = _window(kind, subject, LOGIN_WINDOW_SECONDS, now)
        updates.append((LoginRequestCount(key, "COUNT"),
                        [LoginRequestCount.hits.add(1), LoginRequestCount.expires.set(window_end + timedelta(days=1))],
                        LoginRequestCount.hits.does_not_exist() | (LoginRequestCount.hits < limit)))
    return updates
