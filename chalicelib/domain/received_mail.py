"""An email received for a ticket, read from its raw MIME with limits set before any deep parsing.

Only the standard library reads MIME (`email`, policy=default). A message too large, with too many
parts or nested too deep is refused before its parts are walked; a part in a broken or unknown
encoding is read as far as it can be, never raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from chalicelib.domain import reply_text
from chalicelib.domain.errors import Unreadable

MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # SES takes up to 40 MB; uploads take 20 MB a file
MAX_PARTS = 100
MAX_DEPTH = 8
# Mail clients nest a handful of multipart containers (mixed > alternative > related); the parser's
# cost grows with their nesting, so more than this is refused from the bytes, before parsing.
MAX_CONTAINERS = 16
SIGNATURE_IMAGE_MAX_BYTES = 15 * 1024  # an inline image under this is a logo in a signature, not a photo
_CONTENT_TYPE_LINE = re.compile(rb"^content-type\s*:", re.IGNORECASE | re.MULTILINE)
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(r"^\s*(?:r[ée]ponse automatique|automatic reply|auto(?:matic)?[- ]?reply|out of (?:the )?office|"
                           r"absence|absent|undeliver|delivery status notification|mail delivery failed|"
                           r"non remis|message non distribu)", re.IGNORECASE)


@dataclass(frozen=True)
class ReceivedFile:
    name: str
    content_type: str  # as declared by the sender: the upload checks decide what it is
    data: bytes


@dataclass(frozen=True)
class ReceivedMail:
    message_id: str
    sender: str  # the From address, lower case ("" when none could be read)
    subject: str
    auto_reply: bool
    text: str  # the new text only
    files: tuple[ReceivedFile, ...] = ()
    signature_images: int = 0  # tiny inline images left out
    dkim_domains: frozenset[str] = frozenset()  # the d= of its DKIM signatures (which SES's verdict checked)


def check_limits(raw: bytes) -> None:
    """Cheap checks on the bytes, before the parser builds anything."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Unreadable("too_large")
    if len(_CONTENT_TYPE_LINE.findall(raw)) > MAX_PARTS:
        raise Unreadable("too_many_parts")
    if len(_BOUNDARY.findall(raw)) > MAX_CONTAINERS:
        raise Unreadable("too_deep")


def read(raw: bytes) -> ReceivedMail:
    """The mail's sender, whether it answers by itself, its new text and its files. Raises Unreadable."""
    from email import policy
    from email.parser import BytesParser

    check_limits(raw)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    parts = list(_walk(message))
    if len(parts) > MAX_PARTS:
        raise Unreadable("too_many_parts")
    files, signature_images = _files(parts)
    return ReceivedMail(
        message_id=_header(message, "Message-ID")[:300],
        sender=_sender(message),
        subject=" ".join(_header(message, "Subject").split())[:200],
        auto_reply=is_automatic(message),
        text=reply_text.new_text(_body(message, parts)),
        files=tuple(files),
        signature_images=signature_images,
        dkim_domains=_dkim_domains(message),
    )


_DKIM_DOMAIN = re.compile(r"(?:^|;)\s*d\s*=\s*([A-Za-z0-9.-]+)")


def _dkim_domains(message: Message) -> frozenset[str]:
    try:
        signatures = message.get_all("DKIM-Signature") or []
    except Exception:  # a header the policy cannot parse
        return frozenset()
    return frozenset(match.group(1).lower().rstrip(".") for value in signatures[:10]
                     if (match := _DKIM_DOMAIN.search(str(value))))


def _walk(message: Message, depth: int = 0) -> list[Message]:
    if depth > MAX_DEPTH:
        raise Unreadable("too_deep")
    found = [message]
    if message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                found += _walk(part, depth + 1)
            if len(found) > MAX_PARTS:
                raise Unreadable("too_many_parts")
    return found


def _header(message: Message, name: str) -> str:
    """A header as text, whatever its encoding; "" when absent or unreadable."""
    try:
        value = message.get(name)
    except Exception:  # a malformed header the policy cannot even parse
        return ""
    return str(value) if value is not None else ""


def _sender(message: Message) -> str:
    from email.utils import getaddresses

    addresses = [address for _, address in getaddresses([_header(message, "From")]) if "@" in address]
    return addresses[0].strip().lower() if len(addresses) == 1 else ""


def is_automatic(message: Message) -> bool:
    """Out-of-office answers, bounces and other mail no person wrote (RFC 3834, RFC 3464, habits)."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    sender = _sender(message)
    return bool(
        (auto_submitted and auto_submitted != "no")
        or precedence in {"bulk", "junk", "list", "auto_reply"}
        or any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"))
        or message.get_content_type() == "multipart/report"
        or sender.startswith(("mailer-daemon@", "postmaster@"))
        or _AUTO_SUBJECT.match(_header(message, "Subject"))
    )


def _text_of(part: Message) -> str:
    """A text part's content, in its charset when known, else UTF-8 with replacements."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return data.decode("utf-8", errors="replace")


def _body(message: Message, parts: list[Message]) -> str:
    """The plain text if there is one, else the HTML as text (no script, no quoted history)."""
    for subtype in ("plain", "html"):
        for part in parts:
            if part.get_content_type() == f"text/{subtype}" and not _is_attachment(part):
                text = _text_of(part)
                return text if subtype == "plain" else reply_text.html_to_text(text)
    return ""


def _is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    return disposition == "attachment" or (disposition == "inline" and bool(part.get_filename()))


def _files(parts: list[Message]) -> tuple[list[ReceivedFile], int]:
    """Attached files, and inline images too (photos pasted in the text), but not a signature's logos."""
    files: list[ReceivedFile] = []
    signature_images = 0
    for part in parts:
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        inline_image = part.get_content_maintype() == "image" and part.get_content_disposition() != "attachment"
        if not _is_attachment(part) and not inline_image:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not data:
            continue
        if inline_image and len(data) < SIGNATURE_IMAGE_MAX_BYTES:
            signature_images += 1
            continue
        name = _filename(part) or f"piece-jointe-{len(files) + 1}"
        files.append(ReceivedFile(name, part.get_content_type(), data))
    return files, signature_images


def _filename(part: Message) -> str:
    try:
        return str(part.get_filename() or "")
    except Exception:  # an undecodable RFC 2231 name
        return ""


