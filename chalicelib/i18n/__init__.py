"""French by default, English on request, with standard gettext catalogs.

French is the source language: templates wrap French in `_()`, code marks the French it hands to
pages with `N_()`, and that French is the msgid. The English is in locale/en/LC_MESSAGES/relais.po,
compiled to relais.mo, which the stdlib `gettext` reads once per process, on the first English text
(a French page never opens it). `make i18n` extracts the msgids with Babel and updates both files.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.domain.text import N_, Text

if TYPE_CHECKING:
    from gettext import GNUTranslations

__all__ = ["LANGUAGES", "N_", "Text", "normalise", "translate", "translator"]

LANGUAGES = ("fr", "en")
SOURCE_LANGUAGE = "fr"
DOMAIN = "relais"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def normalise(language: str | None) -> str:
    return language if language in LANGUAGES else SOURCE_LANGUAGE


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@cache
def catalog(language: str) -> GNUTranslations:
    """The compiled catalog of `language`, read once per process. A missing one raises: an English
    reader must never get the French silently."""
    import gettext

    path = catalog_path(language)
    try:
        with path.open("rb") as file:
            return gettext.GNUTranslations(file)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"no {language!r} catalog at {path}: run `make i18n`") from exc


def translate(language: str, text: str, **values: Any) -> str:
    msgid, values = (text.msgid, {**text.values, **values}) if isinstance(text, Text) else (text, values)
    # gettext's msgid "" is the catalog's header: an empty text stays empty.
    translated = msgid if not msgid or normalise(language) == SOURCE_LANGUAGE else catalog(language).gettext(msgid)
    return translated.format(**values) if values else translated


def translator(language: str) -> Callable[..., str]:
    def _(text: str, **values: Any) -> str:
        return translate(language, text, **values)

    return _
