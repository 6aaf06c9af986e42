"""`make package STAGE=prod`: the deployable SAM template and zip, built offline-ish.

    .venv/bin/python -m infra.build --stage prod --out dist

The functions run on Lambda's python3.13 runtime (python3.11 is deprecated since 2026-06-30) while
this machine builds with Python 3.11, so nothing in the zip comes from the build interpreter:

1. Stages a copy of what Lambda runs (app.py, chalicelib/, .chalice/ with the policy files) plus
   `vendor/templates` (Chalice puts vendor/'s contents at the zip root, where
   chalicelib/i18n/rendering.py looks for templates/), with an empty requirements.txt: Chalice would
   pick wheels for the interpreter it runs on. The working tree is never touched, so builds can
   run while others work in it.
2. `chalice package` once to learn which functions the app has and their logical ids.
3. Writes the merge template: infra/template.yml, plus for each function its fixed name
   (relais-<Stage>-<name>), runtime, log group, and infra/functions.yml entry; plus the dashboard.
4. `chalice package --merge-template` for real.
5. Rewrites the zip: adds requirements.txt's wheels for the target (`pip install --python-version
   3.13 --platform manylinux2014_x86_64 --only-binary=:all:`: MarkupSafe's speedups are the only
   compiled part), without what the Lambda Python runtime already has (boto3, botocore and their
   dependencies), compiles the Jinja2 templates to Python modules (`compiled_templates/`, which
   chalicelib/i18n/rendering.py prefers), and adds bytecode compiled by the target's own interpreter
   (infra/lambda_python.sh) with `--invalidation-mode unchecked-hash`: /var/task is read-only, so
   without it every cold start compiles our modules again; unchecked hash-based pycs are used
   without even a stat. 3.11 bytecode would be ignored by 3.13: none is shipped.

Wheels go through pip's cache and Chalice's dependency zips are cached under
.local/package-cache/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
CACHE = ROOT / ".local" / "package-cache"
RUNTIME = "python3.13"
TARGET_VERSION = "3.13"
TARGET_PLATFORM = "manylinux2014_x86_64"
TARGET_CACHE_TAG = "cpython-313"
TARGET_WHEELS = ("--only-binary=:all:", "--implementation", "cp", "--python-version", TARGET_VERSION,
                 "--platform", TARGET_PLATFORM)
LOG_RETENTION_DAYS = 30

# Provided by the Lambda Python runtime (/var/runtime): botocore alone is 16 MB zipped.
# Dropped together so the runtime's botocore runs with its own urllib3/dateutil/jmespath.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "python_dateutil", "six",
                    "urllib3")


def load_yaml(path: Path) -> Any:
    """CloudFormation YAML (with !Ref, !Sub, ...) as plain JSON-able data."""
    from cfnlint.decode import cfn_yaml

    return json.loads(json.dumps(cfn_yaml.loads(path.read_text(), str(path))))


def chalice_config(stage: str) -> dict[str, Any]:
    """.chalice/config.json for a deployed stage. Every deployed stage is the same stack: the
    policies, memory and timeouts are the config's top level (Chalice applies them to every
    stage); only the API stage's name is the stage's own. The environment is the template's
    (Globals), so no stage can miss a variable."""
    if stage == "local":
        raise SystemExit("the local stage has the dev pages (every SMS and email): it is never deployed")
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["stages"] = {stage: {"api_gateway_stage": stage}}
    return dict(config)


def _stage_project(stage_dir: Path, stage: str) -> None:
    def ignore(_: str, names: list[str]) -> set[str]:
        # .po catalogs are the translators' source: Lambda reads the compiled .mo beside them.
        return {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".po"))}

    shutil.copy2(ROOT / "app.py", stage_dir / "app.py")
    (stage_dir / "requirements.txt").write_text("# the target's wheels are added by rewrite_zip\n")
    shutil.copytree(ROOT / "chalicelib", stage_dir / "chalicelib", ignore=ignore)
    (stage_dir / ".chalice").mkdir()
    for item in (ROOT / ".chalice").iterdir():
        if item.name.startswith("policy-") and item.suffix == ".json":
            shutil.copy2(item, stage_dir / ".chalice" / item.name)
    (stage_dir / ".chalice" / "config.json").write_text(json.dumps(chalice_config(stage), indent=2))
    shutil.copytree(ROOT / "templates", stage_dir / "vendor" / "templates", ignore=ignore)
    deployments = CACHE / "deployments"
    deployments.mkdir(parents=True, exist_ok=True)
    (stage_dir / ".chalice" / "deployments").symlink_to(deployments)


def target_python() -> Path:
    """The target runtime's interpreter (infra/lambda_python.sh installs it once, in ~20 s)."""
    found = subprocess.run(["bash", str(INFRA / "lambda_python.sh")], check=True, capture_output=True, text=True)
    return Path(found.stdout.strip().splitlines()[-1])


