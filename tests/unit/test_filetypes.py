"""A file is what its bytes say; the declared type is a claim the bytes must back."""

from __future__ import annotations

import pytest

from chalicelib import filetypes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 53
PDF = b"%PDF-1.7\n" + b"0" * 55
EXE = b"MZ\x90\x00" + b"\x00" * 60


@pytest.mark.parametrize(("declared", "head", "kind"), [
    ("image/jpeg", JPEG, filetypes.JPEG), ("application/pdf", PDF, filetypes.PDF),
    ("image/jpeg", PNG, filetypes.PNG),  # a PNG saved as .jpg: a photo all the same, kept as a PNG
    ("image/png", JPEG, filetypes.JPEG),
])
def test_what_the_bytes_back_is_accepted_as_what_they_are(declared: str, head: bytes, kind: filetypes.Kind) -> None:
    assert filetypes.matches(declared, head) == kind


@pytest.mark.parametrize(("declared", "head"), [
    ("application/pdf", JPEG), ("image/jpeg", PDF), ("image/jpeg", EXE), ("application/x-msdownload", EXE),
    ("text/html", PDF),
])
def test_a_claim_the_bytes_do_not_back_is_refused(declared: str, head: bytes) -> None:
    assert filetypes.matches(declared, head) is None
