"""Every DynamoDB key format lives in chalicelib/data/keys.py: no other module writes one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chalicelib.data import keys

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
# A key's shape: an upper-case prefix before `#` ("TICKET#", "LIST#ALL"), or `#` joining values ("{a}#{b}").
PREFIX = re.compile(r"[A-Z_]#")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def key_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string literal shaped like a key, docstrings aside."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    skipped = _docstrings(tree) | {id(piece) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                                   for piece in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # f"TICKET#{x}", f"{a}#{b}"
            pieces = node.values
            for index, piece in enumerate(pieces):
                if not (isinstance(piece, ast.Constant) and isinstance(piece.value, str)):
                    continue
                joins_a_value = piece.value.endswith("#") and index + 1 < len(pieces)
                if PREFIX.search(piece.value) or joins_a_value:
                    found.append((node.lineno, ast.unparse(node)))
                    break
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            if PREFIX.search(node.value):
                found.append((node.lineno, node.value))
    return found


def test_no_module_but_keys_writes_a_key_format() -> None:
    offenders = [f"{path.relative_to(CHALICELIB)}:{line}: {text}"
                 for path in sorted(CHALICELIB.rglob("*.py")) if path.name != "keys.py"
                 for line, text in key_literals(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_check_sees_each_way_of_writing_a_key() -> None:
    source = '''
def f(ticket_id, reason, since):
    """Docstrings may name `TICKET#<id>`."""
    a = f"TICKET#{ticket_id}"
    b = "ATTENTION#delivery_failed"
    c = f"{reason}#{since}#{ticket_id}"
    d = ("LIST#", "ATTENTION#")
    e = f"/admin/tickets/{ticket_id}#events"  # an anchor, not a key
    return a, b, c, d, e
'''
    assert [line for line, _ in key_literals(source)] == [4, 5, 6, 7, 7]


def test_keys_of_secrets_and_of_what_limits_count_hold_only_a_hash() -> None:
    secret, address = "s3cret-link-value", "claire.martin@gestion-demo.fr"
    assert secret not in keys.login_pk(secret) and secret not in keys.session_sk(secret)
    assert address not in keys.window_pk(keys.LOGINS_BY_ADDRESS, address, 42)
    assert address not in keys.upload_grants_pk(f"manager:{address}")
    assert keys.login_pk(secret) == keys.login_pk(secret) != keys.login_pk(secret + "x")
