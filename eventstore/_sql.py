"""The SQL the clients send and how its rows become values: one text for sync and async."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

import psycopg
from psycopg.types.json import set_json_loads

from eventstore import telemetry
from eventstore._types import NewEvent, QueryItem, RecordedEvent, RecordedTaggedEvent, ShardedPage, TaggedEvent

T = TypeVar("T")

APPEND = "CALL api.append_events(%s, %s, %s, %s::jsonb, NULL)"
APPEND_IDEMPOTENT = "CALL api.append_events_idempotent(%s, %s, %s, %s::jsonb, %s, NULL)"
# get_events' in_from_version is exclusive: the client's from_version is inclusive.
READ_STREAM = ("SELECT id, %s::text, %s::uuid, version, event_type, event_data, metadata, created_at "
               "FROM api.get_events(%s, %s, %s, %s)")
STREAM_VERSION = "SELECT api.get_stream_version(%s, %s)"
READ_ALL = ("SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at "
            "FROM api.get_all_events(%s, %s)")
READ_BY_TYPE = ("SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at "
                "FROM api.get_events_by_type(%s, %s, %s)")
LOAD = "SELECT state, version FROM api.load_aggregate(%s, %s, %s, %s)"
DELETE_STREAM = "SELECT api.delete_stream(%s, %s, %s)"
BY_CORRELATION = ("SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at "
                  "FROM api.get_events_by_correlation(%s)")
CAUSATION_CHAIN = ("SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at "
                   "FROM api.get_causation_chain(%s)")
CLAIM = ("SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at, attempt "
         "FROM api.claim_events(%s, %s, %s)")
ACK = "SELECT api.ack_events(%s, %s, %s)"
NACK = "SELECT api.nack_event(%s, %s, %s, %s)"
RUN_PROJECTIONS = "SELECT api.run_projections()"
PROJECTION_VERSIONS = """SELECT projection_name, version_of, version, live, status, events_behind,
                                events_behind_live, ready_to_promote, error_message
                         FROM api.projection_status WHERE %s::text IS NULL OR version_of = %s"""
PROMOTE = "SELECT api.promote_projection(%s, %s)"
CREATE_SUBSCRIPTION = "SELECT api.create_subscription(%s, %s, %s, %s, %s, %s)"
DROP_SUBSCRIPTION = "SELECT api.drop_subscription(%s)"
SET_SUBSCRIPTION_ROLE = "SELECT api.set_subscription_role(%s, %s)"
RESET_SUBSCRIPTION = "SELECT api.reset_subscription(%s, %s)"
SUBSCRIPTIONS = """SELECT subscription_name, stream_types, event_types, max_attempts, lease, consumers, events_behind,
                          events_behind_exact, in_flight, waiting, parked, oldest_in_flight_age, last_claim_at,
                          horizon_fallback
                   FROM api.subscription_status WHERE %s::text IS NULL OR subscription_name = %s
                   ORDER BY subscription_name"""
PARKED_EVENTS = """SELECT subscription_name, id, stream_type, stream_id, version, attempts, last_error, parked_at
                   FROM api.parked_events WHERE %s::text IS NULL OR subscription_name = %s
                   ORDER BY subscription_name, parked_at, id"""
REPLAY_PARKED = "SELECT api.replay_parked(%s, %s)"
SKIP_PARKED = "SELECT api.skip_parked(%s, %s)"
APPEND_TAGGED = "SELECT api.append_tagged(%s::jsonb, %s::jsonb, %s)"
# The head first (a statement of its own within the query: the lateral read runs after it),
# then the events up to it: a head never passes an event the read did not return.
READ_TAGGED_FIRST = ("SELECT h.head, r.log_number, r.id, r.event_type, r.event_data, r.metadata, r.tags, r.created_at "
                     "FROM (SELECT api.last_tagged_number() AS head) AS h "
                     "LEFT JOIN LATERAL api.read_tagged(%s::jsonb, %s, %s, COALESCE(h.head, 0)) AS r ON true")
READ_TAGGED = ("SELECT %s::numeric, log_number, id, event_type, event_data, metadata, tags, created_at "
               "FROM api.read_tagged(%s::jsonb, %s, %s, %s)")
TAGGED_PAGE = 1000
SHARD_COUNT = "SELECT api.shard_count()"
READ_SHARDS = ("SELECT shard, log_number, id, stream_type, stream_id, version, event_type, event_data, metadata, "
               "created_at FROM api.read_log_shards(%s::numeric[], %s, NULL, %s)")
CHANNEL = "eventstore_events"
LISTEN = f"LISTEN {CHANNEL}"


def subscription_params(name: str, stream_types: Sequence[str] | None, event_types: Sequence[str] | None,
                        from_beginning: bool, max_attempts: int, lease: timedelta) -> tuple[Any, ...]:
    return (name, None if stream_types is None else list(stream_types),
            None if event_types is None else list(event_types), from_beginning, max_attempts, lease)


def tagged_json(events: Iterable[TaggedEvent]) -> str:
    return json.dumps(traced_batch([e.as_json() for e in events]))


def first_page(limit: int | None) -> int:
    return TAGGED_PAGE if limit is None else min(limit, TAGGED_PAGE)


def query_json(query: Sequence[QueryItem] | None) -> str | None:
    return None if query is None else json.dumps([item.as_json() for item in query])


def tagged_event(r: Sequence[Any]) -> RecordedTaggedEvent:
    return RecordedTaggedEvent(position=int(r[1]), id=r[2], event_type=r[3], data=r[4], metadata=r[5], tags=r[6],
                               created_at=r[7])


class TaggedPager(Generic[T]):
    """A query's read, paged: from READ_TAGGED_FIRST's rows, ``request()`` gives the parameters
    of READ_TAGGED for the next page while there may be more within the limit (None: done),
    ``add`` takes its rows, and ``result()`` the events (each row made one by ``convert``) with
    the head: the last event's position when the read stopped at its limit, else the head the
    first statement took. One pager for the client and eventsourcing's DCB recorder."""

    def __init__(self, first: Sequence[Sequence[Any]], query: str | None, limit: int | None,
                 convert: Callable[[Sequence[Any]], T]) -> None:
        self.head = None if not first or first[0][0] is None else int(first[0][0])
        self.query = query
        self.limit = limit
        self.convert = convert
        self.positions: list[int] = []
        self.events: list[T] = []
        self._take(first)
        self.full = len(self.events) == first_page(limit)

    def _take(self, rows: Sequence[Sequence[Any]]) -> int:
        taken = [r for r in rows if r[1] is not None]
        self.positions += [int(r[1]) for r in taken]
        self.events += [self.convert(r) for r in taken]
        return len(taken)

    def request(self) -> tuple[Any, ...] | None:
        if self.head is None or not self.full or (self.limit is not None and len(self.events) >= self.limit):
            return None
        page = TAGGED_PAGE if self.limit is None else min(self.limit - len(self.events), TAGGED_PAGE)
        return (self.head, self.query, self.positions[-1], page, self.head)

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        request = self.request()
        assert request is not None
        self.full = self._take(rows) == request[3]

    def result(self) -> tuple[list[T], int | None]:
        if self.limit is not None and len(self.events) >= self.limit and self.events:
            return self.events[:self.limit], self.positions[self.limit - 1]
        return self.events, self.head


