"""The deployment package (`make bench-package`): the zipped size and what dominates it, the
cold import of the packaged app on the target runtime (CPython 3.13, as Lambda runs the unzipped
zip) ÷ `import boto3` on the same interpreter, what shipping the bytecode saves, and the AWS cost
of 1,000 full lifecycles (bench/cost.py).

    .venv/bin/python -m bench.package [dist/deployment.zip]

Builds the package first when the zip is missing. Target: 20 MB zipped.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_BYTES = 20 * 1024 * 1024
TOP = 12


def report(zip_path: Path) -> str:
    compressed: Counter[str] = Counter()
    raw: Counter[str] = Counter()
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            compressed[top] += info.compress_size
            raw[top] += info.file_size
    size = zip_path.stat().st_size
    verdict = "PASS" if size <= TARGET_BYTES else "FAIL"
    lines = [f"deployment.zip: {size / 1e6:.2f} MB zipped, {sum(raw.values()) / 1e6:.2f} MB unzipped "
             f"(target <= {TARGET_BYTES / 2**20:.0f} MiB zipped): {verdict}", "", "| entry | zipped | unzipped |",
             "|---|---|---|"]
    lines += [f"| {name} | {compressed[name] / 1e6:.2f} MB | {raw[name] / 1e6:.2f} MB |"
              for name, _ in compressed.most_common(TOP)]
    return "\n".join(lines)


IMPORT_RUNS = 9
_TIMED_IMPORT = ("import time\nt0, c0 = time.perf_counter(), time.process_time()\nimport {module}\n"
                 "print(time.perf_counter() - t0, time.process_time() - c0)\n")


def _timed_import(python: Path, module: str, path: list[Path]) -> float:
    """CPU seconds of one `import module` in a fresh target interpreter (a Lambda cold start's init)."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(map(str, path)), "PYTHONDONTWRITEBYTECODE": "1",
           "AWS_DEFAULT_REGION": "eu-west-3", "POWERTOOLS_LOG_LEVEL": "WARNING", "TZ": ":UTC"}
    result = subprocess.run([str(python), "-c", _TIMED_IMPORT.format(module=module)], env=env, cwd=path[0],
                            capture_output=True, text=True, timeout=120, check=True)
    return float(result.stdout.split()[-1])


def cold_imports(zip_path: Path) -> str:
    """`import app` from the unzipped package (with and without its bytecode) ÷ `import boto3`,
    fresh 3.13 interpreters, /var/task read-only (no bytecode written), runs interleaved, CPU medians."""
    from infra import as_lambda
    from infra.build import target_python

    python, runtime = target_python(), as_lambda.runtime_libraries()
    with tempfile.TemporaryDirectory(prefix="relais-bench-package-") as tmp:
        shipped = as_lambda.unpack(zip_path, Path(tmp) / "task")
        bare = Path(tmp) / "task-without-bytecode"
        shutil.copytree(shipped, bare, ignore=shutil.ignore_patterns("__pycache__"))
        variants = {"import boto3": ("boto3", [shipped, runtime]),
                    "import app, bytecode shipped": ("app", [shipped, runtime]),
                    "import app, no bytecode": ("app", [bare, runtime])}
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(IMPORT_RUNS):
            for name, (module, path) in variants.items():
                runs[name].append(_timed_import(python, module, path))
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True, check=True).stdout.strip()
    median = {name: statistics.median(values) for name, values in runs.items()}
    boto3_ms, app_ms, bare_ms = (median[name] * 1000 for name in variants)
    from bench.cost import LAMBDA_PER_GB_SECOND, memory_sizes

    api_gb = memory_sizes()["api_handler"] / 1024  # the init phase is billed like the handler (since 2025-08-01)
    per_thousand = (bare_ms - app_ms) / 1000 * api_gb * LAMBDA_PER_GB_SECOND * 1000
    return "\n".join([
        f"cold import on the target runtime (CPython {version}, the unzipped zip + boto3/botocore only, "
        f"CPU median of {IMPORT_RUNS}, interleaved):",
        f"  import boto3                  : {boto3_ms:6.0f} ms",
        f"  import app, bytecode shipped  : {app_ms:6.0f} ms   ÷ import boto3 = {app_ms / boto3_ms:.2f}",
        f"  import app, no bytecode       : {bare_ms:6.0f} ms   ÷ import boto3 = {bare_ms / boto3_ms:.2f}"
        f"   (not shipping it costs every cold start {bare_ms - app_ms:.0f} ms, x{bare_ms / app_ms:.1f})",
        f"  shipping the bytecode: +{_bytecode_bytes(zip_path) / 1e6:.2f} MB zipped; it saves {bare_ms - app_ms:.0f} ms "
        f"on each API cold start (the user waits for it) and {per_thousand:.4f} USD per 1,000 cold starts at "
        f"{api_gb * 1024:.0f} MB",
    ])


def _bytecode_bytes(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as archive:
        return sum(info.compress_size for info in archive.infolist() if info.filename.endswith(".pyc"))


def main() -> None:
    zip_path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / "deployment.zip"
    if not zip_path.exists():
        from infra import build

        build.build("prod", zip_path.parent)
    print(report(zip_path))
    print()
    print(cold_imports(zip_path))
    print()
    from bench import cost

    cost.main()
    from bench import dispatcher_invocations

    print("\n" + dispatcher_invocations.report())


if __name__ == "__main__":
    main()
