"""Makes the AWS stand-in behave like AWS where Relais depends on it, and hold a long day.

- DynamoDB (and its stream) requests are serialised: one request at a time, as atomic as
  DynamoDB's own, so local runs and the concurrency tests see what production sees.
- A failed TransactWriteItems puts back only the items it touched and drops the stream
  records it wrote. moto instead deep-copies every touched table before each transaction and
  swaps the copy in on failure: memory and time grow with the table, and the copy's new stream
  shard is one the stream reader never sees again.
- moto keeps every model instance it ever built (for its /moto-api/data.json dashboard) until a
  reset that `make run` never does; only the sent messages stay tracked.
- Stream records and shard iterators are kept for a bounded window, as DynamoDB Streams does.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def apply_all() -> None:
    """Every patch, in the order they wrap each other (the moto server and the tests)."""
    serialise_dynamodb()
    index_gsi_queries()
    roll_back_touched_items_only()
    track_only_sent_messages()
    bound_streams()


def serialise_dynamodb() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        handler.call_action = _serialised(handler.call_action)  # type: ignore[method-assign]
    _applied = True


def _serialised(original: Any) -> Any:
    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    return call_action


# -- a failed transaction undoes exactly what it wrote ---------------------------------------------

class _TablesByReference:
    """Stands in for the `copy` module inside moto's DynamoDB backend: its transaction no longer
    copies whole tables (its own rollback then swaps a table for itself, a no-op)."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _item_key(table: Any, op: dict[str, Any]) -> tuple[Any, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    source = op.get("Item") if "Item" in op else op.get("Key")
    try:
        hash_value = DynamoType(source[table.hash_key_attr])  # type: ignore[index]
        range_value = DynamoType(source[table.range_key_attr]) if table.range_key_attr else None  # type: ignore[index]
    except Exception:  # a malformed key: moto refuses the transaction before writing this item
        return None
    return hash_value, range_value


