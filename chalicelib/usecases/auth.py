"""Manager sign-in without a password: an emailed single-use link, then a signed session cookie.

The login secret is never stored: the token item keeps the SHA-256 of the secret and the
outbox item keeps the nonce it derives from (HMAC with the signing key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.aws import signing_keys
from chalicelib.config import settings
from chalicelib.data import directory, keys, store, throttle
from chalicelib.data.keys import manager_pk
from chalicelib.data.models import LoginToken, Manager, ManagerSession, Notification, NotificationStatus, RelaisItem
from chalicelib.domain import clock, contacts, tokens
from chalicelib.domain.errors import InvalidContact, LoginLinkInvalid
from chalicelib.outbox import outgoing

LOGIN_LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
PLAIN_SESSION_COOKIE = "relais_session"
# Over https the browser keeps a `__Host-` cookie only if it is Secure, for this host alone, on
# Path=/: no subdomain can set or shadow it. `make run` serves http://127.0.0.1, where a
# `__Host-` cookie would be refused, so the plain name is kept there.
HOST_SESSION_COOKIE = "__Host-relais_session"


def session_cookie_name() -> str:
    return HOST_SESSION_COOKIE if settings().secure_cookies else PLAIN_SESSION_COOKIE


@dataclass(frozen=True)
class Session:
    manager: Manager
    session_id: str


def _login_items(manager: Manager | None, now: datetime) -> tuple[LoginToken, Notification]:
    """The login link's token and its outbox item. Without a manager, the same two items of the
    same size, inert (a token already used, a notification never pending) and expiring by TTL:
    an unknown address costs what a known one does, so the answer's timing tells nothing."""
    nonce, key = tokens.new_nonce(), signing_keys.current()
    secret = tokens.derive_login_secret(key.value, nonce)
    expires_at = now + LOGIN_LINK_LIFETIME
    token = LoginToken(keys.login_pk(secret), keys.LOGIN_SK, manager_id=manager.manager_id if manager else "",
                       expires_at=clock.iso(expires_at), expires=expires_at + timedelta(days=1),
                       session_generation=int(manager.session_generation or 0) if manager else 0,
                       used=manager is None)
    notification = outgoing.new_notification(
        manager_pk(manager.manager_id) if manager else token.pk, ticket_id="", channel="email", audience="manager",
        recipient=manager.email if manager else "-", template="login_link",
        language=manager.language if manager else "fr",
        params={"login_nonce": nonce, "key_version": key.version, "manager_name": manager.name if manager else ""},
        now=now,
    )
    if manager is None:
        notification.status, notification.outbox_shard, notification.outbox_due = NotificationStatus.INERT, None, None
        notification.expires = expires_at + timedelta(days=1)
    return token, notification


def request_login_link(email: str, client: str, now: datetime) -> bool:
    """Email a login link if the address belongs to an active manager; False when this address or
    this client asked too often (throttle.py), whether or not the address is a manager's. The
    caller answers the same way for known and unknown addresses: the page reveals no accounts."""
    try:  # as the directory stores it (an accented domain in Punycode)
        email = contacts.normalise_email(email)
    except InvalidContact:
        return True  # no manager has it: nothing to send, nothing to count
    manager = directory.find_manager_by_email(email)
    token, notification = _login_items(manager if manager is not None and manager.active else None, now)
    for attempt in range(2):
        try:
            with TransactWrite(connection=store.connection()) as transaction:
                for counter, actions, condition in throttle.login_email_counts(email, client, now):
                    transaction.update(counter, actions=actions, condition=condition)
                transaction.save(token)
                transaction.save(notification)
            return True
        except TransactWriteError as exc:
            if attempt == 0 and store.met_another_transaction(exc):
                continue  # another sign-in counted on the same counter at that moment (DynamoDB): once more
            store.failed_conditions(exc)  # a busy table raises Busy: it is no "too many links"
            return False  # a counter is used up (only they have conditions): nothing was written
    raise AssertionError("unreachable")


