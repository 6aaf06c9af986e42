"""What a file really is, from its bytes (the declared type and the name are only claims).

Pure Python: the upload check hands this module a seekable view of the uploaded object (read
from S3 by ranges) and serves the file under the kind found here: its type, its extension, and
whether a browser may show it inline (raster images only).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extensions: tuple[str, ...]  # the first is the one it is served with; the others are kept when named so
    family: str  # a file declared as another kind of its family is accepted as what it is
    is_image: bool = False  # a raster image browsers show: the only kind ever served inline

    @property
    def extension(self) -> str:
        return self.extensions[0]


JPEG = Kind("JPEG", "image/jpeg", ("jpg", "jpeg"), "photo", True)
PNG = Kind("PNG", "image/png", ("png",), "photo", True)
WEBP = Kind("WebP", "image/webp", ("webp",), "photo", True)
HEIC = Kind("HEIC", "image/heic", ("heic", "heif"), "photo")  # browsers cannot show it: listed as a file
PDF = Kind("PDF", "application/pdf", ("pdf",), "pdf")
DOCX = Kind("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",), "office")
XLSX = Kind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",), "office")
ODT = Kind("OpenDocument", "application/vnd.oasis.opendocument.text", ("odt",), "office")
ODS = Kind("OpenDocument", "application/vnd.oasis.opendocument.spreadsheet", ("ods",), "office")
DOC = Kind("Word 97-2003", "application/msword", ("doc",), "office")
XLS = Kind("Excel 97-2003", "application/vnd.ms-excel", ("xls",), "office")
KINDS = (JPEG, PNG, WEBP, HEIC, PDF, DOCX, XLSX, ODT, ODS, DOC, XLS)

# A quote or an invoice: one PDF, or photos of the paper, a page each (many tradespeople photograph theirs).
PAPERWORK = (PDF, JPEG, PNG, HEIC, WEBP)


def paperwork_problem(kinds: list[Kind]) -> str | None:
    """Why files of these kinds are not one quote or invoice (a French msgid), or None."""
    from chalicelib.domain.text import N_

    if any(kind not in PAPERWORK for kind in kinds):
        return N_("Ce fichier doit être un PDF ou une photo (JPEG, PNG, HEIC).")
    if PDF in kinds and len(kinds) > 1:
        return N_("Un seul PDF, ou des photos des pages : pas les deux.")
    return None


# Declared types the upload form accepts; each must match what the bytes turn out to be.
DECLARED = {kind.content_type: kind for kind in KINDS} | {"image/heif": HEIC}

HEAD_BYTES = 128  # enough for every magic number and an ODF `mimetype` first member
MAX_ZIP_MEMBERS = 10_000  # a document has tens or hundreds; more is not one we accept

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF_TYPES = {ODT.content_type.encode(): ODT, ODS.content_type.encode(): ODS}


def _odf_mimetype(head: bytes) -> bytes | None:
    """ODF's rule: the first member is `mimetype`, stored uncompressed, holding the type itself."""
    if head[8:10] != b"\x00\x00" or head[26:28] != b"\x08\x00" or head[30:38] != b"mimetype":
        return None
    size = int.from_bytes(head[18:22], "little")
    extra = int.from_bytes(head[28:30], "little")
    start = 38 + extra
    return head[start:start + size] if start + size <= len(head) else None


def _zip_kind(file: BinaryIO, head: bytes) -> Kind | None:
    """OOXML and ODF by the members they cannot do without, never by "it is a ZIP"."""
    import zipfile  # here: it pulls in shutil, bz2 and lzma, which a cold start rarely needs

    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()  # the central directory only: nothing is decompressed
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None
    if len(names) > MAX_ZIP_MEMBERS:
        return None
    members = set(names)
    mimetype = _odf_mimetype(head)
    if mimetype is not None:
        return _ODF_TYPES.get(mimetype) if names and names[0] == "mimetype" and "META-INF/manifest.xml" in members else None
    if "[Content_Types].xml" not in members or "_rels/.rels" not in members:
        return None
    if "word/document.xml" in members:
        return DOCX
    if "xl/workbook.xml" in members:
        return XLSX
    return None  # a presentation, a Visio drawing, anything else in OPC clothing: not accepted


