"""Makes the AWS stand-in behave like AWS where Relais depends on it.

moto runs a TransactWriteItems by deep-copying the table and restoring that copy when a
condition fails. Two concurrent requests can then undo each other's writes (a failed
transaction restores a table that predates the other's commit), which real DynamoDB
never does. Serialising moto's DynamoDB requests restores DynamoDB's atomicity, so local
runs and the concurrency tests see what production sees.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def serialise_dynamodb() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _applied = True


# -- GSI queries proportional to the page, as in DynamoDB -----------------------------------------
# moto answers a GSI Query by walking every item of the table and sorting the whole partition,
# so a list page would cost O(table) and a benchmark would measure moto, not Relais. This keeps,
# per index partition, the items sorted by (index sort key, table keys) and hands moto only the
# window the page needs (from the start key, in the page's direction, just over the limit).
# moto still does the matching, paging and projection itself. Any write drops the cache.

_generation = 0
_partitions: dict[tuple[int, str, str], tuple[int, list[Any], list[Any]]] = {}
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "CreateTable",
           "DeleteTable", "UpdateTable", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}


def _note_write(handler: Any) -> None:
    global _generation
    try:
        action = handler._get_action()
    except Exception:  # not a DynamoDB JSON request: count it as a write to stay safe
        action = "PutItem"
    if action in _WRITES:
        _generation += 1


def _partition(table: Any, index: Any, hash_attr: str, value: Any) -> tuple[list[Any], list[Any]]:
    cache_key = (id(table), index.name, str(value))
    cached = _partitions.get(cache_key)
    if cached is not None and cached[0] == _generation:
        return cached[1], cached[2]
    range_attr = next((k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"), None)
    members = [item for item in table.all_items()
               if (found := item.attrs.get(hash_attr)) is not None and found == value
               and (range_attr is None or item.attrs.get(range_attr) is not None)]
    members.sort(key=lambda item: _sort_key(table, range_attr, item.attrs))
    keys = [_sort_key(table, range_attr, item.attrs) for item in members]
    _partitions[cache_key] = (_generation, keys, members)
    return keys, members


def _sort_key(table: Any, range_attr: str | None, attrs: dict[str, Any]) -> tuple[str, ...]:
    names = [name for name in (range_attr, table.hash_key_attr, table.range_key_attr) if name]
    return tuple(str(getattr(attrs.get(name), "value", attrs.get(name)) or "") for name in names)


def index_gsi_queries() -> None:
    import bisect

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import GlobalSecondaryIndex, Table
    from moto.dynamodb.responses import DynamoHandler

    if getattr(Table.query, "_relais_window", False):
        return
    original = Table.query

    def query(self: Any, hash_key: Any, range_comparison: Any, range_objs: Any, limit: Any, exclusive_start_key: Any,
              scan_index_forward: bool, projection_expressions: Any, index_name: Any = None, consistent_read: bool = False,
              filter_expression: Any = None, hash_key_conditions: Any = None, range_key_conditions: Any = None,
              **filter_kwargs: Any) -> Any:
        args = (hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward, projection_expressions)
        kwargs = {"index_name": index_name, "consistent_read": consistent_read, "filter_expression": filter_expression,
                  "hash_key_conditions": hash_key_conditions, "range_key_conditions": range_key_conditions, **filter_kwargs}
        index = next((i for i in self.global_indexes if i.name == index_name), None) if index_name else None
        if (index is None or not isinstance(index, GlobalSecondaryIndex) or not limit or filter_kwargs
                or not hash_key_conditions or len(hash_key_conditions) != 1 or len(range_key_conditions or []) > 1):
            return original(self, *args, **kwargs)
        hash_attr, value = hash_key_conditions[0]
        keys, members = _partition(self, index, hash_attr, value)
        range_attr = next((k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"), None)
        if exclusive_start_key:
            start = _sort_key(self, range_attr, {k: DynamoType(v) for k, v in exclusive_start_key.items()})
            position = bisect.bisect_right(keys, start) if scan_index_forward else bisect.bisect_left(keys, start) - 1
        else:
            position = 0 if scan_index_forward else len(members) - 1
        step = 1 if scan_index_forward else -1
        window: list[Any] = []
        while 0 <= position < len(members) and len(window) <= limit:
            item = members[position]
            attr = item.attrs.get(range_attr) if range_attr else None
            if not range_comparison or (attr is not None and attr.compare(range_comparison, range_objs)):
                window.append(item)
            position += step
        self.all_items = lambda: list(window)  # moto matches, pages and projects this window only
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    query._relais_window = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    counted = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        _note_write(self)
        return counted(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
