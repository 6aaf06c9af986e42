"""The page judges: axe-core, Lighthouse (mobile) and the Nu HTML Checker, on pages a browser test
leaves in each state.

A test calls `Judges.capture(page, name)` at each state, and the page is judged as it is then (a
contractor's link shows the ticket's current state, so it cannot wait): axe-core runs in the page (as the
user sees it), Lighthouse loads its address in its own Chromium (with the page's cookies; a GET changes
nothing), and the HTML the server sent is saved. `Judges.judge()` then runs the Nu HTML Checker once on
every saved file (one JVM). Lighthouse runs in one Node process and one Chromium for the whole test
(tests/browser/lighthouse_runner.mjs). The npm packages come from package.json/package-lock.json
(`make judges-deps`). Everything lands in test-results/judges/: HTML, screenshots, verdicts.json."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
NODE_MODULES = ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE_RUNNER = Path(__file__).with_name("lighthouse_runner.mjs")
NODE = "/usr/bin/node"
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Verdict:
    """What the judges found on one page."""

    name: str
    url: str
    axe: list[dict[str, Any]] = field(default_factory=list)  # violations: id, impact, help, nodes' targets
    html_errors: list[str] = field(default_factory=list)  # the Nu HTML Checker's errors, "line: message"
    lighthouse: dict[str, Any] = field(default_factory=dict)  # category → {score, failing: [{id, title, ...}]}
    performance_runs: list[float] = field(default_factory=list)


class Judges:
    def __init__(self, out_dir: Path) -> None:
        missing = [str(p) for p in (AXE, VNU, NODE_MODULES / "lighthouse") if not p.exists()]
        assert not missing, f"the judges are not installed ({', '.join(missing)}): run `make judges-deps`"
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.verdicts: dict[str, Verdict] = {}
        self._runner: subprocess.Popen[str] | None = None  # the Lighthouse runner, started by the first capture

    def capture(self, page: Any, name: str) -> None:
        """Judge `page` as it is now (see the module's docstring)."""
        assert name not in self.verdicts, f"two pages named {name!r}"
        page.wait_for_load_state("load")
        verdict = Verdict(name=name, url=page.url)
        verdict.axe = self._axe(page)
        page.screenshot(path=str(self.out_dir / f"{name}.png"), full_page=True)  # to look at; ignored by git
        served = page.context.request.get(page.url)  # the same cookies; GET changes nothing
        assert served.ok, f"{name}: GET {page.url} answered {served.status}"
        (self.out_dir / f"{name}.html").write_bytes(served.body())
        cookies = page.context.cookies(page.url)
        headers = {"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies)} if cookies else {}
        result = self._lighthouse({"name": name, "url": page.url, "headers": headers})
        assert "error" not in result, f"{name}: Lighthouse failed: {result.get('error')}"
        verdict.lighthouse, verdict.performance_runs = result["categories"], result["performanceRuns"]
        self.verdicts[name] = verdict

    def judge(self) -> dict[str, Verdict]:
        self.close()
        self._check_html()
        (self.out_dir / "verdicts.json").write_text(
            json.dumps({name: asdict(v) for name, v in self.verdicts.items()}, ensure_ascii=False, indent=1), encoding="utf-8")
        return self.verdicts

    def close(self) -> None:
        if self._runner is not None:
            assert self._runner.stdin is not None
            self._runner.stdin.close()  # the runner ends with its input and closes its Chromium
            try:
                self._runner.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._runner.kill()
                self._runner.wait(timeout=10)
            self._runner = None

    @staticmethod
    def _axe(page: Any) -> list[dict[str, Any]]:
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")  # evaluated as DevTools does: no CSP applies
        # axe reads colours where elements are drawn: below the fold it cannot, and leaves contrast unchecked.
        # A window as tall as the page puts every element in view (same width, so the same layout).
        viewport = page.viewport_size
        page.set_viewport_size({"width": viewport["width"],
                                "height": max(viewport["height"], page.evaluate("document.documentElement.scrollHeight"))})
        try:
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        finally:
            page.set_viewport_size(viewport)
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "targets": [node["target"] for node in v["nodes"]][:5]} for v in result["violations"]]

    def _lighthouse(self, page: dict[str, Any]) -> dict[str, Any]:
        if self._runner is None:
            self._runner = subprocess.Popen([NODE, str(LIGHTHOUSE_RUNNER)], cwd=ROOT, text=True, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, env={**os.environ, "CHROME_PATH": CHROMIUM})
        assert self._runner.stdin is not None and self._runner.stdout is not None
        self._runner.stdin.write(json.dumps(page) + "\n")
        self._runner.stdin.flush()
        for line in self._runner.stdout:
            if line.startswith("RESULT "):
                return dict(json.loads(line.removeprefix("RESULT ")))
        raise AssertionError(f"the Lighthouse runner stopped (exit {self._runner.wait()}) before judging {page['name']}")

    def _check_html(self) -> None:
        files = [str(self.out_dir / f"{name}.html") for name in self.verdicts]
        done = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--errors-only", *files],
                              capture_output=True, text=True, timeout=300)
        messages = json.loads(done.stderr or '{"messages": []}')["messages"]  # vnu reports on stderr
        for message in messages:
            name = Path(message.get("url", "").removeprefix("file:")).stem
            self.verdicts[name].html_errors.append(f"{message.get('lastLine', '?')}: {message['message']}")
