"""How dates and times read on pages and in messages."""

from __future__ import annotations

import pytest

from chalicelib.i18n import formatting
from chalicelib.i18n.formatting import local_datetime, long_date


@pytest.mark.parametrize(("value", "language", "expected"), [
    ("2026-12-01", "fr", "mardi 1 décembre 2026"),
    ("2026-12-01", "en", "Tuesday 1 December 2026"),
    ("2027-02-14", "fr", "dimanche 14 février 2027"),
    ("2027-08-15", "fr", "dimanche 15 août 2027"),
    ("2026-06-01", "en", "Monday 1 June 2026"),
])
def test_a_planned_date_reads_as_a_long_date(value: str, language: str, expected: str) -> None:
    assert long_date(value, language) == expected


@pytest.mark.parametrize("language", ["de", "", None])
def test_an_unknown_language_falls_back_to_french(language: str | None) -> None:
    assert long_date("2026-12-01", language) == "mardi 1 décembre 2026"  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", None])
def test_no_date_reads_as_nothing(value: str | None) -> None:
    assert long_date(value) == ""
    assert local_datetime(value) == ""


@pytest.mark.parametrize(("stored", "shown"), [
    ("2026-07-01T10:00:00.000Z", "01/07/2026 12:00"),  # summer time, UTC+2
    ("2026-12-01T10:00:00.000Z", "01/12/2026 11:00"),  # winter time, UTC+1
    ("2026-12-31T23:30:00.000Z", "01/01/2027 00:30"),  # crosses midnight and the year
    ("2027-03-28T00:59:00.000Z", "28/03/2027 01:59"),  # just before the spring change
    ("2027-03-28T01:00:00.000Z", "28/03/2027 03:00"),  # just after it
    ("2026-10-25T00:30:00.000Z", "25/10/2026 02:30"),  # autumn: 02:30 happens twice
    ("2026-10-25T01:30:00.000Z", "25/10/2026 02:30"),
    ("2026-07-01T10:00:00+00:00", "01/07/2026 12:00"),
])
def test_a_stored_utc_instant_reads_in_paris_time(stored: str, shown: str) -> None:
    assert local_datetime(stored) == shown


@pytest.mark.parametrize(("size", "language", "shown"), [
    (512, "fr", "512 o"), (1_234_567, "fr", "1,2 Mo"), (2048, "fr", "2,0 Ko"),
    (512, "en", "512 B"), (1_234_567, "en", "1.2 MB"), (2048, "en", "2.0 KB"),
])
def test_a_file_size_reads_in_the_readers_units(size: int, language: str, shown: str) -> None:
    assert formatting.filesize(size, language) == shown


def test_an_english_message_lists_its_files_in_english_units() -> None:
    from chalicelib.i18n import rendering

    text = rendering.render("messages/_files.txt", "en", p={"files": [{"name": "devis.pdf", "size": 1_234_567, "file_id": "F1"}]},
                            url="https://x.example/t/T/S")
    assert "(1.2 MB)" in text and "Mo" not in text
