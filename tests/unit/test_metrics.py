"""Every event type the product writes has exactly one dashboard metric.

The event types are read from the code, not copied: every `changes.transition` (its lifecycle
action's name, or the event type it names), `changes.new_event` and `Event(...)` call in
chalicelib/. A new event type without a metric fails here; so does a call whose event type
cannot be told from the code (make it a literal, a module constant or an `Action`).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

from chalicelib.domain.lifecycle import Action
from chalicelib.outbox import metrics
from chalicelib.usecases import changes

CHALICELIB = Path(changes.__file__).parents[1]


def _position(function: object, name: str) -> int | None:
    """Where the argument `name` sits in a call, or None when it can only be passed by keyword."""
    parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    return None if parameters[name].kind is inspect.Parameter.KEYWORD_ONLY else list(parameters).index(name)


# (called name, position of the action argument or None, position of the event type argument or None)
WRITERS = {
    "transition": (_position(changes.transition, "action"), _position(changes.transition, "event_type")),
    "new_event": (None, _position(changes.new_event, "event_type")),
    "Event": (None, None),  # keyword only
}


def test_a_transition_names_everything_after_view_who_and_action() -> None:
    """Calls read `event_type=…`, `submission_id=…`: no twelfth positional argument to count."""
    parameters = list(inspect.signature(changes.transition).parameters.values())
    assert [p.name for p in parameters[:3]] == ["view", "who", "action"]
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters[:3])
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[3:])
    assert WRITERS["transition"][1] is None  # the event type is always named where it is given


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


class _Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(), str(path))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    def enclosing_functions(self, node: ast.AST) -> Iterator[ast.FunctionDef]:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                yield node

    def where(self, node: ast.AST) -> str:
        return f"{self.path.name}:{getattr(node, 'lineno', '?')}"

    def values(self, expr: ast.expr) -> set[str]:
        """Every string `expr` can be at run time, from literals, Action members, constants,
        local assignments and, for a parameter, the arguments of every call of its function."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "Action":
            return {Action[expr.attr].value}
        if isinstance(expr, ast.IfExp):
            return self.values(expr.body) | self.values(expr.orelse)
        if isinstance(expr, ast.Name):
            return self._name_values(expr)
        raise AssertionError(f"{self.where(expr)}: cannot tell which event type {ast.unparse(expr)!r} writes")

    def _name_values(self, name: ast.Name) -> set[str]:
        for function in self.enclosing_functions(name):
            assigned = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == name.id for t in n.targets)]
            if assigned:
                return set().union(*(self.values(value) for value in assigned))
            parameters = [a.arg for a in function.args.args]
            if name.id in parameters:
                calls = [c for c in ast.walk(self.tree) if isinstance(c, ast.Call) and _called_name(c) == function.name]
                assert calls, f"{self.where(name)}: {function.name} is never called here"
                return set().union(*(self.values(_argument(c, parameters.index(name.id), name.id) or name)
                                     for c in calls))
        constants = [n.value for n in self.tree.body if isinstance(n, ast.Assign)
                     and any(isinstance(t, ast.Name) and t.id == name.id for t in n.targets)]
        assert constants, f"{self.where(name)}: cannot tell which event type {name.id!r} writes"
        return set().union(*(self.values(value) for value in constants))

    def event_types(self) -> set[str]:
        found: set[str] = set()
        for call in ast.walk(self.tree):
            if not isinstance(call, ast.Call) or _called_name(call) not in WRITERS:
                continue
            if any(f.name in WRITERS for f in self.enclosing_functions(call)):
                continue  # transition's own new_event: its callers say what it writes
            action_at, type_at = WRITERS[str(_called_name(call))]
            written = _argument(call, type_at, "event_type")
            if written is None and action_at is not None:
                written = _argument(call, action_at, "action")
            if written is not None:
                found |= self.values(written)
        return found


def written_event_types() -> set[str]:
    return set().union(*(_Module(path).event_types() for path in sorted(CHALICELIB.rglob("*.py"))))


def test_the_event_types_are_read_from_the_code() -> None:
    written = written_event_types()
    # A few the reader must find whichever way they are written: a lifecycle action's name, a name
    # given to transition, a timer's alert passed through a parameter, a module constant.
    assert {"accept", "submit_quote", "complete_with_invoice", "reminder", "invoice_overdue", "created",
            "notification_failed", "email_bounced", "reassign"} <= written
    assert "alert_manager" not in written and "remind" not in written  # actions whose change names its event


def test_every_event_type_the_product_writes_has_exactly_one_metric() -> None:
    written = written_event_types()
    assert not written - set(metrics.STEP_METRICS), "event types without a metric (chalicelib/outbox/metrics.py)"
    assert not set(metrics.STEP_METRICS) - written, "metrics for event types nothing writes"
    assert not set(metrics.PEOPLE_STEPS) & set(metrics.SYSTEM_STEPS)