def pip_install(*arguments: str) -> None:
    """pip, quiet unless it fails (its warnings about unused find-links would bury the build's line)."""
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check",
                             *arguments], env={**os.environ, "PIP_CACHE_DIR": str(CACHE / "pip")},
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")


def _install_dependencies(tree: Path) -> None:
    """requirements.txt's wheels as the target runtime needs them, not as this interpreter would."""
    pip_install(*TARGET_WHEELS, "--target", str(tree), "-r", str(ROOT / "requirements.txt"))
    shutil.rmtree(tree / "bin", ignore_errors=True)  # console scripts: nothing on Lambda runs them


def _compile_for_target(tree: Path) -> None:
    subprocess.run([str(target_python()), "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
                    "-s", str(tree), "-p", "/var/task", str(tree)], check=True)
    stray = [p for p in tree.rglob("*.pyc") if not p.name.endswith(f".{TARGET_CACHE_TAG}.pyc")]
    assert not stray, f"bytecode the target runtime would ignore: {stray[:3]}"


def _prune_cache(keep: int = 4) -> None:
    zips = sorted((CACHE / "deployments").glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in zips[keep:]:
        old.unlink()


def _chalice_package(stage_dir: Path, stage: str, out: Path, merge: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "PIP_CACHE_DIR": str(CACHE / "pip"), "AWS_DEFAULT_REGION": os.environ.get(
        "AWS_DEFAULT_REGION", "eu-west-3"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [str(Path(sys.executable).parent / "chalice"), "--project-dir", str(stage_dir), "package",
               "--stage", stage, "--pkg-format", "cloudformation"]
    if merge is not None:
        command += ["--merge-template", str(merge)]
    subprocess.run([*command, str(out)], check=True, env=env, cwd=stage_dir, stdout=subprocess.DEVNULL)
    return dict(json.loads((out / "sam.json").read_text()))


def functions_of(template: dict[str, Any]) -> dict[str, str]:
    """Logical id → function name (the handler's name in app.py; `api_handler` for the API)."""
    return {logical: "api_handler" if logical == "APIHandler" else str(resource["Properties"]["Handler"]).split(".", 1)[1]
            for logical, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"}


def _name(function: str) -> dict[str, str]:
    return {"Fn::Sub": f"relais-${{Stage}}-{function}"}


def _throttles_alarm(function: str) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": f"{function} was throttled (its reserved concurrency or the account's "
                            "limit was reached): requests answered 502/429 or events delayed.",
        "Namespace": "AWS/Lambda", "MetricName": "Throttles",
        "Dimensions": [{"Name": "FunctionName", "Value": _name(function)}],
        "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}]}}


def _unknown_paths(resources: dict[str, Any]) -> None:
    """No unknown path gets API Gateway's `{"message": "Missing Authentication Token"}` (a 403 it sends
    itself, before Lambda): the greedy `/{proxy+}` route (chalicelib/web/not_found.py) takes every path
    no other resource matches, here with its path parameter declared; and a known path asked with a
    method it lacks, which API Gateway still answers alone, gets the app's 404 page instead (in French,
    the product's language: API Gateway cannot read the browser's). The page is the app's template,
    rendered here; it holds no `$` or `#`, which the response template language would read."""
    from chalicelib.web.not_found import GREEDY, METHODS

    proxy = [{"name": "proxy", "in": "path", "required": True, "type": "string"}]
    # Into template.yml's RestAPI (its access logs, throttling and checkov notes stay): Chalice merges
    # this with the API it generates.
    api = resources.setdefault("RestAPI", {}).setdefault("Properties", {})
    api.setdefault("DefinitionBody", {}).setdefault("paths", {})[GREEDY] = {
        method.lower(): {"parameters": proxy} for method in METHODS}
    from chalicelib.i18n import rendering

    page = rendering.render("not_found.html", "fr")
    resources["UnknownPathResponse"] = {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseParameters": {"gatewayresponse.header.Content-Type": "'text/html; charset=utf-8'",
                                   "gatewayresponse.header.Cache-Control": "'no-store'",
                                   "gatewayresponse.header.X-Content-Type-Options": "'nosniff'"},
            "ResponseTemplates": {"application/json": page, "text/html": page},
        },
    }


def merge_template(functions: dict[str, str], stage: str = "prod") -> dict[str, Any]:
    template = load_yaml(INFRA / "template.yml")
    extras = load_yaml(INFRA / "functions.yml")
    parameters = template["Parameters"]
    # The package is built for one stage (its API stage, RELAIS_STAGE): the stack cannot say another.
    parameters["Stage"].update({"Default": stage, "AllowedValues": [stage]})
    parameters["SigningKeyParameter"]["Default"] = f"/relais/{stage}/signing-key"
    resources = template["Resources"]
    every_function_skips = extras.pop("EveryFunction")["Metadata"]["checkov"]["skip"]
    for logical, function in sorted(functions.items()):
        patch = json.loads(json.dumps(extras.get(logical, {"Properties": {}})))
        properties = patch.setdefault("Properties", {})
        properties["FunctionName"] = _name(function)
        properties["Runtime"] = RUNTIME  # Chalice writes the runtime of the interpreter it runs on
        patch["DependsOn"] = [f"{logical}LogGroup"]
        skips = patch.setdefault("Metadata", {}).setdefault("checkov", {}).setdefault("skip", [])
        skips[:0] = every_function_skips
        resources[logical] = patch
        resources[f"{logical}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Metadata": resources["ApiAccessLogs"]["Metadata"],
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/relais-${{Stage}}-{function}"},
                           "RetentionInDays": LOG_RETENTION_DAYS},
        }
        resources[f"{logical}ThrottlesAlarm"] = _throttles_alarm(function)
    _unknown_paths(resources)
    from infra.dashboard import dashboard_body

    resources["Dashboard"] = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": {"Fn::Sub": "relais-${Stage}"},
                       "DashboardBody": {"Fn::Sub": json.dumps(dashboard_body(sorted(functions.values())))}},
    }
    return template


