"""Browser tests: the whole product on loopback, driven by Debian's chromium through Playwright.

One stack per test module: the moto server from tests/conftest.py (reset, resources created),
the demo people, `chalice local` in a subprocess on a free port of 127.0.0.1, and the pump in
a background thread (it feeds the stream to the dispatcher, so SMS and emails get "sent").
The tests read messages from /dev/outbox.json, as a person reads their phone or mailbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.harness import NotServing, free_port, wait_http, wait_until
from tests.conftest import REGION, TEST_KEY

ROOT = Path(__file__).resolve().parent.parent.parent
APP_PORT = free_port()
BASE_URL = f"http://127.0.0.1:{APP_PORT}"
SHOTS = ROOT / "test-results" / "screenshots"  # to look at; ignored by git
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=fr-FR"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "fr-FR", "timezone_id": "Europe/Paris"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


class _PumpThread(threading.Thread):
    """Runs the pump every 0.2 s until stopped, as AWS would feed the dispatcher."""

    def __init__(self, pump: Any) -> None:
        super().__init__(name="relais-pump", daemon=True)
        self._pump = pump
        self._stop_event = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self._pump.run_once()
            except Exception as exc:  # keep pumping; the tests see what was not sent
                self.errors.append(exc)
            self._stop_event.wait(0.2)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


@dataclass
class Relais:
    base_url: str
    people: Any
    pump: _PumpThread

    def outbox(self) -> list[dict[str, Any]]:
        """Every SMS and email "sent", newest first (the dev mail catcher)."""
        with urllib.request.urlopen(f"{self.base_url}/dev/outbox.json", timeout=5) as response:
            return list(json.load(response))

    def wait_for_message(self, match: Callable[[dict[str, Any]], bool], seconds: float = 10.0) -> dict[str, Any]:
        """The newest message `match` accepts, polling the outbox as one refreshes a mailbox."""
        def newest() -> dict[str, Any] | None:
            return next((m for m in self.outbox() if match(m)), None)

        try:
            return wait_until("a message of that kind in the outbox", newest, seconds)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; pump errors: {self.pump.errors!r}") from None


def _demo_people() -> Any:
    from tests.integration.conftest import make_people

    return make_people()


@contextmanager
def running_relais(moto_server: str, stage: str = "local", env: dict[str, str] | None = None,
                   launcher: tuple[str, ...] = ()) -> Iterator[Relais]:
    """The whole product on 127.0.0.1, fresh: `chalice local --stage <stage>` with `env` (default:
    this process's), started through `launcher` if given, and the pump in this process."""
    from chalicelib.config import settings

    saved_base_url = os.environ.get("RELAIS_BASE_URL")
    os.environ["RELAIS_BASE_URL"] = BASE_URL  # links in SMS/emails point at this server
    settings.cache_clear()

    from local import resources

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    resources.create_all(os.environ["RELAIS_TABLE"], os.environ["RELAIS_BUCKET"], os.environ["RELAIS_SENDER_EMAIL"],
                         os.environ["RELAIS_SIGNING_KEY_PARAMETER"], REGION, key=TEST_KEY)
    people = _demo_people()

    log = tempfile.TemporaryFile()  # chalice local's output, shown if it fails to start
    chalice = [str(Path(sys.executable).parent / "chalice")] if not launcher else [*launcher, "chalice"]
    child = subprocess.Popen(
        [*chalice, "local", "--host", "127.0.0.1", "--port", str(APP_PORT), "--no-autoreload", "--stage", stage],
        cwd=ROOT, env=dict(os.environ) if env is None else env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    pump_thread: _PumpThread | None = None
    try:
        try:
            wait_http(f"{BASE_URL}/admin/login", child, "chalice local", 30)
        except NotServing as exc:
            log.seek(0)
            raise RuntimeError(f"{exc}\n{log.read().decode(errors='replace')[-4000:]}") from exc
        import app as relais_app
        from local.pump import Pump

        pump = Pump(resources.stream_arn(os.environ["RELAIS_TABLE"]), relais_app.dispatch_outbox,
                    relais_app.sweep_outbox, sweep_every=1.0)
        pump.run_once()  # the first round in this thread: clients are created before the thread starts
        pump_thread = _PumpThread(pump)
        pump_thread.start()
        yield Relais(BASE_URL, people, pump_thread)
    finally:
        if pump_thread is not None:
            pump_thread.stop()
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)
        log.close()
        if saved_base_url is None:
            os.environ.pop("RELAIS_BASE_URL", None)
        else:
            os.environ["RELAIS_BASE_URL"] = saved_base_url
        settings.cache_clear()


@pytest.fixture(scope="module")
def relais(moto_server: str) -> Iterator[Relais]:
    """The whole product on 127.0.0.1 as `make run` runs it, fresh for each test module."""
    with running_relais(moto_server) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _context(browser: Any, options: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(base_url=BASE_URL, **options)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """The contractor's phone: 390×844, touch."""
    yield from _context(browser, PHONE)


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    """The manager's desktop browser."""
    yield from _context(browser, DESKTOP)


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
