"""The agency profile in force: the one item a manager edits (keys.AGENCY_PK), else the settings'.

Read once per container per CACHE_SECONDS: every SMS and email names the agency, and one GetItem
per message would double the outbox's reads. A change shows in this container at once and in the
others within CACHE_SECONDS.
"""

from __future__ import annotations

import time

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.data import keys, store
from chalicelib.data.keys import PROFILE, manager_pk
from chalicelib.data.models import AgencyProfile, Manager
from chalicelib.domain import clock
from chalicelib.domain.agency import Agency
from chalicelib.domain.errors import Changed, NotAdministrateur

CACHE_SECONDS = 60.0
_cached: tuple[float, Agency] | None = None


def _agency(item: AgencyProfile) -> Agency:
    return Agency(name=item.name, sms_sender_id=item.sms_sender_id, phone=item.phone,
                  postal_address=item.postal_address, reply_domain=item.reply_domain or "")


def load() -> tuple[Agency, int | None]:
    """The profile as stored now and its version (None: never saved, the settings' defaults)."""
    global _cached
    try:
        item = AgencyProfile.get(keys.AGENCY_PK, PROFILE, consistent_read=True)
    except AgencyProfile.DoesNotExist:
        found, version = settings().agency, None
    else:
        found, version = _agency(item), item.version
    _cached = (time.monotonic(), found)
    return found, version


def current() -> Agency:
    """The profile, at most CACHE_SECONDS old."""
    if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
        return _cached[1]
    return load()[0]


def forget() -> None:
    global _cached
    _cached = None


def save(agency: Agency, version: int | None, by_manager_id: str) -> None:
    """Saves the profile if it is still at `version` (None: never saved) and `by_manager_id` is still an
    active administrateur when it is written. Raises Changed (someone saved it meanwhile: a double
    submit, or another tab) or NotAdministrateur."""
    from chalicelib.data.directory import ADMINISTRATEUR  # the admin's module: only this write needs it

    item = AgencyProfile(keys.AGENCY_PK, PROFILE, name=agency.name, sms_sender_id=agency.sms_sender_id,
                         phone=agency.phone, postal_address=agency.postal_address, reply_domain=agency.reply_domain,
                         updated_by=by_manager_id, updated_at=clock.now_iso())
    if version is not None:
        item.version = version
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.save(item)  # conditioned on the version read (pynamodb's VersionAttribute)
            transaction.condition_check(Manager, manager_pk(by_manager_id), PROFILE,
                                        condition=(Manager.active == True) & (Manager.role == ADMINISTRATEUR))  # noqa: E712
    except TransactWriteError as exc:
        failed = store.failed_conditions(exc)
        if 0 in failed:  # pynamodb sends condition checks first, then puts
            raise NotAdministrateur(by_manager_id) from exc
        raise Changed(keys.AGENCY_PK) from exc
    forget()
