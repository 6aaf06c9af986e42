"""Infra tests: the packaged template and zip (built once per session), and the bounce path
against the moto server of tests/conftest.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import client, people, pump  # noqa: F401  (fixtures reused here)


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """`make package STAGE=<stage>` into a temporary folder, once per stage and session (wheels
    cached under .local/package-cache)."""
    from infra import build

    built: dict[str, Path] = {}

    def package(stage: str) -> Path:
        if stage not in built:
            built[stage] = build.build(stage, tmp_path_factory.mktemp(f"dist-{stage}"))
        return built[stage]

    return package


@pytest.fixture(scope="session")
def package_dir(packaged: Callable[[str], Path]) -> Path:
    return packaged("prod")


@pytest.fixture(scope="session")
def template(package_dir: Path) -> dict[str, Any]:
    return dict(json.loads((package_dir / "sam.json").read_text()))
