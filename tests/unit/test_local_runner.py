"""`make run`'s runner: a port in use names its variable, and children never outlive a kill -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from local import run
from local.harness import wait_until


def test_a_port_in_use_names_the_variable_and_who_holds_it() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(run.Stop) as stopped:
            run.check_port(port, "MOTO_PORT")
    assert f"Port {port} (MOTO_PORT) is already in use" in str(stopped.value)
    assert f"process {os.getpid()}" in str(stopped.value) and f"MOTO_PORT={port + 1}" in str(stopped.value)


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_child_dies_with_the_runner_even_on_kill_9() -> None:
    runner = subprocess.Popen([sys.executable, "-c", (
        "import os, sys, time; from local.run import Children\n"
        "child = Children().start('sleeper', ['sleep', '60'], dict(os.environ))\n"
        "print(child.pid, flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert runner.stdout is not None
    child = int(runner.stdout.readline())
    assert _alive(child)

    os.killpg(runner.pid, signal.SIGKILL)  # the child is in a session of its own: only the kernel can stop it
    runner.wait()

    wait_until(f"the child {child} gone", lambda: not _alive(child), 10, every=0.05)


def test_a_child_that_stops_is_named_with_its_reason() -> None:
    children = run.Children()
    children.start("The AWS stand-in (moto)", [sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"], dict(os.environ))
    children.running["The AWS stand-in (moto)"][0].wait()
    with pytest.raises(run.Stop, match=r"The AWS stand-in \(moto\) stopped unexpectedly \(killed by SIGKILL\)"):
        children.check()
