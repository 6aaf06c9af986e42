"""Files: presigned POST uploads straight to S3, the server-side check, and short-lived downloads.

S3 (and its emulators) may not enforce every presigned-POST condition, so nothing is
recorded before `verify` has looked at the object itself: where it is, its size, its bytes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws, filetypes, ids
from chalicelib.config import settings

MAX_FILE_BYTES = 20 * 1024 * 1024
UPLOAD_EXPIRY_SECONDS = 300  # the browser asks for it right before uploading
DOWNLOAD_EXPIRY_SECONDS = 300
NAME_MAX = 200
_INCOMING = re.compile(
    r"^incoming/tickets/(?P<ticket>[0-9A-Z]{26})/(?P<file>[0-9A-Z]{26})/(?P<name>[A-Za-z0-9._-]{1,120})$"
)


class FileRejected(Exception):
    """A file that cannot be accepted; the message names the file and says why (French msgid)."""

    def __init__(self, name: str, reason: str, key: str = "") -> None:
        super().__init__(f"{name}: {reason}")
        self.name, self.reason, self.key = name, reason, key


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    key: str
    name: str
    size: int
    content_type: str
    is_image: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def incoming_prefix(ticket_id: str) -> str:
    """Where the browser uploads: a lifecycle rule clears what is never recorded."""
    return f"incoming/tickets/{ticket_id}/"


def _final_key(incoming_key: str) -> str:
    return incoming_key.removeprefix("incoming/")


def safe_name(name: str) -> str:
    """A key-safe version of a file name: 'Facture été 2026.pdf' → 'Facture_ete_2026.pdf'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "fichier"
    return cleaned[-120:]


def clean_display_name(name: str) -> str:
    name = " ".join(name.replace("/", " ").replace("\\", " ").split())
    return name[:NAME_MAX] or "fichier"


def presign(ticket_id: str, filename: str, content_type: str, size: int) -> dict[str, Any]:
    """The URL and fields the browser posts the file with. Raises FileRejected on a bad claim."""
    name = clean_display_name(filename)
    if content_type not in filetypes.DECLARED:
        raise FileRejected(name, "Type de fichier non accepté (photos, PDF, Word, Excel ou OpenDocument).")
    if size <= 0:
        raise FileRejected(name, "Le fichier est vide.")
    if size > MAX_FILE_BYTES:
        raise FileRejected(name, "Le fichier dépasse 20 Mo.")
    key = f"{incoming_prefix(ticket_id)}{ids.new_id()}/{safe_name(name)}"
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings().bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"key": key}, ["content-length-range", 1, MAX_FILE_BYTES], {"Content-Type": content_type}],
        ExpiresIn=UPLOAD_EXPIRY_SECONDS,
    )
    return {"url": post["url"], "fields": post["fields"], "key": key, "name": name}


def _delete(key: str) -> None:
    aws.client("s3").delete_object(Bucket=settings().bucket_name, Key=key)


def _head(key: str) -> dict[str, Any] | None:
    try:
        return dict(aws.client("s3").head_object(Bucket=settings().bucket_name, Key=key))
    except ClientError:
        return None


def verify(ticket_id: str, key: str, name: str, recorded: frozenset[str] = frozenset()) -> StoredFile:
    """Check an uploaded object (still in incoming/). A bad one of this ticket is deleted.

    Idempotent: a file already moved by an identical submission (double click) is accepted as is.
    """
    display = clean_display_name(name)
    match = _INCOMING.match(key)
    if match is None or match["ticket"] != ticket_id:
        # Never delete here: the key may belong to another ticket.
        raise FileRejected(display, "Ce fichier n'appartient pas à cette intervention.")
    final_key = _final_key(key)
    head = _head(key)
    if head is None:
        moved = _head(final_key)
        # Already moved: fine for an identical submission in flight, but a file recorded in the
        # thread (someone else's) cannot be sent again as one's own quote or invoice.
        if moved is None or match["file"] in recorded:
            raise FileRejected(display, "Le fichier n'a pas été reçu. Réessayez de l'envoyer.")
        moved_type = str(moved["ContentType"])
        return StoredFile(match["file"], final_key, display, int(moved["ContentLength"]), moved_type,
                          filetypes.DECLARED[moved_type].is_image)
    size = int(head["ContentLength"])
    if size <= 0 or size > MAX_FILE_BYTES:
        _delete(key)
        raise FileRejected(display, "Le fichier dépasse 20 Mo." if size else "Le fichier est vide.")
    s3, bucket = aws.client("s3"), settings().bucket_name
    first_bytes = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-63")["Body"].read()
    declared = str(head.get("ContentType", ""))
    real = filetypes.matches(declared, first_bytes)
    if real is None:
        _delete(key)
        raise FileRejected(display, "Le contenu du fichier ne correspond pas à un type accepté.")
    content_type = declared if filetypes.DECLARED[declared] == real else real.content_type  # what it really is
    return StoredFile(match["file"], final_key, display, size, content_type, real.is_image)


def _move_in(stored: StoredFile) -> None:
    """From incoming/ to the ticket's files: only once every file of the message passed."""
    incoming = f"incoming/{stored.key}"
    if _head(incoming) is None:
        return  # already moved by an identical submission
    s3, bucket = aws.client("s3"), settings().bucket_name
    s3.copy_object(Bucket=bucket, Key=stored.key, CopySource={"Bucket": bucket, "Key": incoming},
                   ContentType=stored.content_type, MetadataDirective="REPLACE")
    _delete(incoming)


def verify_all(ticket_id: str, pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...],
               pdf_only: frozenset[str] = frozenset(), recorded: frozenset[str] = frozenset()
               ) -> tuple[list[StoredFile], list[FileRejected]]:
    """Every file checked (keys in `pdf_only` must be PDFs); they are moved in only when all pass,
    and the caller records them."""
    accepted: list[StoredFile] = []
    rejected: list[FileRejected] = []
    for key, name in pairs:
        try:
            stored = verify(ticket_id, key, name, recorded)
            if key in pdf_only and stored.content_type != "application/pdf":  # quotes and invoices
                if key.startswith("incoming/"):
                    _delete(key)
                raise FileRejected(stored.name, "Ce fichier doit être un PDF.")
            accepted.append(stored)
        except FileRejected as problem:
            rejected.append(FileRejected(problem.name, problem.reason, key))
    if not rejected:
        for stored in accepted:
            _move_in(stored)
    return accepted, rejected


def download_url(file: dict[str, Any]) -> str:
    """A presigned GET valid 5 minutes; anything but an image downloads as an attachment, under
    its own name (RFC 6266: an ASCII fallback, then the UTF-8 name, accents and all)."""
    from urllib.parse import quote

    disposition = "inline" if file.get("is_image") else "attachment"
    name = str(file.get("name", "fichier"))
    ascii_name = safe_name(name)
    return str(aws.client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": settings().bucket_name, "Key": file["key"],
                "ResponseContentDisposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
                "ResponseContentType": file.get("content_type", "application/octet-stream")},
        ExpiresIn=DOWNLOAD_EXPIRY_SECONDS,
    ))


def read(key: str) -> bytes:
    """The whole object (email attachments; the caller keeps to small totals)."""
    return bytes(aws.client("s3").get_object(Bucket=settings().bucket_name, Key=key)["Body"].read())
