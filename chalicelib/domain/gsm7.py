"""GSM 03.38, the 7-bit alphabet of SMS: one character outside it and the whole SMS goes as UCS-2,
70 characters a part instead of 160. Texts for SMS are counted and transliterated here."""

from __future__ import annotations

import unicodedata

# 3GPP TS 23.038, default alphabet: 0x00-0x7F (0x1B is the escape to the extension table).
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("^{}\\[~]|€\f")  # two septets each: escape + code
ONE_SEGMENT = 160  # septets in a single SMS; a longer one is split in parts of 153

# What French (and English) text meets outside the alphabet, written with letters inside it.
_REPLACEMENTS = {
    "’": "'", "‘": "'", "‚": "'", "´": "'", "`": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "…": "...", "·": "-", "•": "-", "–": "-", "—": "-", "‑": "-", "−": "-", "°": "o", "º": "o", "ª": "a",
    "œ": "oe", "Œ": "OE", "ç": "c", "²": "2", "³": "3", "×": "x", "\t": " ",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u200b": "",
}


def septets(text: str) -> int:
    """How many septets `text` takes in GSM-7; ValueError if a character is outside the alphabet."""
    count = 0
    for char in text:
        if char in BASIC:
            count += 1
        elif char in EXTENSION:
            count += 2
        else:
            raise ValueError(f"not in GSM 03.38: {char!r}")
    return count


def is_gsm7(text: str) -> bool:
    return all(char in BASIC or char in EXTENSION for char in text)


def _one(char: str) -> str:
    if char in BASIC or char in EXTENSION:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    # ê → e, Â → A, ï → i...: the letter without its accent when that letter is in the alphabet.
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(c in BASIC for c in base):
        return base
    if unicodedata.category(char).startswith("Z"):
        return " "
    return "?" if unicodedata.category(char)[0] in "LN" else ""  # a letter we cannot write; a symbol is dropped


def to_gsm7(text: str) -> str:
    """`text` with every character GSM-7 can write kept and the others transliterated."""
    return "".join(_one(char) for char in text)


def shorten(text: str, limit: int) -> str:
    """At most `limit` septets: cut at a word when one ends late enough, marked with '.'."""
    text = " ".join(text.split())
    if septets(text) <= limit:
        return text
    if limit <= 1:
        return ""
    cut = text[: limit - 1]
    while septets(cut) > limit - 1:  # extension characters count twice
        cut = cut[:-1]
    if text[len(cut)] not in " ,;.":  # the cut falls inside a word: back to its start, if not too far
        word = cut.rsplit(" ", 1)[0]
        if len(word) >= len(cut) * 2 // 3:
            cut = word
    return cut.rstrip(" ,;:-") + "."