def send_invitation(manager: Manager, now: datetime) -> None:
    """An invited manager's first login link (asked by an administrateur: not counted)."""
    token, notification = _login_items(manager, now)
    with TransactWrite(connection=store.connection()) as transaction:
        transaction.save(token)
        transaction.save(notification)


def usable_login_link(secret: str, now: datetime) -> LoginToken | None:
    """Read-only check for the GET page (a mail scanner opening the link changes nothing)."""
    if not tokens.looks_like_secret(secret):
        return None
    try:
        token = LoginToken.get(keys.login_pk(secret), keys.LOGIN_SK, consistent_read=True)
    except LoginToken.DoesNotExist:
        return None
    return token if not token.used and clock.iso(now) < token.expires_at else None


def consume_login_link(secret: str, now: datetime) -> Session:
    """Spend the link (once, before it expires) and open a session."""
    if not tokens.looks_like_secret(secret):
        raise LoginLinkInvalid()
    token = LoginToken(keys.login_pk(secret), keys.LOGIN_SK)
    try:
        token.update(
            actions=[LoginToken.used.set(True)],
            condition=LoginToken.pk.exists() & (LoginToken.used == False) & (LoginToken.expires_at > clock.iso(now)),  # noqa: E712
        )
    except UpdateError as exc:
        store.failed_conditions(exc)  # a busy table raises Busy: the link may still be good
        raise LoginLinkInvalid() from exc
    manager = directory.get_manager(token.manager_id)
    if manager is None or not manager.active or not _same_generation(token.session_generation, manager):
        raise LoginLinkInvalid()  # deactivated since it was sent (even if reactivated since)
    session = Session(manager, tokens.new_random_secret())
    ends = now + SESSION_LIFETIME
    ManagerSession(manager_pk(manager.manager_id), keys.session_sk(session.session_id), manager_id=manager.manager_id,
                   expires_at=clock.iso(ends), expires=ends + timedelta(days=1)).save()
    return session


def end_session(session: Session) -> None:
    """Logging out: the cookie stops working everywhere, even a copy of it."""
    ManagerSession(manager_pk(session.manager.manager_id), keys.session_sk(session.session_id)).delete()


def _same_generation(generation: Any, manager: Manager) -> bool:
    """Issued since the manager's last deactivation (what was issued before generations counts as 0)."""
    return (generation or 0) == int(manager.session_generation or 0)


def session_cookie_value(session: Session) -> str:
    return signing_keys.signer().dumps("session", {"m": session.manager.manager_id, "s": session.session_id,
                                           "g": int(session.manager.session_generation or 0)})


def session_from_cookie(value: str | None) -> Session | None:
    """The signed-in manager, or None (no cookie, forged, expired, or manager deactivated)."""
    if not value:
        return None
    data = signing_keys.signer().loads("session", value, int(SESSION_LIFETIME.total_seconds()))
    if not isinstance(data, dict) or not isinstance(data.get("m"), str) or not isinstance(data.get("s"), str):
        return None
    # The profile and the session item in one call: a page behind a session stays at two calls.
    session_sk = keys.session_sk(data["s"])
    found = {item.sk: item for item in RelaisItem.batch_get([(manager_pk(data["m"]), keys.PROFILE),
                                                              (manager_pk(data["m"]), session_sk)])}
    manager, open_session = found.get(keys.PROFILE), found.get(session_sk)
    if not isinstance(manager, Manager) or not manager.active or not isinstance(open_session, ManagerSession):
        return None
    if not _same_generation(data.get("g"), manager):
        return None  # opened before a deactivation: reactivating the manager does not revive it
    if open_session.expires_at <= clock.now_iso():
        return None
    return Session(manager, data["s"])


def csrf_token(session: Session) -> str:
    return signing_keys.signer().dumps("admin-csrf", session.session_id)


def csrf_valid(session: Session, token: str | None) -> bool:
    if not token:
        return False
    value = signing_keys.signer().loads("admin-csrf", token, int(SESSION_LIFETIME.total_seconds()))
    return value == session.session_id
