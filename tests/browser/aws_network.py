"""The network to AWS, for a prod-shaped test: real AWS host names, answered by the moto server.

The app runs with no endpoint override at all, as on Lambda: botocore resolves and signs the
real host names (`dynamodb.eu-west-3.amazonaws.com`, `<bucket>.s3.eu-west-3.amazonaws.com`...).
Only the transport is redirected, as a DNS entry would:
- the app's process: each HTTPS request to `*.amazonaws.com` goes to the moto server with its
  Host header kept, so moto routes it by service and bucket as AWS would (`send_aws_to`, run
  through `python -m tests.browser.aws_network <moto url> chalice local ...`);
- the browser: Chromium's `--host-rules` sends `*.amazonaws.com` to `AwsFront`, a local HTTPS
  server that hands each request to moto and answers CORS as S3 does under given rules (moto
  does not do CORS). Playwright's request routing cannot do this part: it never sees the
  request a redirect leads to, and downloads and thumbnails are redirects to presigned GETs.
"""

from __future__ import annotations

import datetime
import fnmatch
import http.client
import http.server
import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def send_aws_to(moto_url: str) -> None:
    from botocore.httpsession import URLLib3Session

    moto = urlsplit(moto_url)
    send = URLLib3Session.send

    def rerouted(self: URLLib3Session, request: Any) -> Any:
        url = urlsplit(request.url)
        if url.scheme == "https" and (url.hostname or "").endswith(".amazonaws.com"):
            request.headers["Host"] = url.netloc
            request.url = urlunsplit(("http", moto.netloc, url.path, url.query, ""))
        return send(self, request)

    URLLib3Session.send = rerouted  # type: ignore[method-assign]


# Headers a browser sets itself: a preflight never asks for them (the Fetch standard's safelist).
_BROWSER_HEADERS = {"accept", "accept-language", "content-language", "origin", "referer", "user-agent",
                    "content-length", "host", "connection", "accept-encoding", "cookie", "dnt", "priority"}
_SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def _matches(value: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), pattern.lower()) for pattern in patterns)


def cors_rule(rules: list[dict[str, Any]], origin: str, method: str, headers: list[str]) -> dict[str, Any] | None:
    """The first rule that allows this origin, method and request headers, as S3 picks it."""
    for rule in rules:
        if (_matches(origin, rule["AllowedOrigins"]) and method in rule["AllowedMethods"]
                and all(_matches(h, rule.get("AllowedHeaders", [])) for h in headers)):
            return rule
    return None


def author_headers(headers: dict[str, str]) -> list[str]:
    """The headers of a request a preflight must have allowed."""
    names = []
    for name, value in headers.items():
        name = name.lower()
        if name in _BROWSER_HEADERS or name.startswith(("sec-", "proxy-")):
            continue
        if name == "content-type" and value.split(";")[0].strip().lower() in _SIMPLE_TYPES:
            continue
        names.append(name)
    return names


def _cors_answer(rule: dict[str, Any], origin: str) -> dict[str, str]:
    answer = {"Access-Control-Allow-Origin": "*" if rule["AllowedOrigins"] == ["*"] else origin,
              "Access-Control-Allow-Methods": ", ".join(rule["AllowedMethods"]), "Vary": "Origin"}
    if rule["AllowedOrigins"] != ["*"]:
        answer["Access-Control-Allow-Credentials"] = "true"
    if rule.get("MaxAge"):
        answer["Access-Control-Max-Age"] = str(rule["MaxAge"])
    if rule.get("ExposeHeaders"):
        answer["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    return answer


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "amazonaws.com (test)")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.amazonaws.com")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "aws.pem", directory / "aws.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class AwsFront(http.server.ThreadingHTTPServer):
    """HTTPS on 127.0.0.1 for `*.amazonaws.com`: requests go on to moto; CORS is S3's, by `rules`."""

    daemon_threads = True

    def __init__(self, moto_url: str, rules: list[dict[str, Any]], directory: Path) -> None:
        super().__init__(("127.0.0.1", 0), _FrontHandler)
        self.moto = urlsplit(moto_url)
        self.rules = rules
        self.seen: list[dict[str, Any]] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*_self_signed(directory))
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _FrontHandler(http.server.BaseHTTPRequestHandler):
    server: AwsFront
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, **facts: Any) -> None:
        self.server.seen.append({"host": self.headers.get("Host"), "method": self.command,
                                 "origin": self.headers.get("Origin"), **facts})

    def do_OPTIONS(self) -> None:  # a CORS preflight, answered as S3 does
        origin = self.headers.get("Origin", "")
        method = self.headers.get("Access-Control-Request-Method", "")
        asked = [h.strip().lower() for h in self.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()]
        rule = cors_rule(self.server.rules, origin, method, asked)
        self._record(preflight_for=method, allowed=rule is not None)
        if rule is None:
            self._answer(403, {"Content-Type": "application/xml"}, b"<Error><Code>AccessForbidden</Code>"
                         b"<Message>CORSResponse: This CORS request is not allowed.</Message></Error>")
        else:
            self._answer(200, _cors_answer(rule, origin))

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        connection = http.client.HTTPConnection(self.server.moto.hostname, self.server.moto.port, timeout=30)
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            content = response.read()
            answer = {k: v for k, v in response.getheaders()
                      if k.lower() not in ("content-length", "transfer-encoding", "connection")
                      and not k.lower().startswith("access-control-")}
        finally:
            connection.close()
        origin = self.headers.get("Origin")
        rule = cors_rule(self.server.rules, origin, self.command, author_headers(dict(self.headers))) if origin else None
        self._record(status=response.status, cors=rule is not None)
        self._answer(response.status, {**answer, **(_cors_answer(rule, str(origin)) if rule else {})},
                     b"" if self.command == "HEAD" else content)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward


@contextmanager
def aws_front(moto_url: str, rules: list[dict[str, Any]], directory: Path) -> Iterator[AwsFront]:
    front = AwsFront(moto_url, rules, directory)
    thread = threading.Thread(target=front.serve_forever, name="aws-front", daemon=True)
    thread.start()
    try:
        yield front
    finally:
        front.shutdown()
        front.server_close()
        thread.join(timeout=10)


def main() -> None:
    moto_url, command = sys.argv[1], sys.argv[2:]
    send_aws_to(moto_url)
    if command[0] != "chalice":
        raise SystemExit(f"unknown command {command[0]!r}")
    from chalice.cli import main as chalice

    sys.argv = command
    sys.exit(chalice())


if __name__ == "__main__":
    main()
