"""A manager's alert preferences and their morning digest, in the manager's partition.

Preferences: one item, versioned. Alerts kept for the digest: one item each, sorted by time, so a
digest is one Query of what came after the last one (`DigestSent.until`) and up to its own time.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.data import keys
from chalicelib.data.models import AlertPreferences, DigestEntry, DigestSent, RelaisItem
from chalicelib.domain import clock

ENTRY_TTL = timedelta(days=45)  # a digest never sent (a manager gone) does not keep them forever
DIGEST_MAX_ENTRIES = 500  # one email: beyond this, "and more" and the link to À traiter


def preferences(manager_id: str) -> AlertPreferences:
    """The manager's preferences; an unsaved item (version None) holding the defaults when none was saved."""
    try:
        return AlertPreferences.get(keys.manager_pk(manager_id), keys.ALERT_PREFERENCES_SK)
    except AlertPreferences.DoesNotExist:
        return AlertPreferences(keys.manager_pk(manager_id), keys.ALERT_PREFERENCES_SK, choices={}, urgent_at_once=True)


def save_preferences(item: AlertPreferences, choices: dict[str, str], urgent_at_once: bool, now_iso: str) -> None:
    """Saved only over the version the form was built from (pynamodb's version condition): a
    concurrent save from another tab raises an update error the page reads as "changed meanwhile"."""
    item.choices, item.urgent_at_once, item.updated_at = choices, urgent_at_once, now_iso
    item.save()


def entry(manager_id: str, ticket_id: str, at: str, notification_id: str, template: str,
          params: dict[str, object]) -> DigestEntry:
    return DigestEntry(keys.manager_pk(manager_id), keys.digest_entry_sk(at, notification_id), manager_id=manager_id,
                       ticket_id=ticket_id, at=at, template=template, params=params,
                       expires=clock.parse_iso(at) + ENTRY_TTL)


def last_sent(manager_id: str) -> DigestSent:
    try:
        return DigestSent.get(keys.manager_pk(manager_id), keys.DIGEST_SENT_SK, consistent_read=True)
    except DigestSent.DoesNotExist:
        return DigestSent(keys.manager_pk(manager_id), keys.DIGEST_SENT_SK, until="")


def entries_between(manager_id: str, after: str, until: str) -> list[DigestEntry]:
    """The alerts kept after `after` (exclusive) up to `until` (inclusive), oldest first (one Query)."""
    low, high = keys.digest_entry_sk(after, "~") if after else keys.DIGEST_PREFIX, keys.digest_entry_sk(until, "~")
    found = RelaisItem.query(keys.manager_pk(manager_id), RelaisItem.sk.between(low, high), consistent_read=True,
                             limit=DIGEST_MAX_ENTRIES + 1)
    return [item for item in found if isinstance(item, DigestEntry)]
