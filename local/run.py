"""`make run`: the whole product on this machine, no AWS account needed.

Starts the moto server (the AWS stand-in) on 127.0.0.1:$MOTO_PORT, creates the resources,
restores or seeds the demo data, starts `chalice local` on $PORT and runs the pump. The data
is saved under .local/ every few seconds while it changes (local/state.py) and once more on
Ctrl-C or SIGTERM; a crash loses at most the last seconds.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from local.harness import NotServing, describe_exit, wait_http

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("RELAIS_LOCAL_DIR", str(ROOT / ".local")))
MOTO_PORT = int(os.environ.get("MOTO_PORT", "4566"))
PORT = int(os.environ.get("PORT", "8000"))
SMTP_PORT = int(os.environ.get("SMTP_PORT", "2525"))  # replies by email (local/smtp.py)
REGION = "eu-west-3"
SAVE_EVERY = 5.0  # seconds between saves while the data changes
SAVE_ANYWAY = 60.0  # and at least this often (uploads alone write no stream record)
PR_SET_PDEATHSIG = 1


def local_environment() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
        "RELAIS_STAGE": "local", "RELAIS_TABLE": "relais", "RELAIS_BUCKET": "relais-files",
        "RELAIS_BASE_URL": f"http://127.0.0.1:{PORT}", "RELAIS_SENDER_EMAIL": "relais@gestion-demo.fr",
        "RELAIS_SIGNING_KEY_PARAMETER": "/relais/local/signing-key",
        "RELAIS_NOTIFICATION_BACKOFF_SECONDS": "10",
        "RELAIS_SCHEDULE_GROUP": "relais",
        "RELAIS_LOCAL_DIR": str(STATE_DIR),  # where the stand-in writes table.json (local/moto_extensions.py)
        # Replies by email go to r.…@this domain: local/smtp.py receives them (nothing on the internet answers it).
        "RELAIS_AGENCY_REPLY_DOMAIN": os.environ.get("RELAIS_AGENCY_REPLY_DOMAIN", "reponses.relais.localhost"),
        "RELAIS_SMTP_PORT": str(SMTP_PORT),  # where /dev/outbox's "Répondre" sends
        "POWERTOOLS_SERVICE_NAME": "relais", "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines are for CloudWatch, not the terminal
    }


class Stop(Exception):
    """Ends the main loop; the message says why."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- ports ------------------------------------------------------------------------------------------

def _listener_pid(port: int) -> int | None:
    """The process listening on 127.0.0.1:port, if /proc tells (Linux)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                return int(fd_dir.parent.name)
        except OSError:
            continue
    return None


def check_port(port: int, variable: str) -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) != 0:
            return
    pid = _listener_pid(port)
    holder = ""
    if pid is not None:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        holder = f" by process {pid} ({command[:120]})"
        if "local.moto_server" in command or "chalice local" in command:
            holder += f": another `make run`, or one left behind by a crash (then `kill {pid}`)"
    raise Stop(f"Port {port} ({variable}) is already in use on 127.0.0.1{holder}. "
               f"Free it, or choose another: `make run {variable}={port + 1}`.")


# -- children ---------------------------------------------------------------------------------------

_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: the child only calls it


def _die_with_the_runner() -> None:
    """In the child, before exec: SIGKILL it when the runner dies, even by kill -9."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Children:
    """moto and chalice: in sessions of their own (Ctrl-C reaches only the runner, which saves
    while they still serve), and killed by the kernel if the runner dies without stopping them."""

    def __init__(self) -> None:
        self.running: dict[str, tuple[subprocess.Popen[bytes], Path | None]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
        output = open(log, "wb") if log else None  # the child keeps it open
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output or None, stderr=output or None,
                                 start_new_session=True, preexec_fn=_die_with_the_runner)
        self.running[name] = (child, log)
        return child

    def check(self) -> None:
        for name, (child, log) in self.running.items():
            if child.poll() is not None:
                why = describe_exit(child.returncode)
                detail = _tail(log).strip() if log else ""
                raise Stop(f"{name} stopped unexpectedly ({why})." + (f" Its last lines ({log}):\n{detail}" if detail else ""))

    def stop(self) -> None:
        for child, _ in self.running.values():
            if child.poll() is None:
                child.terminate()
        for child, _ in self.running.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


# -- saving -----------------------------------------------------------------------------------------

