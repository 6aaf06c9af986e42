"""`make run`: the whole product on this machine, no AWS account needed.

Starts the moto server (the AWS stand-in) on 127.0.0.1:4566, creates the resources,
restores or seeds the demo data, starts `chalice local` and runs the pump. Ctrl-C stops
everything it started and keeps the data under .local/ for the next run.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".local"
MOTO_PORT = int(os.environ.get("MOTO_PORT", "4566"))
PORT = int(os.environ.get("PORT", "8000"))
REGION = "eu-west-3"


def local_environment() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
        "RELAIS_STAGE": "local", "RELAIS_TABLE": "relais", "RELAIS_BUCKET": "relais-files",
        "RELAIS_BASE_URL": f"http://127.0.0.1:{PORT}", "RELAIS_SENDER_EMAIL": "relais@gestion-demo.fr",
        "RELAIS_SIGNING_KEY_PARAMETER": "/relais/local/signing-key",
        "RELAIS_DEV_OUTBOX_ARCHIVE": str(STATE_DIR / "sent.json"),
        "RELAIS_NOTIFICATION_BACKOFF_SECONDS": "10",
        "RELAIS_SCHEDULE_GROUP": "relais",
        "POWERTOOLS_SERVICE_NAME": "relais", "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines are for CloudWatch, not the terminal
    }


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - loopback only
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def _signing_key() -> str:
    path = STATE_DIR / "signing-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _snapshot(table: str) -> None:
    """Keep the demo data (and the messages already sent) for the next `make run`."""
    import boto3

    from chalicelib import dev_outbox

    items: list[dict[str, Any]] = []
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    (STATE_DIR / "table.json").write_text(json.dumps(items))
    (STATE_DIR / "sent.json").write_text(json.dumps(dev_outbox.all_messages(), ensure_ascii=False))


def _restore(table: str) -> bool:
    import boto3

    path = STATE_DIR / "table.json"
    if not path.exists():
        return False
    items = json.loads(path.read_text())
    client = boto3.client("dynamodb")
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        client.batch_write_item(RequestItems={table: batch})
    return True


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C and `kill` both stop cleanly, even when started in the background.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    STATE_DIR.mkdir(exist_ok=True)
    for port in (MOTO_PORT, PORT):
        if not _port_free(port):
            raise SystemExit(f"Port {port} is already in use on 127.0.0.1 (set PORT=… for the app).")
    env = {**os.environ, **local_environment()}
    os.environ.update(env)
    bin_dir = Path(sys.executable).parent
    children: list[subprocess.Popen[bytes]] = []

    def stop(*_: Any) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    try:
        print(f"Starting the AWS stand-in (moto) on 127.0.0.1:{MOTO_PORT} …", flush=True)
        # Children get their own session: Ctrl-C reaches only this runner, which saves the
        # demo data while the stand-in is still up, then stops them.
        moto = [sys.executable, "-m", "local.moto_server", "-H", "127.0.0.1", "-p", str(MOTO_PORT)]
        children.append(subprocess.Popen(moto, cwd=ROOT,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        _wait_http(f"http://127.0.0.1:{MOTO_PORT}/moto-api/data.json")

        sys.path.insert(0, str(ROOT))
        from local import resources

        resources.create_all("relais", "relais-files", env["RELAIS_SENDER_EMAIL"],
                             env["RELAIS_SIGNING_KEY_PARAMETER"], REGION, key=_signing_key())
        if _restore("relais"):
            print("Demo data restored from .local/.", flush=True)
            from chalicelib import directory, links, listing

            # Saved by an older version: what the newer one derives (as `make upgrade-data` does).
            repaired, recorded = listing.rebuild_summaries(), links.record_key_versions()
            directory.grant_roles_to_managers()
            if repaired:
                print(f"Ticket lists rebuilt for {repaired} ticket(s).", flush=True)
            if recorded:
                print(f"Signing-key version recorded on {recorded} older link(s).", flush=True)
        else:
            from local.seed import seed

            seed()
            print("Demo data created.", flush=True)

        print(f"Starting chalice local on 127.0.0.1:{PORT} …", flush=True)
        children.append(subprocess.Popen(
            [str(bin_dir / "chalice"), "local", "--host", "127.0.0.1", "--port", str(PORT), "--no-autoreload",
             "--stage", "local"], cwd=ROOT, env=env, start_new_session=True))
        _wait_http(f"http://127.0.0.1:{PORT}/admin/login")

        import app as relais_app
        from chalicelib import dev_schedules
        from local.pump import Pump

        pump = Pump(resources.stream_arn("relais"), relais_app.dispatch_outbox, relais_app.sweep_outbox,
                    sweep_every=2.0, fire_due=dev_schedules.fire_due)
        base = f"http://127.0.0.1:{PORT}"
        from local.seed import MANAGER_EMAIL

        print("\nRelais is running.\n"
              f"  Admin:      {base}/admin/login   (sign in as {MANAGER_EMAIL})\n"
              f"  Dev outbox: {base}/dev/outbox    (every SMS and email, with their links)\n"
              "Ctrl-C stops everything.\n", flush=True)
        last_snapshot = 0.0
        dirty = True
        while True:
            if any(child.poll() is not None for child in children):
                raise SystemExit("A process stopped unexpectedly; shutting down.")
            dirty = pump.run_once() > 0 or dirty
            if dirty and time.monotonic() - last_snapshot > 5:
                _snapshot("relais")
                last_snapshot, dirty = time.monotonic(), False
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
        try:
            _snapshot("relais")
        except Exception as exc:  # the stand-in may already be gone
            print(f"Could not save the demo data: {exc}", flush=True)
    finally:
        stop()


if __name__ == "__main__":
    main()
