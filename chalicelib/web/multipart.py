"""A multipart/form-data body (a form with a file), parsed with the standard library's email parser.

Only the import of a file of buildings sends one. Its text fields read like any form's (so the CSRF
check of web/session.py finds its token); its files are kept as bytes, as sent.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

from chalicelib.web.http import Form

MAX_BYTES = 10_000_000  # API Gateway's limit (Lambda's is 6 MB): a larger body is not read at all


class UploadForm(Form):
    def __init__(self, body: bytes, content_type: str) -> None:
        super().__init__(b"")
        self.files: dict[str, tuple[str, bytes]] = {}  # field → (file name, content)
        if len(body) > MAX_BYTES:
            return
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
        if not message.is_multipart():
            return
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str) or len(self._values) >= 200:
                continue
            content = part.get_payload(decode=True)
            content = content if isinstance(content, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                self.files[name] = (filename, content)
            else:
                self._values.setdefault(name, []).append(content.decode("utf-8", errors="replace"))