_OLE_STREAMS = {"WordDocument": DOC, "Workbook": XLS, "Book": XLS}
_OLE_END = 0xFFFFFFFA  # sector numbers from here up mark chain ends and free sectors
_OLE_MAX_DIRECTORY_SECTORS = 64


def _ole_kind(file: BinaryIO) -> Kind | None:
    """Word or Excel 97-2003 by the stream each cannot do without, found in the OLE container's
    directory (an installer or an Outlook message is an OLE container too)."""
    header = file.read(512)
    shift = int.from_bytes(header[30:32], "little")
    if len(header) < 512 or shift not in (9, 12):
        return None
    size = 1 << shift
    fat_sectors = [int.from_bytes(header[76 + 4 * i: 80 + 4 * i], "little") for i in range(109)]

    def sector(number: int, offset: int = 0, length: int = size) -> bytes:
        file.seek(((number + 1) << shift) + offset)
        return file.read(length)

    directory = int.from_bytes(header[48:52], "little")
    for _ in range(_OLE_MAX_DIRECTORY_SECTORS):
        if directory >= _OLE_END:
            return None
        entries = sector(directory)
        for start in range(0, len(entries) - 127, 128):
            entry = entries[start:start + 128]
            name_bytes = int.from_bytes(entry[64:66], "little")
            name = entry[: max(0, min(name_bytes, 64) - 2)].decode("utf-16-le", "replace")
            if entry[66] == 2 and name in _OLE_STREAMS:  # a stream, not a storage
                return _OLE_STREAMS[name]
        per_fat_sector = size // 4
        fat_index = directory // per_fat_sector
        if fat_index >= len(fat_sectors) or fat_sectors[fat_index] >= _OLE_END:
            return None  # beyond the header's FAT list: not one of the documents we take
        directory = int.from_bytes(sector(fat_sectors[fat_index], 4 * (directory % per_fat_sector), 4), "little")
    return None


def sniff(head: bytes) -> Kind | None:
    """The kind these first bytes start, for kinds their magic number alone tells."""
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
    return None


def identify(file: BinaryIO, declared_type: str) -> Kind | None:
    """The real kind of an uploaded file when the declared type is backed by its bytes, else None.

    A photo declared as another photo format (the browser declares by the name: a PNG saved as
    .jpg), or an office document as another office format, is accepted as what it really is.
    """
    expected = DECLARED.get(declared_type)
    if expected is None:
        return None
    head = file.read(HEAD_BYTES)
    actual = sniff(head)
    if actual is None and head.startswith(b"PK\x03\x04"):
        file.seek(0)
        actual = _zip_kind(file, head)
    elif actual is None and head.startswith(_OLE):
        file.seek(0)
        actual = _ole_kind(file)
    if actual is None:
        return None
    return actual if actual == expected or actual.family == expected.family else None


# Names: what people see and what their computer decides by. Bidi controls reorder what is shown
# ("Facture\u202efdp.jar" displays as "Factureraj.pdf"); control characters break headers and logs.
_INVISIBLE = frozenset("\u200e\u200f\u061c\u2028\u2029\ufeff") | frozenset(map(chr, range(0x202A, 0x202F))) | \
    frozenset(map(chr, range(0x2066, 0x206A)))
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")


def clean_name(name: str) -> str:
    """The name without bidi controls, NUL, control characters or path separators."""
    kept = "".join(" " if c in "/\\" or c.isspace() else c for c in name
                   if c not in _INVISIBLE and (c.isspace() or unicodedata.category(c) not in ("Cc", "Cs")))
    return " ".join(kept.split())


def named(name: str, kind: Kind) -> str:
    """The name with the extension of what the file is: 'poly.html' holding a JPEG → 'poly.jpg'."""
    match = _EXTENSION.search(name)
    if match and match.group(1).lower() in kind.extensions:
        return name
    stem = name[: match.start()] if match else name
    return f"{stem.rstrip('. ') or 'fichier'}.{kind.extension}"
