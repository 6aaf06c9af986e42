"""Slows down link guessing (wrong links from one client are counted per time window) and bounds
the upload permissions one holder can have."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import ListAttribute, VersionAttribute
from pynamodb.exceptions import PutError

from chalicelib import tokens
from chalicelib.config import settings
from chalicelib.models import RelaisItem, WrongLinkCount


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


# -- upload permissions ----------------------------------------------------------------------
# A presigned POST cannot be taken back: each one lets its holder put up to 20 MB in the bucket
# until it expires. So each holder (a contractor's link, a manager) gets a bounded number: at most
# `upload_limit_at_once` alive at once (given within one permission's lifetime) and at most
# `upload_limit_per_hour` in any hour. One item per holder keeps the last hour's grant times.

TOO_MANY_AT_ONCE = "Trop de fichiers en cours d'envoi : attendez deux minutes, puis réessayez."
TOO_MANY_THIS_HOUR = "Trop de fichiers envoyés en une heure : réessayez plus tard."
_GRANT_ATTEMPTS = 12  # files of one message ask at the same moment; each round lets at least one through


class UploadGrants(RelaisItem, discriminator="upload_grants"):
    """When one holder was given upload permissions in the last hour (epoch seconds)."""

    granted = ListAttribute[float](default=list)  # numbers: stored as DynamoDB numbers
    revision = VersionAttribute()


def grant_upload(holder: str, now: datetime, lifetime_seconds: int) -> str | None:
    """Count one upload permission for `holder`; None when given, else why not (a French msgid)."""
    config, moment = settings(), now.timestamp()
    pk = f"UPLOADS#{tokens.sha256_hex(holder)[:32]}"
    for _ in range(_GRANT_ATTEMPTS):
        try:
            grants = UploadGrants.get(pk, "GRANTS", consistent_read=True)
        except UploadGrants.DoesNotExist:
            grants = UploadGrants(pk, "GRANTS")
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
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    return TOO_MANY_AT_ONCE
