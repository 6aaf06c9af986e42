"""The dispatcher's stream filter (infra/functions.yml, DispatchOutbox's FilterCriteria) and AWS's
matching of a record against it, for the patterns it uses: nested keys, lists of exact values, and
`{"exists": true|false}`. Any other operator is refused rather than guessed, so what the tests
and the bench judge is what Lambda would do.

    https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
"""

from __future__ import annotations

import json
from typing import Any

from infra.build import INFRA, load_yaml

Pattern = dict[str, Any]


def dispatcher_patterns() -> list[Pattern]:
    """The patterns of the dispatcher's stream mapping: a record passes when it matches any of them."""
    functions = load_yaml(INFRA / "functions.yml")
    criteria = functions["DispatchOutbox"]["Properties"]["Events"]["TableStream"]["Properties"]["FilterCriteria"]
    return [json.loads(item["Pattern"]) for item in criteria["Filters"]]


def _matches_value(allowed: list[Any], present: bool, value: Any) -> bool:
    for matcher in allowed:
        if isinstance(matcher, dict):
            if set(matcher) != {"exists"}:
                raise ValueError(f"filter operator not evaluated here: {matcher}")
            if matcher["exists"] is present:
                return True
        elif present and (value == matcher or (isinstance(value, list) and matcher in value)):
            return True
    return False


def matches(pattern: Pattern, record: dict[str, Any]) -> bool:
    """True when every key of the pattern matches the record (AWS: keys are ANDed, values ORed)."""
    for key, expected in pattern.items():
        present = isinstance(record, dict) and key in record
        value = record.get(key) if present else None
        if isinstance(expected, dict):
            if not present or not isinstance(value, dict) or not matches(expected, value):
                return False
        elif not _matches_value(expected, present, value):
            return False
    return True


def passes(patterns: list[Pattern], record: dict[str, Any]) -> bool:
    return any(matches(pattern, record) for pattern in patterns)
