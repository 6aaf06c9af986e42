"""The deployment package as Lambda runs it, offline: dist/deployment.zip unzipped, on the target
runtime's interpreter (infra/lambda_python.sh), with only boto3/botocore beside it (what the
runtime's /var/runtime provides), each function invoked through its template Handler with its
template memory size and timeout (infra/lambda_bootstrap.py). Used by tests/infra/test_package.py
and bench/package.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.build import CACHE, TARGET_VERSION, TARGET_WHEELS, functions_of, pip_install, target_python

BOOTSTRAP = Path(__file__).resolve().parent / "lambda_bootstrap.py"
RUNTIME_LIBRARIES = CACHE.parent / "lambda-runtime"


def runtime_libraries() -> Path:
    """boto3 and botocore (the build's versions) for the target interpreter, in their own folder,
    installed once: the stand-in for the runtime's /var/runtime."""
    import boto3
    import botocore

    folder = RUNTIME_LIBRARIES / f"boto3-{boto3.__version__}-botocore-{botocore.__version__}-py{TARGET_VERSION}"
    if not (folder / "boto3").is_dir():
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        pip_install(*TARGET_WHEELS, "--target", str(partial), f"boto3=={boto3.__version__}",
                    f"botocore=={botocore.__version__}")
        # The runtime's libraries come compiled, as on Lambda: compile them once with the target.
        subprocess.run([str(target_python()), "-m", "compileall", "-q", str(partial)], check=True)
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return folder


def unpack(zip_path: Path, task: Path) -> Path:
    """The zip as /var/task holds it."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    return task


@dataclass(frozen=True)
class Function:
    """One function of the template: what the Lambda service needs to run it."""

    logical_id: str
    name: str
    handler: str
    memory_mb: int
    timeout_s: int


def functions(template: dict[str, Any]) -> dict[str, Function]:
    """Function name (as in app.py; `api_handler` for the API) → its template settings."""
    globals_ = template.get("Globals", {}).get("Function", {})
    found = {}
    for logical, name in functions_of(template).items():
        properties = {**globals_, **template["Resources"][logical]["Properties"]}
        found[name] = Function(logical, name, str(properties["Handler"]), int(properties.get("MemorySize", 128)),
                               int(properties.get("Timeout", 3)))
    return found


def runtime_environment(function: Function, environment: dict[str, str]) -> dict[str, str]:
    """What the Lambda service sets for every function, plus the function's own variables."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": "/var/task", "_HANDLER": function.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{TARGET_VERSION}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only
            **environment}


def invoke(task: Path, function: Function, events: list[Any], environment: dict[str, str]) -> dict[str, Any]:
    """A cold start of `function` from the unzipped package, then one invocation per event.
    Returns {"init_ms", "invocations": [{"result", "ms"}], "version", "modules", "logs"}."""
    with tempfile.TemporaryDirectory(prefix="relais-invoke-") as tmp:
        request, result = Path(tmp) / "request.json", Path(tmp) / "result.json"
        request.write_text(json.dumps({"handler": function.handler, "function_name": function.name,
                                       "memory_mb": function.memory_mb, "timeout_s": function.timeout_s,
                                       "events": events}, default=_json_default))
        env = {**runtime_environment(function, environment), "PYTHONPATH": f"{task}{os.pathsep}{runtime_libraries()}"}
        run = subprocess.run([str(target_python()), str(BOOTSTRAP), str(request), str(result)], cwd=tmp, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
        if run.returncode != 0:
            raise RuntimeError(f"{function.name} failed on the target runtime:\n{run.stderr[-3000:]}")
        outcome: dict[str, Any] = json.loads(result.read_text())
    outcome["logs"] = run.stdout
    return outcome


def _json_default(value: Any) -> Any:
    """What Lambda's event JSON holds where boto3 gives Python objects (stream record times, binaries)."""
    import base64
    from datetime import datetime

    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON: {type(value).__name__}")
