"""Phone numbers and email addresses, checked and normalised by libraries (default region FR)."""

from __future__ import annotations


class InvalidContact(ValueError):
    pass


# Overseas France writes its numbers the national way too ("0692 12 34 56" in La Réunion):
# tried after metropolitan France when a national number is not valid there.
OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF", "NC", "PF", "WF")


def normalise_phone(raw: str, region: str = "FR") -> str:
    """'06 12 34 56 78' → '+33612345678', '0692 12 34 56' → '+262692123456'; raises InvalidContact
    for anything not a real number."""
    import phonenumbers  # imported here: only directory edits need it, not the contractor's form

    regions = (region, *OVERSEAS_REGIONS) if region == "FR" else (region,)
    for candidate in regions:
        try:
            number = phonenumbers.parse(raw, candidate)
        except phonenumbers.NumberParseException as exc:
            raise InvalidContact("Numéro de téléphone invalide.") from exc
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if raw.strip().startswith("+"):
            break  # international format: the region played no part
    raise InvalidContact("Numéro de téléphone invalide.")


def receives_sms(phone: str) -> bool:
    """A mobile number (or one that may be: some countries do not tell); a landline gets no SMS."""
    import phonenumbers

    kind = phonenumbers.number_type(phonenumbers.parse(phone))
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalise_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidContact("Adresse e-mail invalide.") from exc


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
