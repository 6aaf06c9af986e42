"""The deployment zip: templates inside, compiled bytecode the 3.11 runtime uses, no botocore,
and the app imports and renders from the unzipped folder alone (plus what the runtime has)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from infra.build import RUNTIME_PROVIDED

TARGET_BYTES = 20 * 1024 * 1024


def test_zip_holds_the_templates_and_unchecked_hash_bytecode(package_dir: Path) -> None:
    archive = zipfile.ZipFile(package_dir / "deployment.zip")
    names = set(archive.namelist())
    assert "app.py" in names and "templates/admin/login.html" in names
    assert "templates/messages/intervention_request.email.html" in names
    tag = sys.implementation.cache_tag
    assert tag == "cpython-311"
    for module in ("app", "chalicelib/rendering", "chalicelib/dispatcher", "jinja2/environment"):
        pyc = f"{Path(module).parent}/__pycache__/{Path(module).name}.{tag}.pyc".removeprefix("./")
        header = archive.read(pyc)[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source not checked
    assert not any(n.split("/")[0].split("-")[0].lower() in RUNTIME_PROVIDED for n in names)
    # Every page and message also comes as a compiled template module, with its bytecode.
    templates = [n for n in names if n.startswith("templates/") and n.endswith((".html", ".txt"))]
    compiled = [n for n in names if n.startswith("compiled_templates/tmpl_") and n.endswith(".py")]
    compiled_pyc = [n for n in names if n.startswith("compiled_templates/__pycache__/tmpl_") and n.endswith(f".{tag}.pyc")]
    assert len(templates) >= 60 and len(compiled) == len(compiled_pyc) == len(templates)
    assert (package_dir / "deployment.zip").stat().st_size <= TARGET_BYTES


RENDER = """
import json, sys
import jinja2
import app
from chalicelib import messages, rendering
from chalicelib.models import Ticket
assert app.__file__.startswith(sys.argv[1]), app.__file__
assert rendering.__cached__ and 'botocore' in sys.modules
def parsing(*args, **kwargs):
    raise AssertionError("a template was compiled at run time")
jinja2.Environment.compile = parsing  # the package's templates come compiled
page = rendering.render("admin/login.html", session=None, errors={}, email="")
params = {"reference": "2026-00001", "title": "Fuite", "description": "Fuite au lot 12.", "site_address": "14 rue des Lilas",
          "access_notes": "", "urgency": "urgent", "request_kind": "intervention", "contractor_name": "Karim",
          "manager_name": "Claire", "planned_date": None, "planned_time": None, "link_number": 1}
email = messages.render_email("intervention_request", "fr", params, "https://relais.example.fr/t/X/Y")
sms = messages.render_sms("intervention_request", "fr", params, "https://relais.example.fr/t/X/Y")
print(json.dumps({"page": page, "subject": email.subject, "html": email.html, "sms": sms,
                  "loader": type(rendering.environment().loader).__name__}))
"""


def test_the_app_imports_and_renders_from_the_unzipped_package(package_dir: Path, tmp_path: Path) -> None:
    task = tmp_path / "task"
    zipfile.ZipFile(package_dir / "deployment.zip").extractall(task)
    # What the Lambda runtime adds (/var/runtime): boto3 and botocore with their dependencies.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    import boto3

    site = Path(boto3.__file__).parent.parent
    for entry in site.iterdir():
        if entry.name.split("-")[0].split(".")[0].lower() in RUNTIME_PROVIDED:
            (runtime / entry.name).symlink_to(entry)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": f"{task}{os.pathsep}{runtime}", "AWS_DEFAULT_REGION": "eu-west-3",
           "PYTHONDONTWRITEBYTECODE": "1", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-S", "-c", RENDER, str(task)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "<form" in out["page"]
    assert "Fuite" in out["subject"] and "https://relais.example.fr/t/X/Y" in out["html"]
    assert "https://relais.example.fr/t/X/Y" in out["sms"]
    # Templates come precompiled, from their bytecode: no Jinja2 parsing on a cold start.
    assert out["loader"] == "ModuleLoader"
