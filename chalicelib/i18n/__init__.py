"""French by default, English on request. Templates write French and wrap it in `_()`;
the English catalog maps each French text to its translation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.i18n_en import CATALOG as ENGLISH

LANGUAGES = ("fr", "en")


def normalise(language: str | None) -> str:
    return language if language in LANGUAGES else "fr"


def translate(language: str, text: str, **values: Any) -> str:
    translated = ENGLISH.get(text, text) if language == "en" else text
    return translated.format(**values) if values else translated


def translator(language: str) -> Callable[..., str]:
    def _(text: str, **values: Any) -> str:
        return translate(language, text, **values)

    return _