class _Undo:
    """What a transaction may change: its items as they were, and each stream's end."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self._items: list[tuple[Any, Any, Any, bool, Any]] = []
        self._streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items if isinstance(transact_items, list) else []:
            for op in entry.values() if isinstance(entry, dict) else []:
                table: Any = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
                key = _item_key(table, op) if table is not None else None
                if table is None or key is None:
                    continue
                hash_value, range_value = key
                existed = hash_value in table.items
                before = table.get_item(hash_value, range_value) if existed else None
                self._items.append((table, hash_value, range_value, existed, copy.deepcopy(before)))
                shard = table.stream_shard
                if shard is not None and id(shard) not in self._streams:
                    self._streams[id(shard)] = (shard, shard.starting_sequence_number + len(shard.items))

    def __call__(self) -> None:
        # Newest first: an item named twice (which moto refuses) ends as it was before both.
        for table, hash_value, range_value, existed, before in reversed(self._items):
            if range_value is None:
                if before is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = before
                continue
            partition = table.items.get(hash_value)
            if before is not None:
                table.items[hash_value][range_value] = before
            elif partition is not None:
                partition.pop(range_value, None)
                if not partition and not existed:
                    del table.items[hash_value]
        for shard, end in self._streams.values():
            del shard.items[max(end - shard.starting_sequence_number, 0):]


def roll_back_touched_items_only() -> None:
    from moto.dynamodb import models as dynamodb_models

    backend_class = dynamodb_models.DynamoDBBackend
    if getattr(backend_class.transact_write_items, "_relais_undo", False):
        return
    original = backend_class.transact_write_items
    dynamodb_models.copy = _TablesByReference  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo = _Undo(self, transact_items)
        try:
            original(self, transact_items)
        except BaseException:
            undo()
            raise

    transact_write_items._relais_undo = True  # type: ignore[attr-defined]
    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]


# -- memory that does not grow with the day --------------------------------------------------------

# What /moto-api/data.json still lists (tests read sent messages there); moto's backends hold
# these anyway, so tracking them costs no memory of its own.
TRACKED = {("sns", "SMS"), ("ses", "Message"), ("ses", "RawMessage")}


def track_only_sent_messages() -> None:
    from moto.core.common_models import BaseModel

    if getattr(BaseModel.__new__, "_relais_untracked", False):
        return

    def __new__(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super(BaseModel, cls).__new__(cls)
        if (cls.__module__.split(".")[1], cls.__name__) in TRACKED:
            cls.instances_tracked.append(instance)
        return instance

    __new__._relais_untracked = True  # type: ignore[attr-defined]
    BaseModel.__new__ = __new__  # type: ignore[method-assign, assignment]


# DynamoDB Streams keeps 24 hours of records; the local reader is never more than seconds behind,
# so a few thousand records is plenty. Trimmed in batches: the oldest go, sequence numbers stay.
STREAM_KEEP = 2000


def bound_streams() -> None:
    from moto.dynamodb.models.table import StreamShard
    from moto.dynamodbstreams.models import ShardIterator

    if getattr(StreamShard.add, "_relais_bounded", False):
        return
    add, next_page = StreamShard.add, ShardIterator.get

    def bounded_add(self: Any, old: Any, new: Any) -> None:
        add(self, old, new)
        if len(self.items) > 2 * STREAM_KEEP:
            dropped = len(self.items) - STREAM_KEEP
            del self.items[:dropped]
            self.starting_sequence_number += dropped

    def get(self: Any, start: int, quantity: int) -> list[dict[str, Any]]:
        offset = max(start - self.starting_sequence_number, 0)  # a reader behind the trim reads on
        return [record.to_json() for record in self.items[offset:offset + quantity]]

    def get_once(self: Any, limit: int = 1000) -> dict[str, Any]:
        """An iterator serves one GetRecords, which hands out the next one: keep only that."""
        page = next_page(self, limit)
        self.streams_backend.shard_iterators.pop(self.arn, None)
        return page

    bounded_add._relais_bounded = True  # type: ignore[attr-defined]
    StreamShard.add = bounded_add  # type: ignore[method-assign]
    StreamShard.get = get  # type: ignore[method-assign]
    ShardIterator.get = get_once  # type: ignore[method-assign]


# -- Queries proportional to the partition and the page, as in DynamoDB ---------------------------
# A table Query reads the partition only.
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
    try:
        action = handler._get_action()
    except Exception:  # not a DynamoDB JSON request: count it as a write to stay safe
        action = "PutItem"
    if action in _WRITES:
        forget_partitions()  # stale windows would keep old items alive


def forget_partitions() -> None:
    """After writes that bypass the server (a bench seeding the table in-process)."""
    global _generation
    _generation += 1
    _partitions.clear()


def _partition(table: Any, index: Any, hash_attr: str, value: Any) -> tuple[list[Any], list[Any]]:
    cache_key = (id(table), index.name, str(value))
    cached = _partitions.get(cache_key)
    if cached is not None and cached[0] == _generation:
        return cached[1], cached[2]
    range_attr = next((k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"), None)
    # Straight over the table's dict: moto's all_items() would also sort the whole table first.
    every = (item for partition in table.items.values()
             for item in (partition.values() if table.range_key_attr else [partition]))
    members = [item for item in every
               if (found := item.attrs.get(hash_attr)) is not None and found == value
               and (range_attr is None or item.attrs.get(range_attr) is not None)]
    members.sort(key=lambda item: _sort_key(table, range_attr, item.attrs))
    keys = [_sort_key(table, range_attr, item.attrs) for item in members]
    _partitions[cache_key] = (_generation, keys, members)
    return keys, members


def _sort_key(table: Any, range_attr: str | None, attrs: dict[str, Any]) -> tuple[str, ...]:
    names = [name for name in (range_attr, table.hash_key_attr, table.range_key_attr) if name]
    return tuple(str(getattr(attrs.get(name), "value", attrs.get(name)) or "") for name in names)


def _over(table: Any, items: list[Any], query: Any) -> Any:
    """Runs moto's query with `all_items()` answering only `items` (requests are serialised)."""
    table.all_items = lambda: list(items)
    try:
        return query()
    finally:
        del table.all_items


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
        if not index_name and hash_key is not None:
            # A table Query: moto walks (and sorts) every item of the table; hand it the partition.
            partition = self.items.get(hash_key)
            members = [] if partition is None else list(partition.values()) if self.range_key_attr else [partition]
            return _over(self, members, lambda: original(self, *args, **kwargs))
        index = next((i for i in self.global_indexes if i.name == index_name), None) if index_name else None
        if (index is None or not isinstance(index, GlobalSecondaryIndex) or not limit or filter_kwargs
                or not hash_key_conditions or len(hash_key_conditions) != 1 or len(range_key_conditions or []) > 1):
            return original(self, *args, **kwargs)
        hash_attr, value = hash_key_conditions[0]
        keys, members = _partition(self, index, hash_attr, value)
        range_attr = next((k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"), None)
        # begins_with: the matching items are one run of the sorted partition (as DynamoDB reads them).
        prefix = (str(range_objs[0].value) if str(range_comparison or "").upper() == "BEGINS_WITH" and range_objs
                  and isinstance(range_objs[0].value, str) else None)
        if exclusive_start_key:
            start = _sort_key(self, range_attr, {k: DynamoType(v) for k, v in exclusive_start_key.items()})
            position = bisect.bisect_right(keys, start) if scan_index_forward else bisect.bisect_left(keys, start) - 1
        elif prefix is not None:
            position = (bisect.bisect_left(keys, (prefix,)) if scan_index_forward
                        else bisect.bisect_left(keys, (prefix + "\U0010ffff",)) - 1)
        else:
            position = 0 if scan_index_forward else len(members) - 1
        step = 1 if scan_index_forward else -1
        window: list[Any] = []
        while 0 <= position < len(members) and len(window) <= limit:
            item = members[position]
            attr = item.attrs.get(range_attr) if range_attr else None
            if not range_comparison or (attr is not None and attr.compare(range_comparison, range_objs)):
                window.append(item)
            elif prefix is not None:
                break  # out of the run
            position += step
        return _over(self, window, lambda: original(self, *args, **kwargs))  # moto matches, pages, projects the window

    query._relais_window = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    counted = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        _note_write(self)
        return counted(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
