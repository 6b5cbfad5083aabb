"""Where moto's DynamoDB differs from AWS in ways the local runtime's users notice, and what the
runtime changes in the process that hosts moto (`install`) so that it behaves as AWS does:

- **Each request is atomic.** moto serves requests on many threads with no lock, so a reader
  could see a transaction half-applied. Every DynamoDB and DynamoDB Streams request runs under
  one lock here, serialisation of the response included (a returned item is never torn).
- **A transaction is all or nothing, with no trace when it fails.** moto 5.2.5 deep-copies every
  table a transaction touches (O(table) per booking), writes the items one by one (their stream
  records too) and, on a failed condition, swaps the tables back from the copy. A stream reader
  between sees records of a transaction that never happened, and the reader's iterator keeps the
  replaced shard: it never sees another record (the local consumers went silent for good after
  the first 409). Here every condition is checked first; a rejected transaction writes nothing,
  and reports one cancellation reason per item, in order. Only then are the writes applied,
  with a snapshot of the touched items alone to undo a write moto refuses half-way, and the
  stream gets one record per item the transaction changed (none for an unchanged item), all at
  once.
- **A query reads its partition, not the table.** moto 5.2.5 answers every Query by sorting
  all the table's items and filtering them, so each booking got slower as the tables grew.
  Here a query's candidates come from the partition (base table) or from a map of each global
  secondary index's hash key to its items, kept up to date on every write.
- **Streams do not keep everything forever.** moto keeps every stream record and every shard
  iterator it ever issued. DynamoDB Streams keeps records 24 hours and an iterator 15 minutes;
  locally the runtime trims what its stream poller has delivered (`trim_stream`) and iterators
  expire after 15 minutes, so memory stays bounded.

Tests pin the AWS behaviour (`tests/integration/test_local_runtime.py`). Written against moto
5.2.5's internals; `install` refuses another version rather than patch it blindly.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import moto
from moto.core.exceptions import JsonRESTError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import BaseResponse
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    ResourceNotFoundException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamRecord, StreamShard, Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

MOTO_VERSION = "5.2.5"
"""The moto whose internals this module replaces."""
ITERATOR_LIFETIME_SECONDS = 15 * 60
"""How long DynamoDB Streams honours a shard iterator."""
WRITES = ("Put", "Update", "Delete")

_clock = time.monotonic
_LOCK = threading.RLock()
"""One lock for every DynamoDB and DynamoDB Streams request in this process (moto's state is
process-wide)."""

Key = tuple[DynamoType, DynamoType | None]
Errors = list[tuple[str | None, str | None, dict[str, Any] | None]]


class ExpiredIteratorException(JsonRESTError):
    code = 400

    def __init__(self) -> None:
        super().__init__(
            "ExpiredIteratorException", "Iterator expired. The iterator was created over 15 minutes ago."
        )


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    return locked


# --- transactions -------------------------------------------------------------------------


def _key_of(backend: DynamoDBBackend, table: Table, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    missing = [name for name in names if name not in attrs]
    if missing:
        raise MockValidationException(
            f"One or more parameter values were invalid: Missing the key {missing[0]} in the item"
        )
    return {name: attrs[name] for name in names}


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """TransactWriteItems as DynamoDB runs it: conditions first (nothing written when one
    fails, one reason per item in request order), then every write, then their stream records."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    # 1. Check: every item's table, key and condition, against the state before the transaction.
    plans: list[tuple[str, dict[str, Any], Table, Key]] = []
    errors: Errors = []
    seen: set[tuple[str, str]] = set()
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        old: dict[str, Any] | None = None
        try:
            if op_type not in {"ConditionCheck", *WRITES}:
                raise ValueError("Unsupported transaction operation")
            table = self.get_table(op["TableName"])
            key = _key_of(self, table, op_type, op)
            identity = (table.name, str(dict(sorted(key.items()))))
            if identity in seen:
                raise MultipleTransactionsException()
            seen.add(identity)
            hash_value, range_value = self.get_keys_value(table, key)
            current = table.get_item(hash_value, range_value)
            condition = op.get("ConditionExpression")
            if condition is not None:
                check = get_filter_expression(
                    condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not check.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                        old = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=old)
            plans.append((op_type, op, table, (hash_value, range_value)))
            errors.append((None, None, None))
        except MockValidationException:
            raise  # a malformed request fails as a whole (MultipleTransactions is one too)
        except ConditionalCheckFailed as exc:
            errors.append(("ConditionalCheckFailed", str(exc.message), old))
        except Exception as exc:  # noqa: BLE001 - as moto reports any other per-item failure
            errors.append((type(exc).__name__, str(exc), None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    # 2. Apply, with a snapshot of just the items written (not the tables) to undo a write
    #    moto refuses half-way (an item over 400 KB, a type clash in an update).
    writes = [plan for plan in plans if plan[0] in WRITES]
    before = {id(plan): copy.deepcopy(plan[2].get_item(*plan[3])) for plan in writes}
    marks = {id(table): _stream_length(table) for _, _, table, _ in writes}
    applied: list[tuple[str, dict[str, Any], Table, Key]] = []
    try:
        for plan in writes:
            applied.append(plan)
            _apply(self, *plan)
    except Exception as exc:
        for plan in applied:
            _restore(plan[2], plan[3], before[id(plan)])
        for _, _, table, _ in writes:
            _truncate_stream(table, marks[id(table)])
        if isinstance(exc, MockValidationException):
            raise
        failed = next(i for i, plan in enumerate(plans) if plan is applied[-1])
        reasons: Errors = [(None, None, None)] * len(plans)  # every item passed its check
        reasons[failed] = (type(exc).__name__, str(exc), None)
        raise TransactionCanceledException(reasons) from exc
    # 3. The stream: one record per item the transaction changed, after all of them are written
    #    (moto's own records for the writes are replaced: an update that creates an item would
    #    otherwise give two INSERTs).
    for _, _, table, _ in writes:
        _truncate_stream(table, marks[id(table)])
    for plan in writes:
        table, item_key = plan[2], plan[3]
        old_item, new_item = before[id(plan)], table.get_item(*item_key)
        if table.stream_shard is not None and _changed(old_item, new_item):
            table.stream_shard.add(old_item, new_item)


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], table: Table, key: Key) -> None:
    names, values = op.get("ExpressionAttributeNames") or {}, op.get("ExpressionAttributeValues") or {}
    if op_type == "Put":
        table.put_item(op["Item"])
    elif op_type == "Delete":
        table.delete_item(*key)
    else:
        key_attrs = {table.hash_key_attr: key[0].to_json()}
        if table.range_key_attr is not None and key[1] is not None:
            key_attrs[table.range_key_attr] = key[1].to_json()
        backend.update_item(
            table.name,
            key_attrs,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def _restore(table: Table, key: Key, item: Item | None) -> None:
    hash_value, range_value = key
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item  # type: ignore[assignment]  # a hash-only table's item
    elif item is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = item
    _reindex(table, key)


def _changed(old: Item | None, new: Item | None) -> bool:
    if old is None or new is None:
        return old is not new
    return old != new


# --- queries ------------------------------------------------------------------------------

_hint = threading.local()
"""The candidates of the query running on this thread (`Table.query` asks `all_items`)."""


class _Indexes:
    """For one table: each global secondary index's items by their index hash key, and the
    hash key each item has in each index (to move it when a write changes it)."""

    def __init__(self, table: Table) -> None:
        self.hash_attrs = {
            index.name: [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            for index in table.global_indexes
        }
        self.buckets: dict[str, dict[tuple[DynamoType, ...], set[Key]]] = {
            name: {} for name in self.hash_attrs
        }
        self.entries: dict[Key, dict[str, tuple[DynamoType, ...]]] = {}
        for item in table.all_items():
            self.update((item.hash_key, item.range_key), item)

    def update(self, key: Key, item: Item | None) -> None:
        for name, value in self.entries.pop(key, {}).items():
            bucket = self.buckets[name].get(value)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del self.buckets[name][value]
        if item is None:
            return
        entry: dict[str, tuple[DynamoType, ...]] = {}
        for name, attrs in self.hash_attrs.items():
            values = tuple(v for v in (item.attrs.get(attr) for attr in attrs) if v is not None)
            if len(values) == len(attrs):  # a sparse index holds items with its keys only
                entry[name] = values
                self.buckets[name].setdefault(values, set()).add(key)
        if entry:
            self.entries[key] = entry


def _indexes(table: Table) -> _Indexes:
    found = table.__dict__.get("_tandem_indexes")
    if not isinstance(found, _Indexes):
        found = _Indexes(table)
        table.__dict__["_tandem_indexes"] = found
    return found


def _reindex(table: Table, key: Key) -> None:
    _indexes(table).update(key, table.get_item(*key))


def _by_key(items: list[Item]) -> list[Item]:
    """In `Table.all_items`' order."""
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _candidates(table: Table, hash_key: DynamoType | None, index_name: str | None, conditions: Any) -> Any:
    """The items a query can match (a superset, in `all_items`' order), or None: all of them."""
    if index_name is None:
        if hash_key is None or hash_key not in table.items:
            return [] if hash_key is not None else None
        partition = table.items[hash_key]
        return _by_key(list(partition.values()) if table.has_range_key else [partition])  # type: ignore[list-item]
    indexes = _indexes(table)
    attrs = indexes.hash_attrs.get(index_name)
    named = dict(conditions or [])
    if attrs is None or set(named) != set(attrs):
        return None  # a local secondary index, or conditions this map does not key on
    keys = indexes.buckets[index_name].get(tuple(named[attr] for attr in attrs), set())
    items = [table.get_item(*key) for key in keys]
    return _by_key([item for item in items if item is not None])


def _query(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        _hint.items = _candidates(
            self, bound.get("hash_key"), bound.get("index_name"), bound.get("hash_key_conditions")
        )
        try:
            return original(self, *args, **kwargs)
        finally:
            _hint.items = None

    return query


def _all_items(original: Callable[[Table], list[Item]]) -> Callable[[Table], list[Item]]:
    @functools.wraps(original)
    def all_items(self: Table) -> list[Item]:
        hint = getattr(_hint, "items", None)
        if hint is not None:
            _hint.items = None  # the query's one call
            return list(hint)
        return original(self)

    return all_items


def _table_put(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = original(self, *args, **kwargs)
        _reindex(self, (item.hash_key, item.range_key))
        return item

    return put_item


def _table_delete(original: Callable[..., Item | None]) -> Callable[..., Item | None]:
    @functools.wraps(original)
    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        item = original(self, hash_key, range_key)
        _reindex(self, (hash_key, range_key))
        return item

    return delete_item


def _backend_update(original: Callable[..., Item]) -> Callable[..., Item]:
    """moto's UpdateItem changes the stored item in place: re-file it afterwards."""

    @functools.wraps(original)
    def update_item(
        self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Item:
        try:
            return original(self, table_name, key, *args, **kwargs)
        finally:
            try:
                table = self.get_table(table_name)
                _reindex(table, self.get_keys_value(table, key))
            except (ResourceNotFoundException, MockValidationException):
                pass  # no such table, or no such key: nothing was written

    return update_item


# --- streams ------------------------------------------------------------------------------


def _trimmed(shard: StreamShard) -> int:
    return int(getattr(shard, "trimmed", 0))


def _stream_length(table: Table) -> int:
    shard = table.stream_shard
    return len(shard.items) if shard is not None else 0


def _truncate_stream(table: Table, length: int) -> None:
    shard = table.stream_shard
    if shard is not None:
        del shard.items[length:]


def _shard_add(self: StreamShard, old: Item | None, new: Item | None) -> None:
    """moto's `StreamShard.add`, numbering past the records trimmed away (no Lambda event
    source mappings locally: the stream poller reads the stream)."""
    event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    view = self.table.stream_specification["StreamViewType"]  # type: ignore[index]
    sequence = self.starting_sequence_number + _trimmed(self) + len(self.items)
    self.items.append(StreamRecord(self.table, view, event_name, old, new, sequence))


def _shard_get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
    """Records from sequence number `start`; a reader behind the trim horizon gets the oldest
    record kept (AWS answers TrimmedDataAccessException after 24 hours)."""
    offset = max(0, start - self.starting_sequence_number - _trimmed(self))
    return [record.to_json() for record in self.items[offset : offset + quantity]]


def _iterator_init(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def init(
        self: ShardIterator, streams_backend: Any, stream_shard: StreamShard, kind: str, *rest: Any
    ) -> None:
        original(self, streams_backend, stream_shard, kind, *rest)
        if kind == "LATEST":
            self.sequence_number += _trimmed(stream_shard)
        self.__dict__["issued_at"] = _clock()

    return init


def _expire_iterators(backend: DynamoDBStreamsBackend) -> None:
    """Forget iterators issued more than 15 minutes ago (they are kept in issue order)."""
    now = _clock()
    iterators = backend.shard_iterators
    while iterators:
        arn, iterator = next(iter(iterators.items()))
        if now - getattr(iterator, "issued_at", now) < ITERATOR_LIFETIME_SECONDS:
            break
        del iterators[arn]


def _get_shard_iterator(original: Callable[..., ShardIterator]) -> Callable[..., ShardIterator]:
    @functools.wraps(original)
    def get_shard_iterator(self: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> ShardIterator:
        _expire_iterators(self)
        return original(self, *args, **kwargs)

    return get_shard_iterator


def _get_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
    _expire_iterators(self)
    iterator = self.shard_iterators.get(iterator_arn)
    if iterator is None:
        raise ExpiredIteratorException()
    result: dict[str, Any] = iterator.get(limit)
    return result


def trim_stream(table_name: str, through_sequence: str, region: str = "us-east-1") -> int:
    """Drop the table's stream records up to and including `through_sequence` (what the local
    stream poller has delivered); returns how many were dropped."""
    with _LOCK:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
        shard = table.stream_shard
        if shard is None:
            return 0
        drop = min(
            len(shard.items), int(through_sequence) - shard.starting_sequence_number - _trimmed(shard) + 1
        )
        if drop <= 0:
            return 0
        del shard.items[:drop]
        shard.__dict__["trimmed"] = _trimmed(shard) + drop
        return drop


def stream_length(table_name: str, region: str = "us-east-1") -> int:
    """How many records the table's stream holds now."""
    with _LOCK:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
        return _stream_length(table)


# --- install ------------------------------------------------------------------------------


@contextmanager
def installed() -> Iterator[None]:
    """The changes, for the duration of a `with` block (tests)."""
    undo = install()
    try:
        yield
    finally:
        undo()


def install() -> Callable[[], None]:
    """Change moto, in this process, as the module docstring says; returns what undoes it."""
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(f"local.moto_dynamodb is written for moto {MOTO_VERSION}, not {moto.__version__}")
    changes: list[tuple[Any, str, Any]] = [
        (DynamoHandler, "call_action", _locked(DynamoHandler.call_action)),
        (DynamoDBStreamsHandler, "call_action", _locked(BaseResponse.call_action)),
        (DynamoDBBackend, "transact_write_items", transact_write_items),
        (DynamoDBBackend, "update_item", _backend_update(DynamoDBBackend.update_item)),
        (Table, "put_item", _table_put(Table.put_item)),
        (Table, "delete_item", _table_delete(Table.delete_item)),
        (Table, "query", _query(Table.query)),
        (Table, "all_items", _all_items(Table.all_items)),
        (StreamShard, "add", _shard_add),
        (StreamShard, "get", _shard_get),
        (ShardIterator, "__init__", _iterator_init(ShardIterator.__init__)),
        (
            DynamoDBStreamsBackend,
            "get_shard_iterator",
            _get_shard_iterator(DynamoDBStreamsBackend.get_shard_iterator),
        ),
        (DynamoDBStreamsBackend, "get_records", _get_records),
    ]
    saved = [(owner, name, owner.__dict__.get(name)) for owner, name, _ in changes]
    for owner, name, replacement in changes:
        setattr(owner, name, replacement)

    def undo() -> None:
        for owner, name, original in reversed(saved):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)

    return undo
