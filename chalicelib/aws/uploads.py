"""Files: presigned POST uploads straight to S3, the server-side check, and short-lived downloads.

S3 (and its emulators) may not enforce every presigned-POST condition, so nothing is
recorded before the check has looked at the object itself: where it is, its size, its bytes.
A presigned POST cannot be revoked and stays usable until it expires, so what the check read is
pinned: the copy into the ticket's files takes that very version (its VersionId, and its ETag as
a copy condition), never a re-upload made since, and a ticket's file, once in, is never replaced.
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib.aws import clients
from chalicelib.config import settings
from chalicelib.data import throttle
from chalicelib.domain import filetypes, ids
from chalicelib.domain.errors import FileRejected, TooManyUploads
from chalicelib.domain.text import N_

MAX_FILE_BYTES = 20 * 1024 * 1024
UPLOAD_EXPIRY_SECONDS = 120  # the browser asks for it right before uploading; S3 checks it when the upload starts
DOWNLOAD_EXPIRY_SECONDS = 300
NAME_MAX = 200
READ_BUFFER = 64 * 1024  # the check reads a file's start and, for an office file, its ZIP directory at the end
# On the redirect to a file. S3 cannot send these on the file itself (only Content-Type,
# Content-Disposition and the like): there, what protects is that nothing but a raster image is
# ever inline, under the type its bytes have.
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"}
_INCOMING = re.compile(
    r"^incoming/tickets/(?P<ticket>[0-9A-Z]{26})/(?P<file>[0-9A-Z]{26})/(?P<name>[A-Za-z0-9._-]{1,120})$"
)
NOT_RECEIVED = N_("Le fichier n'a pas été reçu. Réessayez de l'envoyer.")
CHANGED = N_("Le fichier a été remplacé pendant l'envoi. Envoyez-le à nouveau.")
ALREADY_SENT = N_("Ce fichier a déjà été envoyé. Ajoutez-le à nouveau pour l'envoyer encore.")


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    key: str
    name: str  # cleaned, and ending with the extension of what the bytes are
    size: int
    content_type: str  # what the bytes are, not what the browser declared
    is_image: bool  # a raster image: the only kind shown inline
    version_id: str = ""  # the version the check passed ("" where the bucket keeps no versions)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Checked:
    """An uploaded file as the check read it: the copy must take exactly this version."""

    stored: StoredFile
    incoming: str
    etag: str  # "" when an identical submission already copied it in
    version_id: str


class _Gone(Exception):
    """The incoming object went away while being checked (an identical submission moved it in)."""


def incoming_prefix(ticket_id: str) -> str:
    """Where the browser uploads: a lifecycle rule clears what is never recorded."""
    return f"incoming/tickets/{ticket_id}/"


def _final_key(incoming_key: str) -> str:
    return incoming_key.removeprefix("incoming/")


def safe_name(name: str) -> str:
    """A key-safe version of a file name: 'Facture été 2026.pdf' → 'Facture_ete_2026.pdf'."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "fichier"
    return cleaned[-120:]


def clean_display_name(name: str) -> str:
    return filetypes.clean_name(name)[:NAME_MAX] or "fichier"


def presign(ticket_id: str, filename: str, content_type: str, size: int, holder: str, now: datetime) -> dict[str, Any]:
    """The URL and fields the browser posts the file with, counted against `holder`'s upload
    permissions (a contractor's link, a manager). Raises FileRejected on a bad claim, TooManyUploads."""
    name = clean_display_name(filename)
    if content_type not in filetypes.DECLARED:
        raise FileRejected(name, N_("Type de fichier non accepté (photos, PDF, Word, Excel ou OpenDocument)."))
    if size <= 0:
        raise FileRejected(name, N_("Le fichier est vide."))
    if size > MAX_FILE_BYTES:
        raise FileRejected(name, N_("Le fichier dépasse 20 Mo."))
    refusal = throttle.grant_upload(holder, now, UPLOAD_EXPIRY_SECONDS)
    if refusal:
        raise TooManyUploads(name, refusal)
    key = f"{incoming_prefix(ticket_id)}{ids.new_id()}/{safe_name(name)}"
    post = clients.client("s3").generate_presigned_post(
        Bucket=settings().bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"key": key}, ["content-length-range", 1, MAX_FILE_BYTES], {"Content-Type": content_type}],
        ExpiresIn=UPLOAD_EXPIRY_SECONDS,
    )
    return {"url": post["url"], "fields": post["fields"], "key": key, "name": name}


