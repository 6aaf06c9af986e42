"""Contractor links: minting, resolving and expiring the secret URL of a ticket's form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib.aws import signing_keys
from chalicelib.config import settings
from chalicelib.data import keys
from chalicelib.data.models import Link
from chalicelib.data.store import TicketView
from chalicelib.domain import clock, tokens
from chalicelib.domain.errors import LinkGone, LinkNotFound, NotFound


def new_link(ticket_id: str, contractor_id: str, number: int, now: datetime, language: str) -> tuple[Link, str]:
    nonce, key = tokens.new_nonce(), signing_keys.current()
    secret = tokens.derive_link_secret(key.value, ticket_id, number, nonce)
    link = Link(
        keys.ticket_pk(ticket_id),
        keys.link_sk(number),
        ticket_id=ticket_id,
        contractor_id=contractor_id,
        language=language,
        number=number,
        secret_hash=tokens.sha256_hex(secret),
        nonce=nonce,
        key_version=key.version,
        secret_bytes=tokens.LINK_SECRET_BYTES,
        created_at=clock.iso(now),
    )
    return link, secret


def _size(link: Link) -> int:
    """The secret's bytes: 24 for a link made before SMS links were shortened (it must keep working)."""
    return int(link.secret_bytes) if link.secret_bytes is not None else tokens.SECRET_BYTES


def secret_of(link: Link) -> str:
    """Derived again for each message that carries the link, from the key version it was made with."""
    return tokens.derive_link_secret(signing_keys.at_version(link.key_version), link.ticket_id, int(link.number), link.nonce,
                                     _size(link))


def url_for(ticket_id: str, secret: str) -> str:
    return f"{settings().base_url}/t/{ticket_id}/{secret}"


_recent_ticket: str | None = None  # a ticket this container opened lately: see open_ticket
_NO_TICKET = "0" * 26  # an id no ticket has (ULIDs of 1970)


def open_ticket(ticket_id: str, secret: str, now: datetime,
                resolver: Callable[[TicketView, str, datetime], object] | None = None) -> TicketView:
    """The ticket behind a link: one Query when the link is right. LinkNotFound alike for a wrong
    secret and for a ticket that does not exist, after the same work: one read that finds a ticket
    (for an unknown ticket, the one this container opened last, checked and thrown away) and one
    that finds none. A guesser cannot tell from the answer's timing which ticket ids exist.
    `resolver`: which of the ticket's links the secret must be (the contractor's by default; the
    occupant's page passes chalicelib/data/occupant_links.py's)."""
    global _recent_ticket
    from chalicelib.data import store

    resolver = resolver or resolve
    try:
        view = store.load_ticket(ticket_id)
    except NotFound:
        if _recent_ticket is not None:
            try:
                resolver(store.load_ticket(_recent_ticket), secret, now)
            except NotFound:
                _recent_ticket = None
            except (LinkNotFound, LinkGone):
                pass
        raise LinkNotFound() from None
    _recent_ticket = ticket_id
    try:
        resolver(view, secret, now)
    except LinkNotFound:
        try:
            store.load_ticket(_NO_TICKET)  # what an unknown ticket's own read costs
        except NotFound:
            pass
        raise
    return view


def _match(view: TicketView, secret: str) -> Link | None:
    return next((link for link in view.links if tokens.secret_matches(secret, link.secret_hash)), None)


def resolve(view: TicketView, secret: str, now: datetime) -> Link:
    """The link of `view` whose secret this is, if it may still be used."""
    match = _match(view, secret)
    if match is None:
        raise LinkNotFound()
    if match.revoked:
        raise LinkGone(_language_of(match, view))
    closed_at = view.ticket.closed_at
    if closed_at and now > clock.parse_iso(closed_at) + timedelta(days=settings().link_lifetime_days_after_close):
        raise LinkGone(_language_of(match, view))
    return match


def _language_of(link: Link, view: TicketView) -> str:
    """The language of the contractor the link was sent to, who may no longer be the ticket's."""
    if link.language:
        return str(link.language)
    return view.ticket.contractor_language if link.contractor_id == view.ticket.contractor_id else "fr"


def current_link(view: TicketView) -> Link | None:
    """The live link of the ticket's current contractor (newest first)."""
    live = [link for link in view.links if not link.revoked and link.contractor_id == view.ticket.contractor_id]
    return max(live, key=lambda link: int(link.number), default=None)


def record_key_versions() -> int:
    """Links saved before key versions were recorded get theirs: the version whose derived secret
    matches the stored hash (so a rotation made meanwhile cannot mislead it). Without it, the first
    rotation would change the link every later message carries. Returns how many were recorded."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.data import store

    newest = signing_keys.current().version
    recorded = 0
    for link in Link.scan(Link.key_version.does_not_exist()):
        version = next((v for v in range(newest, 0, -1) if _derives(link, v)), None)
        if version is None:
            continue  # made with a version SSM no longer keeps: nothing can send this link again
        try:
            link.update(actions=[Link.key_version.set(version)], condition=Link.key_version.does_not_exist())
            recorded += 1
        except UpdateError as exc:
            store.failed_conditions(exc)  # a busy table raises: the run stops, and is run again
            continue  # recorded meanwhile by another run
    return recorded


def _derives(link: Link, version: int) -> bool:
    try:
        key = signing_keys.at_version(version)
    except LookupError:
        return False
    secret = tokens.derive_link_secret(key, link.ticket_id, int(link.number), link.nonce, _size(link))
    return tokens.secret_matches(secret, link.secret_hash)
