"""Every SMS is one GSM-7 segment: 160 septets at most, link included, nothing outside GSM 03.38
(one such character would send the SMS as UCS-2, 70 characters a part, billed 2 to 4 times)."""

from __future__ import annotations

import re

import pytest

from chalicelib import i18n
from chalicelib.domain import agency, gsm7
from chalicelib.domain.agency import Agency
from chalicelib.outbox import notification_text
from tests.unit.test_i18n import SMS_TEMPLATES, TEMPLATES

# The longest of everything an SMS shows: a name cut at agency.SMS_NAME_MAX, a reference of a year
# past 99,999 tickets, a title and an address at their form limits, full of characters GSM-7 lacks.
LONGEST_AGENCY = Agency(("Société d’Économie Mixte « Régie Immobilière » de la Côte-d’Or et du Rhône")[:60], "GESTDEMO",
                        "+33 4 78 00 00 00", "1 place Bellecour, 69002 Lyon")
ACCENTED_TITLE = "Remplacement du chauffe-eau électrique « Atlantic » — fuite au 2ᵉ étage, côté cour… très urgent · "
ACCENTED_ADDRESS = "Résidence Les Hêtres, bâtiment C, 128 boulevard de la Croix-Rousse, 69004 Lyon "
WORST = {"reference": "2026-123456", "title": (ACCENTED_TITLE * 3)[:200], "site_address": (ACCENTED_ADDRESS * 7)[:500],
         "reminder": 2}
# The README's deployment origin (bench/cost.py prices SMS with it) and a link as links.url_for makes it now.
LINK = "https://relais.gestion-demo.fr/t/01KB2Z8ZK1V3X4Y5Z6A7B8C9D0/" + "x" * 22
TYPICAL = {"reference": "2026-00005", "title": "Fuite sous l'évier", "site_address": "14 rue des Lilas, 69003 Lyon"}
DEMO = Agency("Gestion Démo", "GESTDEMO", "+33 4 78 00 00 00", "12 rue de la République, 69002 Lyon")
# The contractor's SMS; the occupant's (another reader, another shape) are checked below.
CONTRACTOR_SMS = [name for name in SMS_TEMPLATES if name != "occupant"]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", CONTRACTOR_SMS)
@pytest.mark.parametrize("reminder", [0, 2])
def test_every_sms_is_one_gsm7_segment_with_the_longest_values(name: str, language: str, reminder: int) -> None:
    sms = notification_text.render_sms(name, language, {**WORST, "reminder": reminder}, LINK, LONGEST_AGENCY)
    assert gsm7.is_gsm7(sms), sorted({c for c in sms if not gsm7.is_gsm7(c)})
    assert gsm7.septets(sms) <= gsm7.ONE_SEGMENT, (gsm7.septets(sms), sms)
    assert sms.endswith(" " + LINK)
    # Who sends it, which ticket, and where: the address from its street number, even cut.
    assert sms.startswith("Société d'Économie.") and "2026-123456" in sms
    where = sms[sms.index("128 boulevard"):sms.index(" " + LINK)]
    assert len(where) >= 16, where  # README: at least 16 characters of address with a 30-character origin


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", CONTRACTOR_SMS)
def test_a_typical_sms_names_the_agency_the_step_the_reference_and_the_address(name: str, language: str) -> None:
    sms = notification_text.render_sms(name, language, TYPICAL, LINK, DEMO)
    assert sms.startswith("Gestion Démo 2026-00005")
    assert " 14 rue des Lilas, Lyon " in sms  # the postal code gives way to the rest
    assert gsm7.septets(sms) <= gsm7.ONE_SEGMENT


def test_the_steps_say_what_is_asked() -> None:
    asked = {name: notification_text.render_sms(name, "en", TYPICAL, LINK, DEMO) for name in SMS_TEMPLATES}
    assert "work request." in asked["intervention_request"] and "quote request." in asked["quote_request"]
    assert "send your invoice." in asked["invoice_request"] and "job cancelled." in asked["cancelled"]
    assert "confirm you are on site." in asked["presence_check"]
    reminder = notification_text.render_sms("intervention_request", "fr", {**TYPICAL, "reminder": 1}, LINK, DEMO)
    assert reminder.startswith("Gestion Démo 2026-00005 : rappel, intervention.")


