"""Phone numbers and email addresses as managers type them, and as logs may show them."""

from __future__ import annotations

import pytest

from chalicelib.domain.contacts import InvalidContact, mask_email, mask_phone, normalise_email, normalise_phone, receives_sms


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "+33 6 12 34 56 78", "06.12.34.56.78", "0612345678", "+33612345678",
                                 "0033 6 12 34 56 78"])
def test_french_mobile_numbers_are_stored_in_international_format(raw: str) -> None:
    assert normalise_phone(raw) == "+33612345678"


def test_a_belgian_number_keeps_its_country_code() -> None:
    assert normalise_phone("+32 470 12 34 56") == "+32470123456"


@pytest.mark.parametrize("raw", ["12345", "06 12", "", "pas un numéro", "06 12 34 56 78 90 12"])
def test_an_invalid_phone_number_is_refused_with_a_message(raw: str) -> None:
    with pytest.raises(InvalidContact) as caught:
        normalise_phone(raw)
    assert str(caught.value) == "Numéro de téléphone invalide."


def test_an_email_address_is_accepted_and_normalised() -> None:
    normalised = normalise_email("  Karim@Plomberie-Benali.fr ")
    assert normalised.lower() == "karim@plomberie-benali.fr"
    assert normalised.startswith("Karim@")  # the local part is the owner's: kept as typed


@pytest.mark.parametrize("raw", ["pas-une-adresse", "", "karim@", "@plomberie.fr", "karim@@plomberie.fr"])
def test_an_invalid_email_address_is_refused_with_a_message(raw: str) -> None:
    with pytest.raises(InvalidContact) as caught:
        normalise_email(raw)
    assert str(caught.value) == "Adresse e-mail invalide."


@pytest.mark.parametrize("phone", ["+33612345678", "+32470123456", "+590690123456", "+3361234567"])
def test_a_masked_phone_never_shows_the_whole_number(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked != phone
    assert len(masked) == len(phone)
    assert masked.startswith(phone[:3]) and masked.endswith(phone[-2:])
    assert phone[3:-2] not in masked


@pytest.mark.parametrize("email", ["karim@plomberie-benali.fr", "k@x.fr", "jean.dupont@gestion-demo.fr"])
def test_a_masked_email_never_shows_the_whole_address(email: str) -> None:
    masked = mask_email(email)
    assert masked != email
    assert masked.endswith("@" + email.split("@")[1])
    if len(email.split("@")[0]) > 1:
        assert email.split("@")[0] not in masked


@pytest.mark.parametrize("value", [None, "", "pas-une-adresse"])
def test_masking_nothing_or_a_non_address_shows_nothing(value: str | None) -> None:
    assert mask_email(value) == ""
    if value != "pas-une-adresse":
        assert mask_phone(value) == ""


@pytest.mark.parametrize(("raw", "stored"), [
    ("0692 12 34 56", "+262692123456"),  # La Réunion
    ("0690 12 34 56", "+590690123456"),  # Guadeloupe
    ("06 96 12 34 56", "+596696123456"),  # Martinique
    ("0694 12 34 56", "+594694123456"),  # Guyane
    ("+262 692 12 34 56", "+262692123456"),
])
def test_an_overseas_french_number_written_the_national_way_is_understood(raw: str, stored: str) -> None:
    assert normalise_phone(raw) == stored


@pytest.mark.parametrize("raw", ["87 12 34 56", "75 12 34", "692 12 34 56"])
def test_a_number_missing_digits_is_not_read_as_an_overseas_one(raw: str) -> None:
    # "06 87 12 34 56" without its "06" is a valid number in French Polynesia: an SMS to a stranger.
    with pytest.raises(InvalidContact):
        normalise_phone(raw)


@pytest.mark.parametrize(("phone", "mobile"), [("+33612345678", True), ("+262692123456", True), ("+33123456789", False),
                                               ("+33972123456", False)])
def test_only_a_mobile_number_receives_text_messages(phone: str, mobile: bool) -> None:
    assert receives_sms(phone) is mobile


def test_an_accented_domain_is_kept_the_way_ses_can_send_it() -> None:
    # SES takes 7-bit addresses only: the domain in Punycode, which bounce reports also use.
    assert normalise_email("jean@éxemple.fr") == "jean@xn--xemple-9ua.fr"


def test_accents_before_the_at_sign_are_refused_as_ses_cannot_send_them() -> None:
    with pytest.raises(InvalidContact, match="Adresse e-mail invalide"):
        normalise_email("jéan@exemple.fr")