class Saver(threading.Thread):
    """Saves .local/ in the background while the data changes; a failed save is retried."""

    def __init__(self, state: Any) -> None:
        super().__init__(name="saver", daemon=True)
        self.state = state
        self.changed = threading.Event()
        self.halt = threading.Event()
        self.last_error = ""

    def run(self) -> None:
        last = time.monotonic()
        while not self.halt.wait(SAVE_EVERY):
            if not self.changed.is_set() and time.monotonic() - last < SAVE_ANYWAY:
                continue
            self.changed.clear()
            try:
                self.state.save()
            except Exception as exc:
                self.changed.set()  # retried next round
                if str(exc) != self.last_error:
                    say(f"Could not save the data to {self.state.directory} (retrying every {SAVE_EVERY:.0f} s): {exc!r}")
                self.last_error = str(exc)
                continue
            if self.last_error:
                say("Data saved again.")
            self.last_error, last = "", time.monotonic()

    def finish(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join()


# -- the run ----------------------------------------------------------------------------------------

_stopping = False


def _on_signal(number: int, _: Any) -> None:
    global _stopping
    if _stopping:
        return  # make forwards a second SIGTERM: it must not cut the final save short
    _stopping = True
    raise KeyboardInterrupt


def _signing_key() -> str:
    path = STATE_DIR / "signing-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> None:
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    STATE_DIR.mkdir(exist_ok=True)
    children = Children()
    saver: Saver | None = None
    failed = True
    try:
        check_port(MOTO_PORT, "MOTO_PORT")
        check_port(PORT, "PORT")
        check_port(SMTP_PORT, "SMTP_PORT")
        saver = _start(children)
        _loop(children, saver)
    except KeyboardInterrupt:
        say("\nStopping …")
        failed = False
    except (Stop, NotServing) as stop:
        say(f"\n{stop}" + ("\nStopping the others …" if children.running else ""))
    except Exception:
        say("\nThe runner failed:\n" + traceback.format_exc())
    finally:
        global _stopping
        _stopping = True  # from here on, signals wait for the save
        _save_and_stop(children, saver)  # here: also when a signal lands while an `except` above runs
    if failed:
        raise SystemExit(1)


def _save_and_stop(children: Children, saver: Saver | None) -> None:
    if saver is not None:  # None: the data was not restored yet, and the last save stands
        saver.finish()
        try:
            saver.state.save()
            say(f"Data saved to {STATE_DIR}.")
        except Exception as exc:  # the stand-in may already be gone: the last periodic save stands
            say(f"Could not save the data on the way out ({exc!r}); the save from a few seconds ago is kept.")
    children.stop()


def _start(children: Children) -> Saver:
    env = {**os.environ, **local_environment()}
    os.environ.update(env)
    bin_dir = Path(sys.executable).parent
    print(f"Starting the AWS stand-in (moto) on 127.0.0.1:{MOTO_PORT} …", flush=True)
    moto = children.start("The AWS stand-in (moto)",
                          [sys.executable, "-m", "local.moto_server", "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
                          env, log=STATE_DIR / "moto.log")
    wait_http(f"http://127.0.0.1:{MOTO_PORT}/moto-api/relais/messages?limit=1", moto, "The AWS stand-in (moto)")

    sys.path.insert(0, str(ROOT))
    from local import resources
    from local.state import LocalState, recreate_timers

    resources.create_all("relais", "relais-files", env["RELAIS_SENDER_EMAIL"],
                         env["RELAIS_SIGNING_KEY_PARAMETER"], REGION, key=_signing_key())
    state = LocalState(STATE_DIR, "relais", env["AWS_ENDPOINT_URL"])
    if state.restore():
        print(f"Data restored from {STATE_DIR}.", flush=True)
        from chalicelib.data import directory, links, listing, week_plan

        # Saved by an older version: what the newer one derives (as `make upgrade-data` does).
        repaired, recorded = listing.rebuild_summaries(), links.record_key_versions()
        planned = week_plan.rebuild_plan()
        directory.grant_roles_to_managers()
        if repaired:
            print(f"Ticket lists rebuilt for {repaired} ticket(s).", flush=True)
        if planned:
            print(f"Week's plan written for {planned} ticket(s).", flush=True)
        if recorded:
            print(f"Signing-key version recorded on {recorded} older link(s).", flush=True)
        print(f"{recreate_timers()} pending timer(s) placed again.", flush=True)
    else:
        from local.seed import seed

        seed()
        print("Demo data created.", flush=True)

    print(f"Starting chalice local on 127.0.0.1:{PORT} …", flush=True)
    chalice = children.start("chalice local", [str(bin_dir / "chalice"), "local", "--host", "127.0.0.1", "--port",
                                               str(PORT), "--no-autoreload", "--stage", "local"], env)
    saver = Saver(state)  # started after the last fork: a child forked from one thread only
    saver.start()
    wait_http(f"http://127.0.0.1:{PORT}/admin/login", chalice, "chalice local")
    return saver


def _loop(children: Children, saver: Saver) -> None:
    import app as relais_app
    from chalicelib.dev import scheduler
    from local import resources, smtp
    from local.pump import Pump
    from local.seed import MANAGER_EMAIL

    pump = Pump(resources.stream_arn("relais"), relais_app.dispatch_outbox, relais_app.sweep_outbox,
                sweep_every=2.0, fire_due=scheduler.fire_due)
    base = f"http://127.0.0.1:{PORT}"
    smtp.start(relais_app.receive_email, SMTP_PORT)  # a daemon thread: it ends with the runner
    print("\nRelais is running.\n"
          f"  Admin:      {base}/admin/login   (sign in as {MANAGER_EMAIL})\n"
          f"  Dev outbox: {base}/dev/outbox    (every SMS and email, with their links)\n"
          f"  SMTP:       127.0.0.1:{SMTP_PORT}       (replies by email, as SES would receive them)\n"
          f"Ctrl-C stops everything; the data stays in {STATE_DIR} for the next `make run`.\n", flush=True)
    while True:
        children.check()
        try:
            if pump.run_once() > 0:
                saver.changed.set()
        except Exception as exc:
            raise Stop(f"The pump (stream → outbox dispatcher, sweep, timers) failed: {exc!r}\n"
                       + traceback.format_exc()) from exc
        time.sleep(0.5)


if __name__ == "__main__":
    main()