def _write_zip(source: Path, target: Path) -> None:
    """A reproducible zip of `source`: sorted entries, fixed times and modes."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(str(path.relative_to(source)), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)


def rewrite_zip(zip_path: Path) -> dict[str, int]:
    """Add the target's wheels but the runtime-provided ones, compile the templates, add the
    target's unchecked-hash bytecode."""
    from chalicelib.i18n import rendering

    with tempfile.TemporaryDirectory(prefix="relais-zip-") as tmp:
        tree = Path(tmp) / "task"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(tree)
        _install_dependencies(tree)
        dropped = 0
        for entry in list(tree.iterdir()):
            base = entry.name.split("-", 1)[0] if "-" in entry.name else entry.stem  # pkg-1.0.dist-info/.data
            if base.lower() in RUNTIME_PROVIDED:
                dropped += 1
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        rendering.compile_all(tree / "templates", tree / rendering.COMPILED_DIR.name)
        _compile_for_target(tree)
        _write_zip(tree, zip_path)
    return {"dropped": dropped}


def build(stage: str, out: Path) -> Path:
    started = time.monotonic()
    out = out.resolve()
    with tempfile.TemporaryDirectory(prefix="relais-package-") as tmp:
        stage_dir = Path(tmp) / "project"
        stage_dir.mkdir()
        _stage_project(stage_dir, stage)
        first = _chalice_package(stage_dir, stage, Path(tmp) / "first")
        merge = Path(tmp) / "merge.json"
        merge.write_text(json.dumps(merge_template(functions_of(first), stage), indent=1))
        if out.exists():
            shutil.rmtree(out)
        _chalice_package(stage_dir, stage, out, merge)
    rewrite_zip(out / "deployment.zip")
    _prune_cache()
    size = (out / "deployment.zip").stat().st_size
    print(f"packaged {out / 'sam.json'} and deployment.zip ({size / 1e6:.2f} MB) in {time.monotonic() - started:.1f} s")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=str(ROOT / "dist"))
    args = parser.parse_args(argv)
    build(args.stage, Path(args.out))


if __name__ == "__main__":
    main()
