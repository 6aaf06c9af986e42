"""Manager sign-in without a password: an emailed single-use link, then a signed session cookie.

The login secret is never stored: the token item keeps the SHA-256 of the secret and the
outbox item keeps the nonce it derives from (HMAC with the signing key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import clock, contacts, directory, keys, outbox, store, tokens
from chalicelib.models import LoginToken, Manager, ManagerSession, RelaisItem, manager_pk

LOGIN_LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
SESSION_COOKIE = "relais_session"


@dataclass(frozen=True)
class Session:
    manager: Manager
    session_id: str


def _login_pk(secret: str) -> str:
    return f"LOGIN#{tokens.sha256_hex(secret)}"


def request_login_link(email: str, now: datetime) -> bool:
    """Email a login link if the address belongs to an active manager. The caller answers the
    same way either way, so the page never tells which addresses exist."""
    try:  # as the directory stores it (an accented domain in Punycode)
        email = contacts.normalise_email(email)
    except contacts.InvalidContact:
        return False
    manager = directory.find_manager_by_email(email)
    if manager is None or not manager.active:
        return False
    nonce, key = tokens.new_nonce(), keys.current()
    secret = tokens.derive_login_secret(key.value, nonce)
    expires_at = now + LOGIN_LINK_LIFETIME
    token = LoginToken(_login_pk(secret), "LOGIN", manager_id=manager.manager_id, expires_at=clock.iso(expires_at),
                       expires=expires_at + timedelta(days=1))
    notification = outbox.new_notification(
        manager_pk(manager.manager_id), ticket_id="", channel="email", audience="manager", recipient=manager.email,
        template="login_link", language=manager.language, params={"login_nonce": nonce, "key_version": key.version,
                                                                 "manager_name": manager.name},
        now=now,
    )
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.save(token)
            transaction.save(notification)
    except TransactWriteError as exc:  # pragma: no cover - the table is down
        raise RuntimeError("could not record the login link") from exc
    return True


class LoginLinkInvalid(Exception):
    """Unknown, already used or expired login link."""


def usable_login_link(secret: str, now: datetime) -> LoginToken | None:
    """Read-only check for the GET page (a mail scanner opening the link changes nothing)."""
    if not tokens.looks_like_secret(secret):
        return None
    try:
        token = LoginToken.get(_login_pk(secret), "LOGIN", consistent_read=True)
    except LoginToken.DoesNotExist:
        return None
    return token if not token.used and clock.iso(now) < token.expires_at else None


def consume_login_link(secret: str, now: datetime) -> Session:
    """Spend the link (once, before it expires) and open a session."""
    if not tokens.looks_like_secret(secret):
        raise LoginLinkInvalid()
    token = LoginToken(_login_pk(secret), "LOGIN")
    try:
        token.update(
            actions=[LoginToken.used.set(True)],
            condition=LoginToken.pk.exists() & (LoginToken.used == False) & (LoginToken.expires_at > clock.iso(now)),  # noqa: E712
        )
    except UpdateError as exc:
        raise LoginLinkInvalid() from exc
    manager = directory.get_manager(token.manager_id)
    if manager is None or not manager.active:
        raise LoginLinkInvalid()
    session = Session(manager, tokens.new_random_secret())
    ends = now + SESSION_LIFETIME
    ManagerSession(manager_pk(manager.manager_id), _session_sk(session.session_id), manager_id=manager.manager_id,
                   expires_at=clock.iso(ends), expires=ends + timedelta(days=1)).save()
    return session


def _session_sk(session_id: str) -> str:
    return f"SESSION#{tokens.sha256_hex(session_id)}"


def end_session(session: Session) -> None:
    """Logging out: the cookie stops working everywhere, even a copy of it."""
    ManagerSession(manager_pk(session.manager.manager_id), _session_sk(session.session_id)).delete()


def session_cookie_value(session: Session) -> str:
    return keys.signer().dumps("session", {"m": session.manager.manager_id, "s": session.session_id})


def session_from_cookie(value: str | None) -> Session | None:
    """The signed-in manager, or None (no cookie, forged, expired, or manager deactivated)."""
    if not value:
        return None
    data = keys.signer().loads("session", value, int(SESSION_LIFETIME.total_seconds()))
    if not isinstance(data, dict) or not isinstance(data.get("m"), str) or not isinstance(data.get("s"), str):
        return None
    # The profile and the session item in one call: a page behind a session stays at two calls.
    found = {item.sk: item for item in RelaisItem.batch_get([(manager_pk(data["m"]), "PROFILE"),
                                                              (manager_pk(data["m"]), _session_sk(data["s"]))])}
    manager, open_session = found.get("PROFILE"), found.get(_session_sk(data["s"]))
    if not isinstance(manager, Manager) or not manager.active or not isinstance(open_session, ManagerSession):
        return None
    if open_session.expires_at <= clock.now_iso():
        return None
    return Session(manager, data["s"])


def csrf_token(session: Session) -> str:
    return keys.signer().dumps("admin-csrf", session.session_id)


def csrf_valid(session: Session, token: str | None) -> bool:
    if not token:
        return False
    value = keys.signer().loads("admin-csrf", token, int(SESSION_LIFETIME.total_seconds()))
    return value == session.session_id
