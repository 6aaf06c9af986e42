"""What a file really is, from its first bytes (the declared type is only a claim).

Pure Python: the upload check reads 64 bytes from S3 and asks this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extension: str
    is_image: bool = False


JPEG = Kind("JPEG", "image/jpeg", "jpg", True)
PNG = Kind("PNG", "image/png", "png", True)
WEBP = Kind("WebP", "image/webp", "webp", True)
HEIC = Kind("HEIC", "image/heic", "heic")  # an image, but browsers cannot show it: listed as a file
PDF = Kind("PDF", "application/pdf", "pdf")
OFFICE_ZIP = Kind("Office", "application/zip", "zip")  # .docx .xlsx .odt .ods …: ZIP containers
OFFICE_LEGACY = Kind("Office", "application/x-ole-storage", "doc")  # .doc .xls

# Declared types the upload form accepts; each must match what the bytes turn out to be.
DECLARED = {
    "image/jpeg": JPEG, "image/png": PNG, "image/webp": WEBP, "image/heic": HEIC, "image/heif": HEIC,
    "application/pdf": PDF,
    "application/msword": OFFICE_LEGACY, "application/vnd.ms-excel": OFFICE_LEGACY,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": OFFICE_ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": OFFICE_ZIP,
    "application/vnd.oasis.opendocument.text": OFFICE_ZIP,
    "application/vnd.oasis.opendocument.spreadsheet": OFFICE_ZIP,
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}


def sniff(head: bytes) -> Kind | None:
    """The kind of file these first bytes start, or None when it is none we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return OFFICE_ZIP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OFFICE_LEGACY
    return None


def matches(declared_type: str, head: bytes) -> Kind | None:
    """The real kind when the bytes are what the declared type says, or a photo declared as
    another photo format (the browser declares by the name: a PNG saved as .jpg); None otherwise."""
    expected = DECLARED.get(declared_type)
    actual = sniff(head)
    if expected is None or actual is None:
        return None
    return actual if actual == expected or (expected.is_image and actual.is_image) else None
