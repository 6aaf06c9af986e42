"""A file is what its bytes say; the declared type and the name are claims the bytes must back."""

from __future__ import annotations

import io
import zipfile

import pytest

from chalicelib.domain import filetypes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 53
PDF = b"%PDF-1.7\n" + b"0" * 55
EXE = b"MZ\x90\x00" + b"\x00" * 60


def ole(*streams: str) -> bytes:
    """A minimal OLE container (512-byte sectors: header, one FAT sector, one directory sector)."""
    end, free = (0xFFFFFFFE).to_bytes(4, "little"), b"\xff" * 4
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:32] = b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    header[44:48], header[48:52], header[60:64], header[68:72] = (1).to_bytes(4, "little"), (1).to_bytes(4, "little"), end, end
    header[76:512] = (0).to_bytes(4, "little") + free * 108
    fat = (0xFFFFFFFD).to_bytes(4, "little") + end + free * 126

    def entry(name: str, kind: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return encoded.ljust(64, b"\x00") + len(encoded).to_bytes(2, "little") + bytes([kind]) + b"\x00" * 61

    directory = b"".join([entry("Root Entry", 5), *(entry(s, 2) for s in streams)]).ljust(512, b"\x00")
    return bytes(header) + fat + directory


OLE = ole("1Table", "WordDocument")
DOCX_TYPE = filetypes.DOCX.content_type


def zipped(members: dict[str, bytes], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(members.items()):
            archive.writestr(name, data, zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


OPC = {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>"}
DOCX = zipped({**OPC, "word/document.xml": b"<w:document/>"})
XLSX = zipped({**OPC, "xl/workbook.xml": b"<workbook/>"})
PPTX = zipped({**OPC, "ppt/presentation.xml": b"<p/>"})
ODT = zipped({"mimetype": filetypes.ODT.content_type.encode(), "META-INF/manifest.xml": b"<m/>", "content.xml": b"<c/>"},
             stored_first=True)
JAR = zipped({"META-INF/MANIFEST.MF": b"Main-Class: X\n", "X.class": b"\xca\xfe\xba\xbe"})


def identify(data: bytes, declared: str) -> filetypes.Kind | None:
    return filetypes.identify(io.BytesIO(data), declared)


@pytest.mark.parametrize(("declared", "data", "kind"), [
    ("image/jpeg", JPEG, filetypes.JPEG), ("application/pdf", PDF, filetypes.PDF),
    ("image/jpeg", PNG, filetypes.PNG),  # a PNG saved as .jpg: a photo all the same, kept as a PNG
    ("image/png", JPEG, filetypes.JPEG),
    (DOCX_TYPE, DOCX, filetypes.DOCX), (filetypes.XLSX.content_type, XLSX, filetypes.XLSX),
    (DOCX_TYPE, XLSX, filetypes.XLSX),  # a spreadsheet named .docx is served as the spreadsheet it is
    (filetypes.ODT.content_type, ODT, filetypes.ODT),
    ("application/msword", OLE, filetypes.DOC),
    ("application/vnd.ms-excel", ole("Workbook"), filetypes.XLS),
    ("application/msword", ole("Book"), filetypes.XLS),  # an Excel 5 file named .doc: served as .xls
])
def test_what_the_bytes_back_is_accepted_as_what_they_are(declared: str, data: bytes, kind: filetypes.Kind) -> None:
    assert identify(data, declared) == kind


@pytest.mark.parametrize(("declared", "data"), [
    ("application/pdf", JPEG), ("image/jpeg", PDF), ("image/jpeg", EXE), ("application/x-msdownload", EXE),
    ("text/html", PDF),
    (DOCX_TYPE, JAR),  # any ZIP is not an office file
    (DOCX_TYPE, PPTX),  # presentations are not among the accepted types
    (DOCX_TYPE, zipped({"word/document.xml": b"<w/>"})),  # no [Content_Types].xml: not OOXML
    (filetypes.ODT.content_type, zipped({"mimetype": b"application/x-evil", "META-INF/manifest.xml": b""}, True)),
    (filetypes.ODT.content_type, zipped({"content.xml": b"<c/>", "mimetype": filetypes.ODT.content_type.encode()})),
    (DOCX_TYPE, b"PK\x03\x04" + b"\x00" * 200),  # a ZIP header and nothing after it
    ("application/pdf", OLE),
    ("application/msword", ole("\x05SummaryInformation", "!_StringData")),  # an installer or a message: not a document
    ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),  # a header and nothing else
])
def test_a_claim_the_bytes_do_not_back_is_refused(declared: str, data: bytes) -> None:
    assert identify(data, declared) is None


@pytest.mark.parametrize(("name", "clean"), [
    ("Facture\u202efdp.jar", "Facturefdp.jar"),
    ("a\u2066b\u2069c\u200e\u200fd\u202a\u202b\u202c\u202de", "abcde"),
    ("nul\x00byte\x07\x1b[31m.pdf", "nulbyte[31m.pdf"),
    ("ligne\nsuivante\r\t.pdf", "ligne suivante .pdf"),
    ("../../etc/passwd", ".. .. etc passwd"),
    ("Facture été 2026.pdf", "Facture été 2026.pdf"),
])
def test_names_lose_bidi_and_control_characters(name: str, clean: str) -> None:
    assert filetypes.clean_name(name) == clean


@pytest.mark.parametrize(("name", "kind", "served"), [
    ("poly.html", filetypes.JPEG, "poly.jpg"),
    ("photo.JPEG", filetypes.JPEG, "photo.JPEG"),
    ("capture.jpg", filetypes.PNG, "capture.png"),
    ("Facturefdp.jar", filetypes.PDF, "Facturefdp.pdf"),
    ("devis", filetypes.PDF, "devis.pdf"),
    ("tableau.docx", filetypes.XLSX, "tableau.xlsx"),
    (".html", filetypes.PNG, "fichier.png"),
])
def test_the_served_extension_is_the_one_of_what_the_file_is(name: str, kind: filetypes.Kind, served: str) -> None:
    assert filetypes.named(name, kind) == served


def test_only_raster_images_are_ever_inline() -> None:
    assert {k.name for k in filetypes.KINDS if k.is_image} == {"JPEG", "PNG", "WebP"}


def test_an_odf_header_with_an_empty_directory_is_refused_not_a_crash() -> None:
    """The ODF `mimetype` member in the local header, but a central directory listing nothing."""
    odt = ODT[:ODT.index(b"PK\x01\x02")]  # the first local header and its data
    empty_directory = b"PK\x05\x06" + b"\x00" * 18
    assert identify(odt + empty_directory, filetypes.ODT.content_type) is None
