"""Phone numbers and email addresses, checked and normalised by libraries (default region FR)."""

from __future__ import annotations


class InvalidContact(ValueError):
    pass


def normalise_phone(raw: str, region: str = "FR") -> str:
    """'06 12 34 56 78' → '+33612345678'; raises InvalidContact for anything not a real number."""
    import phonenumbers  # imported here: only directory edits need it, not the contractor's form

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidContact("Numéro de téléphone invalide.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("Numéro de téléphone invalide.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
