"""What the contractor and the manager are told when a form is wrong, field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.forms import (
    Acceptance,
    ContractorProfile,
    Invitation,
    validate_acceptance,
    validate_contractor,
    validate_invitation,
    validate_login_email,
    validate_new_request,
    validate_reason,
    validate_role,
)

ROLES = ("administrateur", "gestionnaire")

# Monday 1 June 2026, 10:00 in Paris (summer time, UTC+2).
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def accept(now: datetime = NOW, **form: str):
    return validate_acceptance(form, now)


# -- acceptance --------------------------------------------------------------------------------

def test_a_complete_acceptance_is_kept_with_a_trimmed_comment() -> None:
    result = accept(planned_date="2026-06-15", planned_time="09:30", comment="  Je passerai avec la nacelle.  ")
    assert result.ok
    assert result.value == Acceptance("2026-06-15", "09:30", "Je passerai avec la nacelle.")


def test_the_comment_is_optional() -> None:
    result = accept(planned_date="2026-06-15", planned_time="09:30")
    assert result.ok
    assert result.value is not None and result.value.comment == ""


def test_a_time_with_seconds_is_kept_as_hours_and_minutes() -> None:
    result = accept(planned_date="2026-06-15", planned_time="14:05:00")
    assert result.value is not None and result.value.planned_time == "14:05"


def test_missing_date_is_reported_on_the_date_field() -> None:
    result = accept(planned_time="09:30")
    assert not result.ok
    assert result.errors == {"planned_date": "Indiquez la date d'intervention."}


def test_missing_time_is_reported_on_the_time_field() -> None:
    result = accept(planned_date="2026-06-15", planned_time="   ")
    assert result.errors == {"planned_time": "Indiquez l'heure d'intervention."}


def test_both_missing_are_reported_together() -> None:
    assert set(accept().errors) == {"planned_date", "planned_time"}


@pytest.mark.parametrize("raw", ["2026-13-01", "01/12/2026", "2026-02-30", "demain", "2026-6-1"])
def test_a_malformed_date_is_refused(raw: str) -> None:
    result = accept(planned_date=raw, planned_time="09:30")
    assert result.errors == {"planned_date": "Date invalide (format attendu : JJ/MM/AAAA)."}


@pytest.mark.parametrize("raw", ["25:00", "12:60", "9h30", "0930", "midi"])
def test_a_malformed_time_is_refused(raw: str) -> None:
    result = accept(planned_date="2026-06-15", planned_time=raw)
    assert result.errors == {"planned_time": "Heure invalide (format attendu : HH:MM)."}


@pytest.mark.parametrize(("day", "hour"), [("2026-05-31", "18:00"), ("2026-06-01", "09:59"), ("2026-06-01", "10:00")])
def test_a_moment_already_past_is_refused(day: str, hour: str) -> None:
    result = accept(planned_date=day, planned_time=hour)
    assert result.errors == {"planned_date": "La date et l'heure d'intervention sont déjà passées."}


def test_a_minute_from_now_in_paris_time_is_accepted() -> None:
    # 10:01 in Paris is 08:01 UTC: the check compares instants, not wall-clock digits.
    assert accept(planned_date="2026-06-01", planned_time="10:01").ok


def test_later_today_in_winter_is_compared_in_paris_time() -> None:
    winter_now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # 10:30 in Paris
    assert not accept(winter_now, planned_date="2026-12-01", planned_time="10:15").ok
    assert accept(winter_now, planned_date="2026-12-01", planned_time="10:45").ok


def test_more_than_twelve_months_ahead_is_refused() -> None:
    result = accept(planned_date="2027-07-01", planned_time="09:00")
    assert result.errors == {"planned_date": "La date d'intervention doit être dans les douze prochains mois."}


def test_eleven_months_ahead_is_accepted() -> None:
    assert accept(planned_date="2027-05-01", planned_time="09:00").ok


def test_a_time_skipped_by_the_spring_clock_change_is_refused() -> None:
    # Sunday 28 March 2027, clocks jump from 02:00 to 03:00 in Paris.
    now = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    result = accept(now, planned_date="2027-03-28", planned_time="02:30")
    assert result.errors == {"planned_time": "Cette heure n'existe pas ce jour-là (changement d'heure)."}
    assert accept(now, planned_date="2027-03-28", planned_time="03:30").ok


def test_a_time_repeated_by_the_autumn_clock_change_is_accepted() -> None:
    now = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    assert accept(now, planned_date="2027-10-31", planned_time="02:30").ok


def test_a_comment_of_2000_characters_is_accepted() -> None:
    assert accept(planned_date="2026-06-15", planned_time="09:30", comment="x" * 2000).ok


def test_a_comment_of_2001_characters_is_refused() -> None:
    result = accept(planned_date="2026-06-15", planned_time="09:30", comment="x" * 2001)
    assert result.errors == {"comment": "Le commentaire dépasse 2000 caractères."}


# -- reasons: a refusal, a rejected quote, a cancellation ---------------------------------------

def test_a_refusal_keeps_the_trimmed_reason() -> None:
    result = validate_reason({"reason": "  Pas disponible cette semaine.  "}, "refusal")
    assert result.ok and result.value == "Pas disponible cette semaine."


@pytest.mark.parametrize("form", [{}, {"reason": ""}, {"reason": "   \n "}])
def test_a_refusal_needs_a_reason(form: dict[str, str]) -> None:
    assert validate_reason(form, "refusal").errors == {"reason": "Indiquez le motif du refus."}


def test_a_rejected_quote_needs_a_reason() -> None:
    assert validate_reason({"reason": " "}, "rejection").errors == {"reason": "Indiquez le motif."}


def test_a_cancellation_may_go_without_a_reason() -> None:
    result = validate_reason({"reason": "  "})
    assert result.ok and result.value == ""


@pytest.mark.parametrize("required_for", ["refusal", "rejection", None])
def test_a_reason_of_2000_characters_is_accepted_and_2001_refused(required_for: Any) -> None:
    assert validate_reason({"reason": "x" * 2000}, required_for).ok
    assert validate_reason({"reason": "x" * 2001}, required_for).errors == {"reason": "Le motif dépasse 2000 caractères."}


# -- new request (manager) ---------------------------------------------------------------------

def new_request_form(**overrides: str) -> dict[str, str]:
    form = {
        "contractor_id": "C1",
        "request_kind": "intervention",
        "title": "Fuite sous l'évier",
        "description": "Fuite d'eau au 3e étage, appartement 12.",
        "site_address": "12 rue des Lilas, 69003 Lyon",
        "access_notes": "Code 4521B",
        "urgency": "urgent",
    }
    form.update(overrides)
    return form


def test_a_complete_request_is_kept() -> None:
    result = validate_new_request(new_request_form(), ["email", "sms"])
    assert result.ok and result.value is not None
    assert result.value.title == "Fuite sous l'évier"
    assert result.value.urgency == "urgent"
    assert result.value.channels == ("sms", "email")


def test_urgency_and_kind_default_to_a_normal_intervention() -> None:
    result = validate_new_request(new_request_form(urgency="", request_kind=""), ["sms"])
    assert result.value is not None
    assert (result.value.urgency, result.value.request_kind) == ("normal", "intervention")


@pytest.mark.parametrize(("field", "message"), [
    ("contractor_id", "Choisissez un intervenant."),
    ("title", "Indiquez un titre."),
    ("description", "Décrivez l'intervention."),
    ("site_address", "Indiquez l'adresse du site."),
])
def test_a_required_field_left_empty_is_reported_on_that_field(field: str, message: str) -> None:
    result = validate_new_request(new_request_form(**{field: "  "}), ["sms"])
    assert result.errors == {field: message}


def test_access_notes_are_optional() -> None:
    assert validate_new_request(new_request_form(access_notes=""), ["sms"]).ok


@pytest.mark.parametrize(("field", "limit"), [("title", 200), ("description", 5000), ("site_address", 500),
                                              ("access_notes", 2000)])
def test_a_field_over_its_limit_is_refused(field: str, limit: int) -> None:
    assert validate_new_request(new_request_form(**{field: "x" * limit}), ["sms"]).ok
    result = validate_new_request(new_request_form(**{field: "x" * (limit + 1)}), ["sms"])
    assert result.errors == {field: f"Ce champ dépasse {limit} caractères."}


def test_an_unknown_urgency_is_refused() -> None:
    assert validate_new_request(new_request_form(urgency="très urgent"), ["sms"]).errors == {"urgency": "Urgence inconnue."}


def test_an_unknown_request_kind_is_refused() -> None:
    result = validate_new_request(new_request_form(request_kind="audit"), ["sms"])
    assert result.errors == {"request_kind": "Type de demande inconnu."}


@pytest.mark.parametrize("channels", [[], ["fax"], ["sms", "fax"]])
def test_no_channel_or_an_unknown_channel_is_refused(channels: list[str]) -> None:
    result = validate_new_request(new_request_form(), channels)
    assert result.errors == {"channels": "Choisissez au moins un canal : SMS ou e-mail."}


def test_without_a_contractor_only_the_contractor_is_asked_for() -> None:
    # The hint says the contractor's preference applies without a channel: with no contractor
    # chosen yet, "choose a channel" would contradict it.
    result = validate_new_request(new_request_form(contractor_id=""), [])
    assert result.errors == {"contractor_id": "Choisissez un intervenant."}


@pytest.mark.parametrize(("typed", "amount"), [
    ("1 250,00", "1250.00"), ("1250.00", "1250.00"), ("1250", "1250.00"), ("12,5", "12.50"), ("480,00 €", "480.00"),
    ("1,250.00", "1250.00"), ("1.250,00", "1250.00"), ("1,250,000", "1250000.00"), ("1,250.5", "1250.50"),
])
def test_amounts_are_read_the_french_and_the_english_way(typed: str, amount: str) -> None:
    from decimal import Decimal

    from chalicelib.domain.forms import parse_amount

    assert parse_amount(typed) == Decimal(amount)


@pytest.mark.parametrize("typed", ["1,250", "1.250", "1.250.00", "1,25,000.00", "1.2.3", "12,345", "0,250.00", "01,250.00"])
def test_an_amount_that_reads_two_ways_is_refused_rather_than_guessed(typed: str) -> None:
    from chalicelib.domain.forms import parse_amount

    assert parse_amount(typed) is None  # 1.25 € or 1,250 €? the form asks again


# -- people: contractors, managers, sign-in ------------------------------------------------------

CONTRACTOR = {"name": " Martin Plomberie ", "company": "SARL Martin", "trade": "Plombier", "phone": "06 12 34 56 78",
              "email": " Contact@Martin.fr ", "language": "fr"}


def test_a_contractor_card_comes_back_trimmed_and_normalised() -> None:
    result = validate_contractor(CONTRACTOR, ["email", "sms"])
    assert result.value == ContractorProfile("Martin Plomberie", "SARL Martin", "Plombier", "+33612345678",
                                             "Contact@martin.fr", ["sms", "email"], "fr")


def test_a_contractor_needs_a_name_a_channel_and_a_language() -> None:
    assert validate_contractor({"name": " ", "language": "de"}, []).errors == {
        "name": "Indiquez le nom de l'intervenant.", "channels": "Choisissez au moins un canal : SMS ou e-mail.",
        "language": "Choisissez la langue : français ou anglais."}


def test_each_channel_needs_its_contact_and_sms_a_mobile() -> None:
    missing = validate_contractor({**CONTRACTOR, "phone": "", "email": ""}, ["sms", "email"])
    assert missing.errors == {"phone": "Indiquez un numéro de téléphone pour l'envoi par SMS.",
                              "email": "Indiquez une adresse e-mail pour l'envoi par e-mail."}
    landline = validate_contractor({**CONTRACTOR, "phone": "01 42 68 53 00"}, ["sms"])
    assert landline.errors == {"phone": "Ce numéro est un fixe : il ne peut pas recevoir de SMS. Indiquez un mobile ou "
                                        "choisissez l'e-mail."}
    assert validate_contractor({**CONTRACTOR, "phone": "01 42 68 53 00"}, ["email"]).ok  # a landline to call is fine


def test_a_wrong_contact_is_refused_even_on_a_channel_not_chosen() -> None:
    result = validate_contractor({**CONTRACTOR, "phone": "12", "email": "martin@"}, ["email"])
    assert result.errors == {"phone": "Numéro de téléphone invalide.", "email": "Adresse e-mail invalide."}


def test_names_longer_than_200_characters_are_refused() -> None:
    result = validate_contractor({**CONTRACTOR, "company": "x" * 201, "trade": "x" * 200}, ["sms"])
    assert result.errors == {"company": "Ce champ dépasse 200 caractères."}


def test_an_invitation_needs_a_name_an_address_a_language_and_a_role() -> None:
    assert validate_invitation({"name": " Bruno ", "email": "bruno@gestion.fr", "language": "en", "role": "gestionnaire"},
                               ROLES).value == Invitation("Bruno", "bruno@gestion.fr", "en", "gestionnaire")
    assert validate_invitation({"role": "root"}, ROLES).errors == {
        "name": "Indiquez le nom du gestionnaire.", "email": "Adresse e-mail invalide.",
        "language": "Choisissez la langue : français ou anglais.",
        "role": "Choisissez le rôle : gestionnaire ou administrateur."}


def test_a_role_is_one_of_the_roles_given() -> None:
    assert validate_role("administrateur", ROLES).value == "administrateur"
    assert validate_role("Administrateur", ROLES).errors == {"role": "Choisissez le rôle : gestionnaire ou administrateur."}


@pytest.mark.parametrize("typed", ["", "claire.martin", "@" + "x" * 254])
def test_a_sign_in_address_needs_only_its_shape(typed: str) -> None:
    assert validate_login_email(typed).errors == {"email": "Indiquez une adresse e-mail valide."}
    assert validate_login_email(" claire@inconnue.example ").value == "claire@inconnue.example"


def test_a_new_request_takes_at_most_ten_files() -> None:
    form = {"contractor_id": "C1", "title": "t", "description": "d", "site_address": "a"}
    assert validate_new_request(form, ["sms"], 10).ok
    assert validate_new_request(form, ["sms"], 11).errors == {"files": "Pas plus de 10 fichiers par message."}
