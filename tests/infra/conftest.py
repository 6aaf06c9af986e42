"""Infra tests: the packaged template and zip (built once per session), and the bounce path
against the moto server of tests/conftest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import client, people, pump  # noqa: F401  (fixtures reused here)


@pytest.fixture(scope="session")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package STAGE=prod` into a temporary folder (wheels cached under .local/package-cache)."""
    from infra import build

    return build.build("prod", tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def template(package_dir: Path) -> dict[str, Any]:
    return dict(json.loads((package_dir / "sam.json").read_text()))
