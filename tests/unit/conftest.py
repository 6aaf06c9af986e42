"""Unit tests run without AWS: the agency profile in force is the settings' default."""

from __future__ import annotations

import pytest

from chalicelib.config import settings
from chalicelib.data import agency


@pytest.fixture(autouse=True)
def agency_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agency, "current", lambda: settings().agency)
