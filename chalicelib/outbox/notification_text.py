"""The text of every SMS and email, rendered from templates/messages/<name>.* in the reader's language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import i18n
from chalicelib.data import agency as agencies
from chalicelib.domain import gsm7
from chalicelib.i18n import formatting, rendering

if TYPE_CHECKING:
    from chalicelib.domain.agency import Agency

# Steps that share one template set, told apart by their headline.
_SHARED = {step: "contractor_step" for step in formatting.STEP_HEADLINES}


OCCUPANT_PREFIX = "occupant_"  # chalicelib/usecases/occupants.py: one template set, told apart by step


def _file(template: str) -> str:
    return "occupant" if template.startswith(OCCUPANT_PREFIX) else _SHARED.get(template, template)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


SMS_ADDRESS_MAX = 40  # septets: the street and the town, not the building's whole directions
SMS_ADDRESS_KEEP = 16  # septets of address kept before the agency's name gives way (a long origin)
SMS_TITLE_MIN = 12  # a title cut shorter says little: left out instead


def render_sms(template: str, language: str, params: dict[str, Any], url: str, agency: Agency | None = None) -> str:
    """One GSM-7 segment: the agency, the reference, what is asked, the address, then as much of
    the title as the 160 septets leave room for, and the link. Names, addresses and titles are
    transliterated (ê → e, « → ", … → ...): one character outside GSM-7 would make it UCS-2, 70
    characters a part."""
    if _file(template) == "occupant":
        return render_occupant_sms(template, language, params, url)
    agency = agency or agencies.current()
    lang = i18n.normalise(language)
    values = {"step": template, **params}
    sender, ref = agency.sms_name, gsm7.to_gsm7(str(params.get("reference", "")))

    def text(address: str, title: str) -> str:
        rendered = rendering.render(f"messages/{_file(template)}.sms.txt", lang, p=values, agency=sender, ref=ref,
                                    address=address, title=title, url=url)
        return gsm7.to_gsm7(" ".join(rendered.split()))  # the template is GSM-7 already (tests/unit/test_sms.py)

    # A long origin (a long custom domain) leaves less room: the agency's name gives way first, as
    # the sender ID above the SMS already says who writes; then the address, then the title.
    spare = gsm7.ONE_SEGMENT - gsm7.septets(text("", "")) - len(" ") - SMS_ADDRESS_KEEP
    if spare < 0:
        sender = gsm7.shorten(sender, gsm7.septets(sender) + spare)
    room = gsm7.ONE_SEGMENT - gsm7.septets(text("", "")) - len(" ")  # the address comes with a space
    address = gsm7.shorten(short_address(gsm7.to_gsm7(str(params.get("site_address", "")))), min(SMS_ADDRESS_MAX, room))
    room = gsm7.ONE_SEGMENT - gsm7.septets(text(address, ""))
    title_room = room - len(" - ")
    title = gsm7.shorten(gsm7.to_gsm7(str(params.get("title", ""))), title_room) if title_room >= SMS_TITLE_MIN else ""
    return text(address, title)


OCCUPANT_COMPANY_MIN = 6  # a company cut shorter says little: left out instead


def render_occupant_sms(template: str, language: str, params: dict[str, Any], url: str) -> str:
    """One GSM-7 segment for the occupant: what happens when, the company as far as it fits, the
    link to their read-only page. No reference (it means nothing to them), no agency (the sender ID
    names it), no address (it is theirs)."""
    lang = i18n.normalise(language)
    values = {"step": template, **params}

    def text(company: str) -> str:
        rendered = rendering.render("messages/occupant.sms.txt", lang, p=values, company=company, url=url)
        return gsm7.to_gsm7(" ".join(rendered.split()))

    room = gsm7.ONE_SEGMENT - gsm7.septets(text("x")) + 1
    company = gsm7.shorten(gsm7.to_gsm7(str(params.get("company", ""))), room).rstrip(".") if room >= OCCUPANT_COMPANY_MIN else ""
    return text(company)


def short_address(address: str) -> str:
    """Where to go, in few characters: from the street number on (a residence's or building's name
    before it is left to the email and the form), without the postal code before the town."""
    parts = [part.strip() for part in re.split(r"[,\n]", address) if part.strip()]
    street = next((i for i, part in enumerate(parts) if part[0].isdigit()), 0)
    return re.sub(r"\b\d{5}\s+(?=\D)", "", ", ".join(parts[street:]))


def render_email(template: str, language: str, params: dict[str, Any], url: str) -> Rendered:
    lang = i18n.normalise(language)
    base = f"messages/{_file(template)}"
    params = {"step": template, **params}
    subject = rendering.render(f"{base}.subject.txt", lang, p=params, url=url).strip()
    text = rendering.render(f"{base}.email.txt", lang, p=params, url=url, subject=subject)
    html = rendering.render(f"{base}.email.html", lang, p=params, url=url, subject=subject)
    return Rendered(" ".join(subject.split()), text, html)
