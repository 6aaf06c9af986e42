"""Limits per client and time window: wrong links (slows down link guessing) and sign-in emails;
and the upload permissions one holder can have.

Each per-window limit counts on one item per subject (client, address) and fixed time window: an
ADD on `hits`, expiring by TTL. A flood costs one small item per subject and window, and once a
client is over the wrong-link limit this container stops writing for it until the window ends.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import ListAttribute, VersionAttribute
from pynamodb.exceptions import PutError

from chalicelib.config import settings
from chalicelib.data import keys, store
from chalicelib.data.models import LoginRequestCount, RelaisItem, WrongLinkCount
from chalicelib.domain.text import N_

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
    return keys.window_pk(kind, subject, window), window, datetime.fromtimestamp((window + 1) * window_seconds, UTC)


def record_wrong_link(client: str, now: datetime, started: float | None = None) -> bool:
    """Count one wrong link; True when this client is over the limit and must wait (429).

    Only failures are counted, so a correct link costs no extra database call. Under the limit,
    returns no earlier than `started` (time.monotonic) + WRONG_LINK_ANSWER_SECONDS.
    """
    window_seconds = settings().wrong_link_window_seconds
    key, window, window_end = _window(keys.WRONG_LINKS, client, window_seconds, now)
    if _over_limit.get(key) == window:
        return True  # known here already: no write, no wait
    counter = WrongLinkCount(key, keys.COUNT_SK)
    counter.update(actions=[WrongLinkCount.hits.add(1),
                            WrongLinkCount.expires.set(window_end + timedelta(seconds=window_seconds))])
    if int(counter.hits) > settings().wrong_link_limit:
        for stale in [k for k, w in list(_over_limit.items()) if w != window]:  # chalice local is threaded
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
    for kind, subject, limit in ((keys.LOGINS_BY_ADDRESS, address.lower(), LOGIN_EMAILS_PER_ADDRESS),
                                 (keys.LOGINS_BY_CLIENT, client, LOGIN_EMAILS_PER_CLIENT)):
        key, _, window_end = _window(kind, subject, LOGIN_WINDOW_SECONDS, now)
        updates.append((LoginRequestCount(key, keys.COUNT_SK),
                        [LoginRequestCount.hits.add(1), LoginRequestCount.expires.set(window_end + timedelta(days=1))],
                        LoginRequestCount.hits.does_not_exist() | (LoginRequestCount.hits < limit)))
    return updates


# -- upload permissions ----------------------------------------------------------------------
# A presigned POST cannot be taken back: each one lets its holder put up to 20 MB in the bucket
# until it expires. So each holder (a contractor's link, a manager) gets a bounded number: at most
# `upload_limit_at_once` alive at once (given within one permission's lifetime) and at most
# `upload_limit_per_hour` in any hour. One item per holder keeps the last hour's grant times.

TOO_MANY_AT_ONCE = N_("Trop de fichiers en cours d'envoi : attendez deux minutes, puis réessayez.")
TOO_MANY_THIS_HOUR = N_("Trop de fichiers envoyés en une heure : réessayez plus tard.")


class UploadGrants(RelaisItem, discriminator="upload_grants"):
    """When one holder was given upload permissions in the last hour (epoch seconds)."""

    granted = ListAttribute[float](default=list)  # numbers: stored as DynamoDB numbers
    revision = VersionAttribute()


def grant_upload(holder: str, now: datetime, lifetime_seconds: int) -> str | None:
    """Count one upload permission for `holder`; None when given, else why not (a French msgid)."""
    config, moment = settings(), now.timestamp()
    pk = keys.upload_grants_pk(holder)
    # Files of one message ask at the same moment. A lost round means another request took a place,
    # so after `upload_limit_at_once` + 1 rounds the limit itself answers: no false refusal.
    for _ in range(config.upload_limit_at_once + 1):
        try:
            grants = UploadGrants.get(pk, keys.GRANTS_SK, consistent_read=True)
        except UploadGrants.DoesNotExist:
            grants = UploadGrants(pk, keys.GRANTS_SK)
        last_hour = [at for at in grants.granted if at > moment - 3600]
        if sum(1 for at in last_hour if at > moment - lifetime_seconds) >= config.upload_limit_at_once:
            return TOO_MANY_AT_ONCE
        if len(last_hour) >= config.upload_limit_per_hour:
            return TOO_MANY_THIS_HOUR
        grants.granted = [*last_hour, moment]
        grants.expires = now + timedelta(hours=1)
        try:
            grants.save()  # on the revision read: two requests never both take the last place
            return None
        except PutError as exc:
            store.failed_conditions(exc)  # the revision moved on (a busy table raises): read it again
    return TOO_MANY_AT_ONCE