def test_the_title_fills_the_room_left_and_never_more() -> None:
    short = notification_text.render_sms("message", "fr", TYPICAL, "https://r.fr/t/X/s", DEMO)
    assert short == "Gestion Démo 2026-00005 : nouveau message. 14 rue des Lilas, Lyon - Fuite sous l'évier https://r.fr/t/X/s"
    cut = notification_text.render_sms("message", "fr", {**TYPICAL, "title": "Fuite " * 40}, "https://r.fr/t/X/s", DEMO)
    assert gsm7.septets(cut) == gsm7.ONE_SEGMENT or gsm7.septets(cut) >= gsm7.ONE_SEGMENT - len("Fuite ")
    assert " - Fuite Fuite" in cut and cut.endswith(". https://r.fr/t/X/s")


def test_the_sms_templates_and_their_english_are_written_in_gsm7() -> None:
    """Written around ê, ç, «, », …, ·, °, ’: transliteration is for values, not for our own words."""
    for path in sorted((TEMPLATES / "messages").glob("*.sms.txt")):
        source = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        assert gsm7.is_gsm7(source), (path.name, sorted({c for c in source if not gsm7.is_gsm7(c)}))
        for msgid in re.findall(r'_\("([^"]+)"', source):
            assert gsm7.is_gsm7(i18n.translate("en", msgid)), msgid


@pytest.mark.parametrize(("text", "expected"), [
    ("Fenêtre côté cour, 2ᵉ étage", "Fenetre coté cour, 2e étage"),
    ("«\u202fChaudière\u202f» — n° 12 · bât. A…", '" Chaudière " - no 12 - bat. A...'),
    ("L’entrée\u00a0: façade Œ", "L'entrée : facade OE"),
    ("Ça coûte 12 €", "Ça coute 12 €"),  # Ç and € are GSM-7 (€ from the extension table)
    ("Niño Ødegård Ärzte", "Niño Ødegård Ärzte"),
    ("Fuite 💧 urgente", "Fuite  urgente"),
])
def test_values_are_transliterated_into_gsm7(text: str, expected: str) -> None:
    assert gsm7.to_gsm7(text) == expected
    assert gsm7.is_gsm7(expected)


def test_extension_characters_count_twice() -> None:
    assert gsm7.septets("abc") == 3
    assert gsm7.septets("12 €") == 5
    assert gsm7.septets("[x]") == 5
    with pytest.raises(ValueError):
        gsm7.septets("côté")


def test_shorten_cuts_at_a_word_within_the_limit() -> None:
    assert gsm7.shorten("14 rue des Lilas, Lyon", 30) == "14 rue des Lilas, Lyon"
    assert gsm7.shorten("14 rue des Lilas, Lyon", 17) == "14 rue des Lilas."
    assert gsm7.shorten("€€€€€€€€€€", 7) == "€€€."
    assert gsm7.shorten("anything", 0) == ""


def test_the_short_address_starts_at_the_street_number_without_the_postal_code() -> None:
    assert notification_text.short_address("Résidence Les Hêtres, bât. C, 128 bd de la Croix-Rousse, 69004 Lyon") == \
        "128 bd de la Croix-Rousse, Lyon"
    assert notification_text.short_address("Mairie\nPlace du Marché") == "Mairie, Place du Marché"


@pytest.mark.parametrize("sender_id", ["", "GESTION-DEMO", "GESTIONDEMO1", "12345", "Gestion Demo"])
def test_an_sms_sender_id_is_what_sns_accepts(sender_id: str) -> None:
    with pytest.raises(ValueError):
        Agency("Gestion Démo", sender_id, "", "")