def put_incoming(ticket_id: str, name: str, content_type: str, data: bytes) -> str:
    """A file that came by email, put where the browser would have uploaded it: `verify_all` then
    checks it like any upload (size, type from its bytes). Returns its key."""
    key = f"{incoming_prefix(ticket_id)}{ids.new_id()}/{safe_name(clean_display_name(name))}"
    clients.client("s3").put_object(Bucket=settings().bucket_name, Key=key, Body=data, ContentType=content_type[:100])
    return key


def _is_gone(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return str(error.get("Code")) in {"NoSuchKey", "NoSuchVersion", "404"} or \
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


def _delete(key: str, version_id: str = "") -> None:
    """Delete the version that was checked (where versions are kept), not whatever is there now."""
    version = {"VersionId": version_id} if version_id else {}
    clients.client("s3").delete_object(Bucket=settings().bucket_name, Key=key, **version)


def _head(key: str) -> dict[str, Any] | None:
    try:
        return dict(clients.client("s3").head_object(Bucket=settings().bucket_name, Key=key))
    except ClientError:
        return None


class _ObjectVersion(io.RawIOBase):
    """One version of an object, read by ranged GETs pinned to it: a re-upload is never read."""

    def __init__(self, key: str, size: int, etag: str, version_id: str) -> None:
        super().__init__()
        self.key, self.size, self.position = key, size, 0
        self.pin = {"IfMatch": etag, **({"VersionId": version_id} if version_id else {})}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        end = min(self.position + len(buffer), self.size)
        if end <= self.position:
            return 0
        data = clients.client("s3").get_object(Bucket=settings().bucket_name, Key=self.key,
                                           Range=f"bytes={self.position}-{end - 1}", **self.pin)["Body"].read()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _check_incoming(key: str, file_id: str, display: str) -> _Checked:
    head = _head(key)
    if head is None:
        raise _Gone(key)
    size, etag, version_id = int(head["ContentLength"]), str(head["ETag"]), str(head.get("VersionId") or "")
    if size <= 0 or size > MAX_FILE_BYTES:
        _delete(key, version_id)
        raise FileRejected(display, N_("Le fichier dépasse 20 Mo.") if size else N_("Le fichier est vide."))
    try:
        kind = filetypes.identify(io.BufferedReader(_ObjectVersion(key, size, etag, version_id), READ_BUFFER),
                                  str(head.get("ContentType", "")))
    except ClientError as exc:
        if _is_gone(exc):
            raise _Gone(key) from exc
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 412:  # re-uploaded during the check
            raise FileRejected(display, CHANGED) from exc
        raise
    if kind is None:
        _delete(key, version_id)
        raise FileRejected(display, N_("Le contenu du fichier ne correspond pas à un type accepté."))
    stored = StoredFile(file_id, _final_key(key), filetypes.named(display, kind), size, kind.content_type, kind.is_image)
    return _Checked(stored, key, etag, version_id)


def _already_in(key: str, file_id: str, display: str) -> _Checked:
    """The file an identical submission in flight has already copied in (double click)."""
    final = _head(_final_key(key))
    kind = filetypes.DECLARED.get(str(final.get("ContentType"))) if final else None
    if final is None or kind is None:
        raise FileRejected(display, NOT_RECEIVED)
    stored = StoredFile(file_id, _final_key(key), filetypes.named(display, kind), int(final["ContentLength"]),
                        kind.content_type, kind.is_image, str(final.get("VersionId") or ""))
    return _Checked(stored, key, "", "")


def verify(ticket_id: str, key: str, name: str, recorded: frozenset[str] = frozenset(), paperwork: bool = False
           ) -> _Checked:
    """Check an uploaded object (still in incoming/). A bad one of this ticket is deleted.

    A key serves once: a file already recorded in the thread cannot be sent again (as someone's
    quote or invoice, or re-uploaded under the same permission). An identical submission in flight
    (double click) finds the file already copied in and goes on with it. `paperwork`: a quote's or
    an invoice's page (a PDF or a photo)."""
    display = clean_display_name(name)
    match = _INCOMING.match(key)
    if match is None or match["ticket"] != ticket_id:
        # Never delete here: the key may belong to another ticket.
        raise FileRejected(display, N_("Ce fichier n'appartient pas à cette intervention."))
    if match["file"] in recorded:
        raise FileRejected(display, ALREADY_SENT)
    try:
        checked = _check_incoming(key, match["file"], display)
    except _Gone:
        return _already_in(key, match["file"], display)
    problem = filetypes.paperwork_problem([filetypes.DECLARED[checked.stored.content_type]]) if paperwork else None
    if problem:
        _delete(key, checked.version_id)
        raise FileRejected(checked.stored.name, problem)
    return checked


def _disposition(name: str, kind: filetypes.Kind | None) -> str:
    """Inline for raster images only; the ASCII fallback, then the UTF-8 name (RFC 6266)."""
    how = "inline" if kind is not None and kind.is_image else "attachment"
    return f"{how}; filename=\"{safe_name(name)}\"; filename*=UTF-8''{quote(name)}"


def _copy_in(checked: _Checked) -> StoredFile:
    """From incoming/ to the ticket's files: the checked version only, and only once.

    Stored with the type and disposition of what it is, so the object tells the truth even
    when fetched without the download's overrides."""
    stored = checked.stored
    if not checked.etag:
        return stored  # an identical submission copied it in
    s3, bucket = clients.client("s3"), settings().bucket_name
    source = {"Bucket": bucket, "Key": checked.incoming, **({"VersionId": checked.version_id} if checked.version_id else {})}
    for attempt in range(3):
        try:
            copied = s3.copy_object(
                Bucket=bucket, Key=stored.key, CopySource=source,
                CopySourceIfMatch=checked.etag,  # the bytes the check read, not a re-upload since
                IfNoneMatch="*",  # a ticket's file, once in, is never replaced
                MetadataDirective="REPLACE", ContentType=stored.content_type,
                ContentDisposition=_disposition(stored.name, filetypes.DECLARED[stored.content_type]),
                Metadata={"checked-etag": checked.etag.strip('"')})
            version_id = str(copied.get("VersionId") or "")
            break
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 409 and attempt < 2:
                continue  # ConditionalRequestConflict: an identical submission is copying it right now; S3 says retry
            if status not in (404, 409, 412):  # not a race (access, throttling…): a real error
                raise
            version_id = _copied_by_twin(stored, checked.etag)
            break
    try:
        _delete(checked.incoming, checked.version_id)
    except ClientError as exc:
        if not _is_gone(exc):  # a lost grant or an outage must show, not leave files behind silently
            raise
        # else already deleted by the identical submission
    return replace(stored, version_id=version_id)


def _copied_by_twin(stored: StoredFile, etag: str) -> str:
    """After a refused copy: the version an identical submission copied in from the same checked
    bytes; anything else (the upload was replaced, the file is another one) is refused."""
    final = _head(stored.key)
    if final is None or final.get("Metadata", {}).get("checked-etag") != etag.strip('"'):
        raise FileRejected(stored.name, CHANGED, f"incoming/{stored.key}")
    return str(final.get("VersionId") or "")


def verify_all(ticket_id: str, pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...],
               paperwork: frozenset[str] = frozenset(), recorded: frozenset[str] = frozenset()
               ) -> tuple[list[StoredFile], list[FileRejected]]:
    """Every file checked (the keys in `paperwork` must make one quote or invoice: a PDF, or photos);
    they are copied in only when all pass, and the caller records them. Safe to run twice at once
    for the same submission."""
    checked: list[_Checked] = []
    rejected: list[FileRejected] = []
    for key, name in pairs:
        try:
            checked.append(verify(ticket_id, key, name, recorded, paperwork=key in paperwork))
        except FileRejected as problem:
            rejected.append(FileRejected(problem.name, problem.reason, key))
    together = [one for one in checked if one.incoming in paperwork]
    mixed = filetypes.paperwork_problem([filetypes.DECLARED[one.stored.content_type] for one in together])
    if mixed:  # each file is fine alone: they are kept for the next try without one of them
        rejected += [FileRejected(one.stored.name, mixed) for one in together]
    if rejected:
        return [], rejected
    accepted: list[StoredFile] = []
    for one in checked:
        try:
            accepted.append(_copy_in(one))
        except FileRejected as problem:
            rejected.append(FileRejected(problem.name, problem.reason, one.incoming))
    return (accepted, []) if not rejected else ([], rejected)


def download_url(file: dict[str, Any]) -> str:
    """A presigned GET valid 5 minutes, under the type and extension of what the file is: a raster
    image shows inline, anything else downloads as an attachment. Files recorded before names and
    types were tied to the bytes get the same treatment from their recorded type."""
    kind = filetypes.DECLARED.get(str(file.get("content_type")))
    name = clean_display_name(str(file.get("name", "fichier")))
    if kind is not None:
        name = filetypes.named(name, kind)
    params = {"Bucket": settings().bucket_name, "Key": file["key"],
              "ResponseContentDisposition": _disposition(name, kind),
              "ResponseContentType": kind.content_type if kind else "application/octet-stream",
              "ResponseCacheControl": "private, no-store"}
    if file.get("version_id"):
        params["VersionId"] = file["version_id"]
    return str(clients.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=DOWNLOAD_EXPIRY_SECONDS))


def read(key: str) -> bytes:
    """The whole object (email attachments; the caller keeps to small totals)."""
    return bytes(clients.client("s3").get_object(Bucket=settings().bucket_name, Key=key)["Body"].read())
