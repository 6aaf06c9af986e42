"""CSV as French Excel opens it: UTF-8 with a BOM, semicolons, decimal commas, and no cell that
Excel or LibreOffice would run as a formula. Pure: the exports hand it rows of text and Decimals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet (OWASP's CSV injection list, with
# tab and carriage return, which some versions strip before reading the rest).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | Decimal | None


def cell(value: Cell) -> str:
    """An amount with a decimal comma ('1234,50', which French Excel reads as a number); text with a
    leading quote when it would start a formula ("'=HYPERLINK(...)" shows as typed, never runs)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def rows_text(rows: Iterable[Sequence[Cell]]) -> str:
    """The rows as CSV lines (no BOM: it opens the file once, see `BOM`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()
