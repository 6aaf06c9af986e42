"""Small HTTP helpers shared by the blueprints: forms, cookies, HTML responses, headers, and what a
submitted form's write came to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache, wraps
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import chalice
from chalice import Chalice
from chalice.app import Request, Response

from chalicelib.config import settings
from chalicelib.data import store
from chalicelib.domain import errors
from chalicelib.i18n import rendering
from chalicelib.logs import logger

FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded"]

@lru_cache(maxsize=1)
def security_headers() -> dict[str, str]:
    """Sent with every page: behind a link, a page must not leak, be cached, indexed or framed.
    Scripts come from this origin only; the browser talks to S3 for uploads and thumbnails."""
    files = settings().files_origin
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {files}; "
            f"connect-src 'self' {files}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
        **({} if settings().is_local else {"Strict-Transport-Security": HSTS}),
    }


# Outside `make run` (http://127.0.0.1), the app is only ever reached over https: browsers are
# told to refuse plain http for two years, subdomains included.
HSTS = "max-age=63072000; includeSubDomains"


class ThreadSafeChalice(Chalice):
    """Chalice keeps the current request on the app object. Lambda serves one request per
    process, but `chalice local` serves several at once in threads, where one request could
    read another's body or cookies. Keeping it per thread makes local runs behave like Lambda."""

    _requests = threading.local()

    @property  # type: ignore[override]
    def current_request(self) -> Request | None:
        return getattr(self._requests, "request", None)

    @current_request.setter
    def current_request(self, value: Request | None) -> None:
        self._requests.request = value


class Blueprint(chalice.Blueprint):
    """Chalice's Blueprint, where every route answers a table too busy to write (or read) with the
    "try again in a moment" page: the one place where that error becomes a page. Chalice turns any
    other exception a view lets through into its 500."""

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
            @wraps(view)
            def answered(*args: Any, **view_kwargs: Any) -> Response:
                try:
                    return view(*args, **view_kwargs)
                except Exception as exc:
                    from chalicelib.data import store  # already loaded by whatever read the table

                    if not store.is_busy(exc):
                        raise
                    logger.warning("table busy", extra={"error_type": type(exc).__name__,
                                                        "code": getattr(exc, "cause_response_code", None)})
                    return busy_page(self.current_request)

            return register(answered)  # type: ignore[no-any-return]

        return decorator


class Form:
    """A parsed urlencoded body: `get` for one value, `getlist` for checkboxes."""

    def __init__(self, raw: bytes | None, limit: int = 1_000_000) -> None:
        text = (raw or b"")[:limit].decode("utf-8", errors="replace")
        try:
            self._values = parse_qs(text, keep_blank_values=True, max_num_fields=200)
        except ValueError:  # more fields than any of our forms has: treated as an empty form (400 with errors)
            self._values = {}

    def get(self, name: str) -> str:
        values = self._values.get(name)
        return values[0] if values else ""

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def as_dict(self) -> dict[str, str]:
        return {name: values[0] for name, values in self._values.items()}

    def pairs(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self._values.items() for value in values]


def form(request: Request) -> Form:
    raw = request.raw_body
    body = raw.encode() if isinstance(raw, str) else raw
    content_type = str(request.headers.get("content-type") or "") if request.headers else ""
    if content_type.startswith("multipart/form-data"):  # a form with a file (web/multipart.py)
        from chalicelib.web.multipart import UploadForm

        return UploadForm(body or b"", content_type)
    return Form(body)


def cookie(request: Request, name: str) -> str | None:
    header = request.headers.get("cookie") if request.headers else None
    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is the same as none
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def set_cookie_header(name: str, value: str, max_age: int, secure: bool, path: str = "/") -> str:
    parts = [f"{name}={value}", f"Path={path}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def html(template: str, language: str = "fr", status: int = 200, headers: dict[str, Any] | None = None,
         **context: Any) -> Response:
    body = rendering.render(template, language, **context)
    return Response(body=body, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})})


def redirect(location: str, status: int = 303, headers: dict[str, Any] | None = None) -> Response:
    return Response(body="", status_code=status, headers={"Location": location, **(headers or {})})


def client_address(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


BUSY_RETRY_AFTER = "5"  # seconds: DynamoDB's throttling and internal errors pass in about that
BUSY = ("Service momentanément occupé : réessayez dans un instant.",
        "Service momentarily busy: please try again in a moment.")


def busy_page(request: Request) -> Response:
    """503, in French and English (the page does not know whose it is). A form comes back holding
    what was sent, to send again as it is (its form token or id makes a second arrival harmless).
    The upload script reads JSON."""
    headers: dict[str, Any] = {"Retry-After": BUSY_RETRY_AFTER}
    if request.path.endswith("/uploads"):
        return Response(body={"error": " / ".join(BUSY)}, status_code=503, headers=headers)
    fields = form(request).pairs() if request.method == "POST" else []
    return html("busy.html", status=503, headers=headers, fields=fields)


def json_error(message: str, language: str, status: int = 400) -> Response:
    from chalicelib import i18n

    return Response(body={"error": i18n.translate(language, message)}, status_code=status)


def presign_response(ticket_id: str, form: Form, language: str, holder: str) -> Response:
    """The presigned POST for one file, counted against `holder`'s permissions, or a JSON error naming it."""
    from chalicelib import i18n
    from chalicelib.aws import uploads
    from chalicelib.domain import clock

    try:
        size = int(form.get("size") or "0")
    except ValueError:
        size = 0
    try:
        post = uploads.presign(ticket_id, form.get("filename"), form.get("content_type"), size, holder, clock.now())
    except errors.FileRejected as rejected:
        return Response(body={"error": f"{rejected.name} : {i18n.translate(language, rejected.reason)}"},
                        status_code=rejected.status)
    return Response(body=post, status_code=200)


def file_pairs(form: Form, refused: list[Any] | None = None, field: str = "file") -> list[dict[str, str]]:
    """Files already uploaded with a form that comes back with errors: kept, not sent again.
    Refused ones are dropped (they were deleted) so the next try can succeed."""
    gone = {getattr(problem, "key", "") for problem in refused or []}
    pairs = zip(form.getlist(f"{field}_key"), form.getlist(f"{field}_name"), strict=False)
    return [{"key": key, "name": name} for key, name in pairs if key not in gone]


def file_redirect(events: list[Any], file_id: str) -> Response:
    """To a 5-minute presigned GET of a file recorded in this thread; 404 for anything else."""
    from chalicelib.aws import uploads

    for event in events:
        for file in (event.data or {}).get("files", []):
            if file.get("file_id") == file_id:
                return Response(body="", status_code=302,
                                headers={"Location": uploads.download_url(file), **uploads.DOWNLOAD_HEADERS})
    return Response(body="", status_code=404)


# The ticket moved on between reading it and writing the form's change: nothing was written.
CHANGED_MEANWHILE = (errors.NotAllowed, errors.Conflict, errors.TooLateToReschedule)


def recorded(write: Callable[[], object], submission_id: str) -> bool:
    """Runs one submitted form's write. True when the form is recorded: now, or by an identical
    submission earlier (a double click, a retry) or meanwhile (it won the race). False when the
    ticket changed meanwhile and nothing was written: the page shows it as it is now."""
    try:
        write()
    except errors.AlreadySubmitted:
        return True
    except CHANGED_MEANWHILE:
        return store.find_submission(submission_id) is not None
    return True
