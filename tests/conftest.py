"""Shared test set-up: an embedded moto server on loopback (DynamoDB Streams only work
against the server), the same resources `make run` creates, and a clean slate per test."""

from __future__ import annotations

import logging
import os
import secrets
import urllib.request
from collections.abc import Iterator

import pytest

from local.harness import free_port

REGION = "eu-west-3"
TEST_KEY = secrets.token_urlsafe(48)


MOTO_PORT = free_port()
os.environ.update({
    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
    "RELAIS_STAGE": "local", "RELAIS_TABLE": "relais-test", "RELAIS_BUCKET": "relais-test-files",
    "RELAIS_BASE_URL": "http://127.0.0.1:8000", "RELAIS_SENDER_EMAIL": "relais@gestion-demo.fr",
    "RELAIS_SIGNING_KEY_PARAMETER": "/relais/test/signing-key", "RELAIS_NOTIFICATION_BACKOFF_SECONDS": "0",
    "RELAIS_NOTIFICATION_MAX_ATTEMPTS": "3", "POWERTOOLS_LOG_LEVEL": "WARNING",
})
os.environ.pop("RELAIS_DEV_OUTBOX_ARCHIVE", None)
logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from local import moto_extensions, moto_patches

    moto_patches.apply_all()
    moto_extensions.register()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{MOTO_PORT}"
    server.stop()


@pytest.fixture
def aws(moto_server: str) -> Iterator[str]:
    """A fresh AWS stand-in for one test, with Relais's resources created."""
    from local import resources

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    resources.create_all(os.environ["RELAIS_TABLE"], os.environ["RELAIS_BUCKET"], os.environ["RELAIS_SENDER_EMAIL"],
                         os.environ["RELAIS_SIGNING_KEY_PARAMETER"], REGION, key=TEST_KEY)
    from chalicelib.aws import signing_keys
    from chalicelib.data import agency, directory, throttle

    agency.forget()  # the profile this container read was in the old table
    directory.forget_choices()
    throttle.forget()  # the clients this container knew over the wrong-link limit were in the old table
    signing_keys.forget()  # the stand-in was reset: its signing key is version 1 again
    yield moto_server
