"""The Reply-To of an email about a ticket: one address per ticket and recipient, with a secret.

`r.<ticket>.<who>.<secret>@<reply domain>`, in lower case (mail systems may change case): `who` is
`c<link number>` for the contractor (the secret derives from that link, so it dies with it) or
`m<key version>` for the ticket's owner (the secret derives from the ticket and the owner's id, so a
new owner gets a new address). 59 characters, under the 64 a local part may have (RFC 5321).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain import tokens

CONTRACTOR, MANAGER = "c", "m"
# ULIDs are Crockford base32 (no I, L, O, U); the secret is RFC 4648 base32 (a-z, 2-7).
_LOCAL = re.compile(r"^r\.(?P<ticket>[0-9a-hjkmnp-tv-z]{26})\.(?P<who>[cm])(?P<number>[0-9]{1,6})\.(?P<secret>[a-z2-7]{26})$")


@dataclass(frozen=True)
class ReplyAddress:
    ticket_id: str  # upper case, as stored
    who: str  # CONTRACTOR or MANAGER
    number: int  # the contractor's link number, or the signing key version of a manager's address
    secret: str

    def local_part(self) -> str:
        return f"r.{self.ticket_id.lower()}.{self.who}{self.number}.{self.secret}"


def contractor_secret(key: str, ticket_id: str, link_number: int, link_nonce: str) -> str:
    return tokens.derive_mail_secret(key, "reply-contractor", ticket_id, link_number, link_nonce)


def manager_secret(key: str, ticket_id: str, manager_id: str) -> str:
    return tokens.derive_mail_secret(key, "reply-manager", ticket_id, manager_id)


def parse(address: str, domain: str) -> ReplyAddress | None:
    """The reply address in `address` if it is one of ours on `domain`, else None (shape only:
    the secret is checked against the ticket by the caller)."""
    local, _, host = address.strip().lower().rpartition("@")
    match = _LOCAL.match(local)
    if match is None or not domain or host != domain.lower():
        return None
    return ReplyAddress(match["ticket"].upper(), match["who"], int(match["number"]), match["secret"])


def secret_matches(given: str, expected: str) -> bool:
    import hmac

    return hmac.compare_digest(given.encode(), expected.encode())