def events_json(events: Iterable[NewEvent]) -> str:
    batch = [e.as_json() for e in events]
    return json.dumps(traced_batch(batch))


def traced_batch(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with the current span's trace context in their metadata (eventstore.telemetry),
    looked up once per batch; unchanged without OpenTelemetry or a span."""
    if not telemetry.enabled():
        return batch
    context = telemetry.with_trace_context(None)
    if context:
        for event in batch:
            metadata = event.get("metadata")
            if metadata is None or not any(k in metadata for k in telemetry.TRACE_KEYS):
                event["metadata"] = {**(metadata or {}), **context}
    return batch


_decode_json = json.JSONDecoder().decode


def _loads_utf8(data: str | bytes) -> Any:
    return _decode_json(data.decode() if isinstance(data, bytes) else data)


def decode_json_directly(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> None:
    """json and jsonb of a UTF-8 connection decoded by JSONDecoder from the decoded text:
    json.loads on bytes first guesses their encoding, a third of the cost of loading a small
    event's data and metadata. The client's pools set it on every connection (one function
    for all: psycopg makes a loader class per function it is given)."""
    if conn.info.encoding == "utf-8":
        set_json_loads(_loads_utf8, conn)


_FIELDS = tuple(f.name for f in fields(RecordedEvent))
_new = object.__new__


def recorded(row: Sequence[Any]) -> RecordedEvent:
    """A row of (id, stream_type, stream_id, version, event_type, event_data, metadata,
    created_at[, attempt]) as a RecordedEvent: the columns are its fields, in order (every
    query above selects them so; event_data and metadata are never NULL in the store). Made
    without its __init__, the fields set in one dict update: a page of 1,000 events costs
    0.6 ms of Python instead of 1.8 (the instance is as frozen as any other)."""
    event: RecordedEvent = _new(RecordedEvent)
    values = event.__dict__
    values.update(zip(_FIELDS, row, strict=False))  # attempt: only deliveries have it
    if len(row) < len(_FIELDS):
        values["attempt"] = None
    return event


def read_stream_params(stream_type: str, stream_id: uuid.UUID, from_version: int,
                       to_version: int | None) -> tuple[Any, ...]:
    if from_version < 1:
        raise ValueError(f"from_version starts at 1, got {from_version}")
    return (stream_type, stream_id, stream_type, stream_id, from_version - 1, to_version)


def read_all_query(after: uuid.UUID | None, event_types: Sequence[str] | None,
                   limit: int) -> tuple[str, tuple[Any, ...]]:
    if event_types is None:
        return READ_ALL, (after, limit)
    return READ_BY_TYPE, (list(event_types), after, limit)


def sharded_page(rows: Sequence[Sequence[Any]], after: Sequence[Decimal | None]) -> ShardedPage:
    """The page of ``api.read_log_shards``'s rows read after the cursor ``after`` (one made before
    a reshard, of fewer shards, grows as the endpoint reads it: repeated)."""
    cursor = ShardCursor(after)
    events, shards, log_numbers = [], [], []
    for row in rows:
        shard, log_number = row[0], row[1]
        cursor.advance(shard, log_number)
        shards.append(shard)
        log_numbers.append(log_number)
        events.append(recorded(row[2:]))
    return ShardedPage(events, shards, cursor.after, log_numbers)


class ShardCursor:
    """Where a reader of a sharded store is: one log number per shard (None: that shard's start)."""

    def __init__(self, after: Sequence[Decimal | None] | None) -> None:
        self.positions: list[Decimal | None] | None = None if after is None else list(after)

    @property
    def after(self) -> tuple[Decimal | None, ...]:
        return tuple(self.positions or ())

    def advance(self, shard: int, log_number: Decimal) -> None:
        assert self.positions is not None, "a page's cursor knows its shards"
        while shard >= len(self.positions):  # a cursor from before a reshard: shard i was a copy of i mod len
            self.positions += self.positions
        self.positions[shard] = log_number
