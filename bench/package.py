"""Deployment package size: the zipped size and what dominates it (`make bench-package`).

    .venv/bin/python -m bench.package [dist/deployment.zip]

Builds the package first when the zip is missing. Target: 20 MB zipped.
"""

from __future__ import annotations

import sys
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


def main() -> None:
    zip_path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / "deployment.zip"
    if not zip_path.exists():
        from infra import build

        build.build("prod", zip_path.parent)
    print(report(zip_path))
    from bench import dispatcher_invocations

    print("\n" + dispatcher_invocations.report())


if __name__ == "__main__":
    main()
