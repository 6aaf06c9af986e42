"""Phone numbers and email addresses, checked and normalised by libraries (default region FR)."""

from __future__ import annotations

from chalicelib.domain.errors import InvalidContact
from chalicelib.domain.text import N_

# The overseas departments write their numbers the national way too, 10 digits from a 0
# ("0692 12 34 56" in La Réunion): tried after metropolitan France for such a number only, so a
# metropolitan number missing digits is never read as a shorter overseas one (an SMS to a stranger).
# Guadeloupe's +590 also covers Saint-Barthélemy and Saint-Martin.
OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF")


def normalise_phone(raw: str, region: str = "FR") -> str:
    """'06 12 34 56 78' → '+33612345678', '0692 12 34 56' → '+262692123456'; raises InvalidContact
    for anything not a real number."""
    import phonenumbers  # imported here: only directory edits need it, not the contractor's form

    digits = "".join(c for c in raw if c.isdigit())
    national = region == "FR" and not raw.strip().startswith("+") and len(digits) == 10 and digits.startswith("0")
    regions = (region, *OVERSEAS_REGIONS) if national else (region,)
    for candidate in regions:
        try:
            number = phonenumbers.parse(raw, candidate)
        except phonenumbers.NumberParseException as exc:
            raise InvalidContact(N_("Numéro de téléphone invalide.")) from exc
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidContact(N_("Numéro de téléphone invalide."))


def receives_sms(phone: str) -> bool:
    """A mobile number (or one that may be: some countries do not tell); a landline gets no SMS."""
    import phonenumbers

    kind = phonenumbers.number_type(phonenumbers.parse(phone))
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalise_email(raw: str) -> str:
    """Stored as SES sends it: 7-bit only. An accented domain is kept in Punycode (RFC 3492), so
    sends and bounce reports name the same address; accents before the @ cannot be sent at all."""
    from email_validator import EmailNotValidError, validate_email

    try:
        address = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError as exc:
        raise InvalidContact(N_("Adresse e-mail invalide.")) from exc
    if address is None:  # pragma: no cover - allow_smtputf8=False always gives the ASCII form
        raise InvalidContact(N_("Adresse e-mail invalide."))
    return str(address)


def mask_phone(phone: str | None) -> str:
    """For logs and screens that must not show the whole number: '+33******78'."""
    if not phone:
        return ""
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"
