"""The agency that sends the work orders: its name opens every SMS, its sender ID signs them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain import gsm7

NAME_MAX = 60
SMS_NAME_MAX = 20  # septets of the name at the start of an SMS (a longer name is cut there)
# What SNS / End User Messaging take as an alphanumeric sender ID: 1-11 letters and digits, one letter at least.
SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")


def tel_uri(phone: str) -> str:
    """A phone as a tap-to-call link (RFC 3966): '+33 4 78 00 00 00' → 'tel:+33478000000'."""
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + "".join(c for c in phone if c.isdigit())


@dataclass(frozen=True)
class Agency:
    name: str
    sms_sender_id: str
    phone: str
    postal_address: str
    reply_domain: str = ""  # where contractors' emailed replies are received (issue 14 section 3)

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > NAME_MAX:
            raise ValueError(f"the agency's name must have 1 to {NAME_MAX} characters")
        if not SENDER_ID.match(self.sms_sender_id):
            raise ValueError("the SMS sender ID must be 1 to 11 letters and digits, one letter at least")

    @property
    def sms_name(self) -> str:
        """The name as an SMS starts with it: GSM-7 letters only, at most SMS_NAME_MAX septets."""
        return gsm7.shorten(gsm7.to_gsm7(self.name), SMS_NAME_MAX)
