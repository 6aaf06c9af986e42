"""A large export in the browser: the list's button leads to a page that shows the rows written while
its script asks for the next slices, then a download link; the file is the one a small export gives."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, Relais, running_relais
from tests.browser.test_round_trip import _sign_in


@pytest.fixture(scope="module")
def relais(moto_server: str) -> Iterator[Relais]:
    """The product as `make run` runs it, with any export larger than 2 kB going to S3."""
    os.environ["RELAIS_EXPORT_INLINE_BYTES"] = "2000"  # read by `chalice local` as it starts
    try:
        with running_relais(moto_server) as running:
            yield running
    finally:
        os.environ.pop("RELAIS_EXPORT_INLINE_BYTES", None)


def test_a_large_export_shows_its_progress_then_downloads_the_whole_list(relais: Relais, desktop: Any) -> None:
    from chalicelib.domain import clock
    from chalicelib.domain.forms import NewRequest
    from chalicelib.usecases import tickets

    manager = desktop.new_page()
    _sign_in(relais, manager)  # before the requests: their SMS would keep the sign-in email waiting
    for n in range(30):  # more than a list page, and more than 2 kB of CSV
        request = NewRequest("", "intervention", f"Contrôle n°{n} de la chaufferie, bâtiment É", "x",
                             f"{n} rue de l'Église, Lyon", "", "normal", ("sms",))
        tickets.create_request(relais.people.manager, relais.people.plumber, request, clock.now())
    manager.goto("/admin/tickets?owner=all")
    manager.get_by_role("button", name="Exporter la liste (CSV)").click()
    expect(manager).to_have_url(re.compile(r"/admin/exports/jobs/[0-9A-Z]{26}$"))
    expect(manager.locator("h1")).to_have_text("Export de la liste")
    download_link = manager.get_by_role("link", name="Télécharger le fichier CSV")
    expect(download_link).to_be_visible()  # the script went on slice after slice, then showed the page again
    expect(manager.locator("#export-progress")).to_have_text("Terminé : 30 lignes.")
    manager.screenshot(path=str(SHOTS / "large-export.png"), full_page=True)
    with manager.expect_download() as downloading:
        download_link.click()
    raw = open(downloading.value.path(), "rb").read()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert raw.startswith(b"\xef\xbb\xbf") and len(rows) == 30
    assert {row["Titre"] for row in rows} == {f"Contrôle n°{n} de la chaufferie, bâtiment É" for n in range(30)}
    assert {row["Adresse"] for row in rows} == {f"{n} rue de l'Église, Lyon" for n in range(30)}
