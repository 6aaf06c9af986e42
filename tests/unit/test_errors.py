"""Exceptions that cross modules live in chalicelib/domain/errors.py; the others stay private to theirs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chalicelib.domain import errors

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def _exception_classes(tree: ast.Module) -> list[str]:
    """Public ones: a module's own `_Private` exceptions may share a name with another's."""
    return [node.name for node in tree.body if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
            and any(isinstance(base, ast.Name) and base.id.endswith(("Exception", "Error")) for base in node.bases)]


def test_an_exception_used_by_another_module_is_defined_in_errors() -> None:
    sources = {path: path.read_text(encoding="utf-8") for path in CHALICELIB.rglob("*.py")}
    crossing = []
    for path, source in sources.items():
        if path.name == "errors.py":
            continue
        for name in _exception_classes(ast.parse(source)):
            users = [other.relative_to(CHALICELIB) for other, text in sources.items()
                     if other != path and re.search(rf"\b{name}\b", text)]
            if users:
                crossing.append(f"{path.relative_to(CHALICELIB)}: {name} used by {users}")
    assert crossing == []


def test_errors_is_pure_python() -> None:
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "typing", "chalicelib.domain.lifecycle"}  # the last for type hints only