def test_the_agency_name_in_an_sms_is_gsm7_and_short() -> None:
    assert LONGEST_AGENCY.sms_name == "Société d'Économie."
    assert gsm7.septets(LONGEST_AGENCY.sms_name) <= agency.SMS_NAME_MAX
    assert DEMO.sms_name == "Gestion Démo"


@pytest.mark.parametrize("name", CONTRACTOR_SMS)
def test_a_long_custom_domain_cuts_the_agencys_name_before_the_address(name: str) -> None:
    """Links grow with the origin: with a 45-character one the SMS still fits one segment, the
    name gives way and the address keeps its street (SMS_ADDRESS_KEEP septets, cut at a word)."""
    link = "https://relais.gestion-immobiliere-du-rhone.fr/t/01KB2Z8ZK1V3X4Y5Z6A7B8C9D0/" + "x" * 22
    sms = notification_text.render_sms(name, "fr", {**WORST, "reminder": 2}, link, LONGEST_AGENCY)
    assert gsm7.septets(sms) <= gsm7.ONE_SEGMENT, (gsm7.septets(sms), sms)
    assert sms.endswith(" " + link) and "2026-123456" in sms
    assert sms.startswith("Soc") and " 128 boulevard" in sms  # the name cut, the street kept (cut at a word)
# -- the occupant's SMS (chalicelib/usecases/occupants.py) ---------------------------------------------

OCCUPANT_LINK = "https://relais.gestion-demo.fr/o/01KB2Z8ZK1V3X4Y5Z6A7B8C9D0/" + "x" * 22
OCCUPANT_STEPS = ["occupant_planned", "occupant_rescheduled", "occupant_reminder", "occupant_cancelled"]
LONGEST_COMPANY = ("Société d’Économie « Plomberie & Chauffage » du Rhône et de la Saône réunies " * 3)[:200]
LONGEST_WHEN = {"planned_date": "2026-09-30", "planned_time": "14:30"}  # mercredi 30 septembre, the longest day and month


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("step", OCCUPANT_STEPS)
def test_the_occupants_sms_is_one_gsm7_segment_with_the_longest_values(step: str, language: str) -> None:
    sms = notification_text.render_sms(step, language, {**LONGEST_WHEN, "company": LONGEST_COMPANY, "site_address": "x" * 500},
                                       OCCUPANT_LINK)
    assert gsm7.is_gsm7(sms) and gsm7.septets(sms) <= gsm7.ONE_SEGMENT, (gsm7.septets(sms), sms)
    assert sms.endswith(" " + OCCUPANT_LINK) and "/t/" not in sms
    assert ("30 septembre à 14 h 30" if language == "fr" else "30 September at 14:30") in sms


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("step", OCCUPANT_STEPS)
def test_the_occupants_sms_with_a_window_is_one_segment_and_names_the_window(step: str, language: str) -> None:
    window = {**LONGEST_WHEN, "planned_until": "16:30"}
    sms = notification_text.render_sms(step, language, {**window, "company": LONGEST_COMPANY, "site_address": "x" * 500},
                                       OCCUPANT_LINK)
    assert gsm7.is_gsm7(sms) and gsm7.septets(sms) <= gsm7.ONE_SEGMENT, (gsm7.septets(sms), sms)
    assert ("30 septembre entre 14 h 30 et 16 h 30" if language == "fr" else "30 September between 14:30 and 16:30") in sms


def test_the_occupant_reads_the_date_and_the_company() -> None:
    sms = notification_text.render_sms("occupant_planned", "fr", {"planned_date": "2026-12-01", "planned_time": "08:00",
                                                                  "company": "Plomberie Benali"}, OCCUPANT_LINK)
    assert sms == "Intervention le mardi 1 décembre à 8 h, entreprise Plomberie Benali. " + OCCUPANT_LINK
    cancelled = notification_text.render_sms("occupant_cancelled", "fr", {"planned_date": "2026-12-01", "planned_time": "08:30",
                                                                          "company": "Plomberie Benali"}, OCCUPANT_LINK)
    assert cancelled.startswith("Intervention du mardi 1 décembre à 8 h 30 annulée")
