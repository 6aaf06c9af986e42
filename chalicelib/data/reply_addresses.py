"""Reply-To addresses of a ticket's emails (chalicelib/domain/reply_address.py), made and checked.

Nothing is stored: a contractor's address derives from their link (number, nonce, key version), so
it is revoked with the link; a manager's derives from the ticket and its owner, so it stops working
when the ticket changes owner. No reply domain in the agency profile: no Reply-To at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.aws import signing_keys
from chalicelib.data import agency, keys
from chalicelib.data.models import Link
from chalicelib.data.store import TicketView
from chalicelib.domain import reply_address
from chalicelib.domain.reply_address import CONTRACTOR, MANAGER, ReplyAddress


def domain() -> str:
    return agency.current().reply_domain


def _contractor_address(ticket_id: str, link: Link) -> ReplyAddress:
    key = signing_keys.at_version(link.key_version)
    secret = reply_address.contractor_secret(key, ticket_id, int(link.number), link.nonce)
    return ReplyAddress(ticket_id, CONTRACTOR, int(link.number), secret)


def for_contractor(ticket_id: str, link_number: int) -> str:
    """The contractor's Reply-To on emails that carry link `link_number` ("" without a reply domain)."""
    where = domain()
    if not where:
        return ""
    link = Link.get(keys.ticket_pk(ticket_id), keys.link_sk(link_number))
    return f"{_contractor_address(ticket_id, link).local_part()}@{where}"


def for_manager(ticket_id: str, manager_id: str) -> str:
    """The owner's Reply-To on their alerts about the ticket ("" without a reply domain)."""
    where = domain()
    if not where:
        return ""
    key = signing_keys.current()
    secret = reply_address.manager_secret(key.value, ticket_id, manager_id)
    return f"{ReplyAddress(ticket_id, MANAGER, key.version, secret).local_part()}@{where}"


@dataclass(frozen=True)
class Replier:
    """Who an address stands for on a ticket: the contractor of `link`, or the ticket's owner."""

    who: str  # CONTRACTOR or MANAGER
    link: Link | None = None

    @property
    def revoked(self) -> bool:
        return self.link is not None and bool(self.link.revoked)


def identify(view: TicketView, address: ReplyAddress) -> Replier | None:
    """Whose address this is on the ticket, if its secret is right (a revoked link's too: its sender
    is told); None for a wrong secret, an unknown link, or a former owner's address."""
    if address.who == CONTRACTOR:
        link = next((link for link in view.links if int(link.number) == address.number), None)
        if link is None:
            return None
        expected = _contractor_address(view.ticket.ticket_id, link).secret
        return Replier(CONTRACTOR, link) if reply_address.secret_matches(address.secret, expected) else None
    if address.number > signing_keys.current().version:
        return None  # no such key yet: not worth a call to SSM
    try:
        key = signing_keys.at_version(address.number)
    except LookupError:
        return None  # made with a key version SSM no longer keeps
    expected = reply_address.manager_secret(key, view.ticket.ticket_id, view.ticket.manager_id)
    return Replier(MANAGER) if reply_address.secret_matches(address.secret, expected) else None
