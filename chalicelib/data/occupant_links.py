"""The occupant's link: a read-only page about the intervention, with its own secret.

Made like a contractor's link (≥128 bits derived from the signing key and a nonce, only its SHA-256
stored) but as an OccupantLink item: the contractor's form never matches it, and it carries no
contractor link. One per ticket, made with the first message to the occupant.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.aws import signing_keys
from chalicelib.config import settings
from chalicelib.data import keys
from chalicelib.data.models import OccupantLink
from chalicelib.data.store import TicketView
from chalicelib.domain import clock, tokens
from chalicelib.domain.errors import LinkGone, LinkNotFound

PURPOSE = "occupant"
PATH = "/o"


def new_link(ticket_id: str, number: int, now: datetime) -> OccupantLink:
    nonce, key = tokens.new_nonce(), signing_keys.current()
    secret = tokens.derive_secret(key.value, PURPOSE, ticket_id, number, nonce, size=tokens.LINK_SECRET_BYTES)
    return OccupantLink(keys.ticket_pk(ticket_id), keys.occupant_link_sk(number), ticket_id=ticket_id, number=number,
                        secret_hash=tokens.sha256_hex(secret), nonce=nonce, key_version=key.version,
                        created_at=clock.iso(now))


def secret_of(link: OccupantLink) -> str:
    key = signing_keys.at_version(link.key_version)
    return tokens.derive_secret(key, PURPOSE, link.ticket_id, int(link.number), link.nonce, size=tokens.LINK_SECRET_BYTES)


def url_for(ticket_id: str, secret: str) -> str:
    return f"{settings().base_url}{PATH}/{ticket_id}/{secret}"


def current(view: TicketView) -> OccupantLink | None:
    live = [link for link in view.occupant_links if not link.revoked]
    return max(live, key=lambda link: int(link.number), default=None)


def resolve(view: TicketView, secret: str, now: datetime) -> OccupantLink:
    """The occupant link of `view` whose secret this is, if it may still be used (links.open_ticket's resolver)."""
    match = next((link for link in view.occupant_links if tokens.secret_matches(secret, link.secret_hash)), None)
    if match is None:
        raise LinkNotFound()
    language = view.ticket.occupant_language or "fr"
    closed_at = view.ticket.closed_at
    if match.revoked or (closed_at and now > clock.parse_iso(closed_at)
                         + timedelta(days=settings().link_lifetime_days_after_close)):
        raise LinkGone(language)
    return match
