"""The asyncio client: :class:`AsyncEventStore`, method for method the same as
:class:`eventstore.EventStore`."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool

from eventstore import _sql
from eventstore._pool import AsyncPool
from eventstore._retry import Backoff, CallAttempts, connection_lost
from eventstore._types import (
    NO_STREAM,
    Decision,
    ExpectedVersion,
    NewEvent,
    ParkedEvent,
    ProjectionVersion,
    QueryItem,
    RecordedEvent,
    ShardedPage,
    Subscription,
    TaggedEvent,
    TaggedRead,
    decision_events,
    decision_key,
    expected_sql,
)
from eventstore.client import (
    _FIRST_WAIT,
    CONNECTION_KWARGS,
    _follow_back,
    _follow_lost,
    listen_conninfo,
    pool_kwargs,
    translated,
)
from eventstore.errors import AppendOrderConflict, WrongExpectedVersion
from eventstore.telemetry import traced

S = TypeVar("S")


class AsyncEventStore:
    """The event store for asyncio, over a psycopg_pool AsyncConnectionPool (see
    :class:`eventstore.EventStore`: the same methods, awaited)."""

    def __init__(self, pool: AsyncConnectionPool, *, conninfo: str | None = None, owns_pool: bool = False,
                 reconnect_timeout: float = 30.0) -> None:
        self.pool = pool
        self.conninfo = listen_conninfo(pool.conninfo, conninfo)
        self._owns_pool = owns_pool
        self.reconnect_timeout = reconnect_timeout

    @classmethod
    async def connect(cls, conninfo: str, *, min_size: int = 1, max_size: int = 10, prepared_statements: bool = True,
                      reconnect_timeout: float = 30.0, **pool_options: Any) -> AsyncEventStore:
        configure = pool_options.pop("configure", None)

        async def configured(conn: psycopg.AsyncConnection[Any]) -> None:
            _sql.decode_json_directly(conn)
            if configure is not None:
                await configure(conn)

        pool = AsyncPool(conninfo, min_size=min_size, max_size=max_size, configure=configured,
                                   kwargs=pool_kwargs(prepared_statements), open=False, **pool_options)
        await pool.open()
        return cls(pool, conninfo=conninfo, owns_pool=True, reconnect_timeout=reconnect_timeout)

    async def close(self) -> None:
        if self._owns_pool:
            await self.pool.close()

    async def __aenter__(self) -> AsyncEventStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def connection(self, conn: psycopg.AsyncConnection[Any] | None = None
                         ) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        if conn is not None:
            yield conn
            return
        async with self.pool.connection() as pooled:
            yield pooled

    async def _rows(self, query: str, params: Sequence[Any], conn: psycopg.AsyncConnection[Any] | None,
                    repeatable: bool = True) -> list[tuple[Any, ...]]:
        """As EventStore._rows: getconn and putconn on the hot path, a commit only for a
        caller's pool without autocommit; a lost connection waited out where the call is
        repeatable (else OutcomeUnknown), once more after 42883."""
        with translated():
            if conn is not None:
                return await (await conn.execute(query, params)).fetchall()
            attempts = CallAttempts(self.reconnect_timeout, repeatable)
            while True:
                try:
                    return await self._pooled_rows(query, params)
                except psycopg.Error as error:
                    delay = attempts.after(error)
                    if delay is not None:
                        with contextlib.suppress(Exception):
                            await self.pool.check()
                        await asyncio.sleep(delay)

    async def _pooled_rows(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        pooled = await self.pool.getconn()
        try:
            rows = await (await pooled.execute(query, params)).fetchall()
            if not pooled.autocommit:
                await pooled.commit()
            return rows
        except BaseException:
            if not pooled.autocommit and not pooled.closed:
                await pooled.rollback()
            raise
        finally:
            await self.pool.putconn(pooled)

    # -- writing ---------------------------------------------------------------------------

    @traced("append")
    async def append(self, stream_type: str, stream_id: uuid.UUID, events: Sequence[NewEvent], *,
                     expected_version: ExpectedVersion, idempotency_key: uuid.UUID | None = None,
                     conn: psycopg.AsyncConnection[Any] | None = None) -> int:
        batch = _sql.events_json(events)
        expected = expected_sql(expected_version)
        if idempotency_key is None:
            rows = await self._rows(_sql.APPEND, (stream_type, stream_id, expected, batch), conn, repeatable=False)
        else:
            rows = await self._rows(_sql.APPEND_IDEMPOTENT,
                                    (stream_type, stream_id, expected, batch, idempotency_key), conn)
        version: int = rows[0][0]
        return version

    @traced("append_tagged")
    async def append_tagged(self, events: Sequence[TaggedEvent], *, fail_if_match: Sequence[QueryItem] | None = None,
                            after: int | None = None, conn: psycopg.AsyncConnection[Any] | None = None) -> int:
        """As EventStore.append_tagged."""
        rows = await self._rows(_sql.APPEND_TAGGED, (_sql.tagged_json(events), _sql.query_json(fail_if_match), after),
                                conn, repeatable=False)
        return int(rows[0][0])

    @traced("read_tagged")
    async def read_tagged(self, query: Sequence[QueryItem] | None = None, *, after: int | None = None,
                          limit: int | None = None, conn: psycopg.AsyncConnection[Any] | None = None) -> TaggedRead:
        """As EventStore.read_tagged."""
        if limit is not None and limit <= 0:
            return TaggedRead(events=[], head=None)
        q = _sql.query_json(query)
        pager = _sql.TaggedPager(await self._rows(_sql.READ_TAGGED_FIRST, (q, after, _sql.first_page(limit)), conn), q,
                                 limit, _sql.tagged_event)
        while (request := pager.request()) is not None:
            pager.add(await self._rows(_sql.READ_TAGGED, request, conn))
        events, head = pager.result()
        return TaggedRead(events=events, head=head)

    @traced("delete_stream")
    async def delete_stream(self, stream_type: str, stream_id: uuid.UUID, *, expected_version: ExpectedVersion,
                            conn: psycopg.AsyncConnection[Any] | None = None) -> int:
        rows = await self._rows(_sql.DELETE_STREAM, (stream_type, stream_id, expected_sql(expected_version)), conn,
                                repeatable=False)
        version: int = rows[0][0]
        return version

    @traced("decide")
    async def decide(self, stream_type: str, stream_id: uuid.UUID, *, fold: Callable[[S, RecordedEvent], S],
                     decide: Callable[[S], Sequence[NewEvent] | Awaitable[Sequence[NewEvent]]], initial: S,
                     max_retries: int = 10, idempotency_key: uuid.UUID | None = None,
                     caused_by: RecordedEvent | None = None, metadata: Mapping[str, Any] | None = None,
                     conn: psycopg.AsyncConnection[Any] | None = None) -> Decision:
        """As :meth:`eventstore.EventStore.decide` (``decide`` may be a coroutine function)."""
        key = decision_key(idempotency_key, caused_by, stream_type, stream_id)
        for attempt in range(max_retries + 1):
            try:
                async with contextlib.nullcontext() if conn is None else conn.transaction():
                    events = await self.read_stream(stream_type, stream_id, conn=conn)
                    state = initial
                    for event in events:
                        state = fold(state, event)
                    version = events[-1].version if events else 0
                    decided = decide(state)
                    new = decision_events(await decided if isinstance(decided, Awaitable) else decided, caused_by,
                                          metadata)
                    if not new:
                        return Decision(version)
                    after = await self.append(stream_type, stream_id, new, expected_version=version or NO_STREAM,
                                              idempotency_key=key, conn=conn)
                    appended = await self.read_stream(stream_type, stream_id, from_version=version + 1,
                                                      to_version=after, conn=conn) if after > version else []
                    return Decision(after, appended)
            except (WrongExpectedVersion, AppendOrderConflict) as conflict:
                # In the caller's transaction an append order conflict is for good: its
                # transaction id stays older than the stream's last appender. It must be made again.
                if attempt == max_retries or (conn is not None and isinstance(conflict, AppendOrderConflict)):
                    raise
                await asyncio.sleep(min(0.001 * 2 ** attempt, 0.05))
        raise AssertionError("unreachable")

    # -- reading ---------------------------------------------------------------------------

    @traced("read_stream")
    async def read_stream(self, stream_type: str, stream_id: uuid.UUID, *, from_version: int = 1,
                          to_version: int | None = None,
                          conn: psycopg.AsyncConnection[Any] | None = None) -> list[RecordedEvent]:
        params = _sql.read_stream_params(stream_type, stream_id, from_version, to_version)
        return [_sql.recorded(r) for r in await self._rows(_sql.READ_STREAM, params, conn)]

    @traced("stream_version")
    async def stream_version(self, stream_type: str, stream_id: uuid.UUID, *,
                             conn: psycopg.AsyncConnection[Any] | None = None) -> int:
        version: int = (await self._rows(_sql.STREAM_VERSION, (stream_type, stream_id), conn))[0][0]
        return version

    @traced("read_all")
    async def read_all(self, *, after: uuid.UUID | None = None, event_types: Sequence[str] | None = None,
                       limit: int = 1000, conn: psycopg.AsyncConnection[Any] | None = None) -> list[RecordedEvent]:
        query, params = _sql.read_all_query(after, event_types, limit)
        return [_sql.recorded(r) for r in await self._rows(query, params, conn)]

    async def read_shards(self, *, after: Sequence[Decimal | None] | None = None,
                  event_types: Sequence[str] | None = None, limit: int = 1000,
                  conn: psycopg.AsyncConnection[Any] | None = None) -> ShardedPage:
        """As :meth:`eventstore.EventStore.read_shards`."""
        if after is None:
            count = (await self._rows(_sql.SHARD_COUNT, (), conn))[0][0]
            after = [None] * count
        types = None if event_types is None else list(event_types)
        rows = await self._rows(_sql.READ_SHARDS, (list(after), limit, types), conn)
        return _sql.sharded_page(rows, after)

    def follow_shards(self, *, after: Sequence[Decimal | None] | None = None,
                      event_types: Sequence[str] | None = None, page_size: int = 1000,
                      poll_interval: float = 1.0) -> AsyncShardedFollow:
        """As :meth:`eventstore.EventStore.follow_shards`: ``async for`` it; its ``after`` is the
        cursor just past the last event it yielded."""
        stopped = threading.Event()
        cursor = _sql.ShardCursor(after)
        return AsyncShardedFollow(self._follow_shards(cursor, event_types, page_size, poll_interval, stopped),
                                  stopped, cursor)

    async def _follow_shards(self, cursor: _sql.ShardCursor, event_types: Sequence[str] | None, page_size: int,
                             poll_interval: float, stopped: threading.Event) -> AsyncIterator[RecordedEvent]:
        wait = _FIRST_WAIT
        backoff = Backoff()
        while not stopped.is_set():
            try:
                page = await self.read_shards(after=cursor.positions, event_types=event_types, limit=page_size)
            except Exception as error:
                if not connection_lost(error):
                    raise
                await asyncio.sleep(_follow_lost(error, backoff))
                with contextlib.suppress(Exception):
                    await self.pool.check()
                continue
            if backoff.failures:
                _follow_back(backoff)
            if cursor.positions is None:
                cursor.positions = [None] * len(page.after)
            for shard, log_number, event in zip(page.shards, page.log_numbers, page.events, strict=True):
                cursor.advance(shard, log_number)
                yield event
            wait = _FIRST_WAIT if page.events else min(wait * 2, poll_interval)
            await asyncio.sleep(wait)

    def follow(self, *, after: uuid.UUID | None = None, event_types: Sequence[str] | None = None,
               page_size: int = 1000, poll_interval: float = 1.0) -> AsyncFollow:
        """As :meth:`eventstore.EventStore.follow`: ``async for`` it; ``stop()`` ends it within
        ``poll_interval``; ``async with`` closes it."""
        stopped = threading.Event()
        return AsyncFollow(self._follow(after, event_types, page_size, poll_interval, stopped), stopped)

    async def _follow(self, after: uuid.UUID | None, event_types: Sequence[str] | None, page_size: int,
                      poll_interval: float, stopped: threading.Event) -> AsyncIterator[RecordedEvent]:
        listener = await _listener(self.conninfo)
        wait = _FIRST_WAIT
        backoff = Backoff()
        try:
            while not stopped.is_set():
                try:
                    page = await self.read_all(after=after, event_types=event_types, limit=page_size)
                except Exception as error:
                    if not connection_lost(error):
                        raise
                    if listener is not None:
                        with contextlib.suppress(psycopg.Error):
                            await listener.close()
                        listener = None
                    await asyncio.sleep(_follow_lost(error, backoff))
                    with contextlib.suppress(Exception):
                        await self.pool.check()
                    continue
                if backoff.failures:
                    _follow_back(backoff)
                    listener = await _listener(self.conninfo)
                for event in page:
                    yield event
                if page:
                    after = page[-1].id
                    if len(page) == page_size:
                        continue
                wait = _FIRST_WAIT if page else min(wait * 2, poll_interval)
                if listener is None:
                    await asyncio.sleep(wait)
                    continue
                try:
                    async for _ in listener.notifies(timeout=wait, stop_after=1):
                        pass
                except psycopg.Error:
                    await listener.close()
                    listener = None
                    backoff.failures = max(backoff.failures, 1)
        finally:
            if listener is not None:
                await listener.close()

    @traced("load")
    async def load(self, stream_type: str, stream_id: uuid.UUID, *, as_of_version: int | None = None,
                   as_of: datetime | None = None,
                   conn: psycopg.AsyncConnection[Any] | None = None) -> tuple[Any, int]:
        row = (await self._rows(_sql.LOAD, (stream_type, stream_id, as_of_version, as_of), conn))[0]
        return row[0], row[1]

    @traced("events_by_correlation")
    async def events_by_correlation(self, correlation_id: str, *,
                                    conn: psycopg.AsyncConnection[Any] | None = None) -> list[RecordedEvent]:
        return [_sql.recorded(r) for r in await self._rows(_sql.BY_CORRELATION, (correlation_id,), conn)]

    @traced("causation_chain")
    async def causation_chain(self, event_id: uuid.UUID, *,
                              conn: psycopg.AsyncConnection[Any] | None = None) -> list[RecordedEvent]:
        return [_sql.recorded(r) for r in await self._rows(_sql.CAUSATION_CHAIN, (event_id,), conn)]

    # -- projections and subscriptions ---------------------------------------------------------

    @traced("run_projections")
    async def run_projections(self, *, conn: psycopg.AsyncConnection[Any] | None = None) -> int:
        applied: int = (await self._rows(_sql.RUN_PROJECTIONS, (), conn))[0][0]
        return applied

    @traced("projection_versions")
    async def projection_versions(self, projection: str | None = None, *,
                                  conn: psycopg.AsyncConnection[Any] | None = None) -> list[ProjectionVersion]:
        rows = await self._rows(_sql.PROJECTION_VERSIONS, (projection, projection), conn)
        return [ProjectionVersion(*r) for r in rows]

    @traced("promote_projection")
    async def promote_projection(self, projection: str, version: int, *,
                                 conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        await self._rows(_sql.PROMOTE, (projection, version), conn)

    @traced("claim")
    async def claim(self, subscription: str, consumer: str, limit: int = 100, *,
                    conn: psycopg.AsyncConnection[Any] | None = None) -> list[RecordedEvent]:
        return [_sql.recorded(r) for r in await self._rows(_sql.CLAIM, (subscription, consumer, limit), conn)]

    @traced("ack")
    async def ack(self, subscription: str, consumer: str, event_ids: Sequence[uuid.UUID], *,
                  conn: psycopg.AsyncConnection[Any] | None = None) -> int:
        count: int = (await self._rows(_sql.ACK, (subscription, consumer, list(event_ids)), conn))[0][0]
        return count

    @traced("nack")
    async def nack(self, subscription: str, consumer: str, event_id: uuid.UUID, error: str, *,
                   conn: psycopg.AsyncConnection[Any] | None = None) -> bool:
        given_back: bool = (await self._rows(_sql.NACK, (subscription, consumer, event_id, error), conn))[0][0]
        return given_back

    # -- subscriptions (an admin's calls: eventstore_admin) ----------------------------------

    @traced("create_subscription")
    async def create_subscription(self, name: str, *, stream_types: Sequence[str] | None = None,
                                  event_types: Sequence[str] | None = None, from_beginning: bool = True,
                                  max_attempts: int = 5, lease: timedelta = timedelta(seconds=30),
                                  conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        """A consumer group over the whole log (of ``stream_types`` / ``event_types`` only, if
        given), from its beginning or from now; an event is parked after ``max_attempts``
        failed deliveries; a claim holds its events for ``lease``."""
        params = _sql.subscription_params(name, stream_types, event_types, from_beginning, max_attempts, lease)
        await self._rows(_sql.CREATE_SUBSCRIPTION, params, conn)

    @traced("drop_subscription")
    async def drop_subscription(self, name: str, *, conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        """Drops the subscription with its in-flight and parked events."""
        await self._rows(_sql.DROP_SUBSCRIPTION, (name,), conn)

    @traced("set_subscription_role")
    async def set_subscription_role(self, name: str, role: str | None, *,
                                    conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        """Reserves the subscription for the members of ``role`` (None: any projector)."""
        await self._rows(_sql.SET_SUBSCRIPTION_ROLE, (name, role), conn)

    @traced("reset_subscription")
    async def reset_subscription(self, name: str, *, after: uuid.UUID | None = None,
                                 conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        """Moves the subscription to just after event ``after`` (None: the start of the log)."""
        await self._rows(_sql.RESET_SUBSCRIPTION, (name, after), conn)

    @traced("subscriptions")
    async def subscriptions(self, name: str | None = None, *,
                            conn: psycopg.AsyncConnection[Any] | None = None) -> list[Subscription]:
        """Every subscription (the one named ``name``), with its progress."""
        return [Subscription(*r) for r in await self._rows(_sql.SUBSCRIPTIONS, (name, name), conn)]

    @traced("parked_events")
    async def parked_events(self, subscription: str | None = None, *,
                            conn: psycopg.AsyncConnection[Any] | None = None) -> list[ParkedEvent]:
        """The parked events of every subscription (of ``subscription``), oldest first."""
        return [ParkedEvent(*r) for r in await self._rows(_sql.PARKED_EVENTS, (subscription, subscription), conn)]

    @traced("replay_parked")
    async def replay_parked(self, subscription: str, event_id: uuid.UUID, *,
                            conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        """Delivers a parked event again, with fresh attempts."""
        await self._rows(_sql.REPLAY_PARKED, (subscription, event_id), conn)

    @traced("skip_parked")
    async def skip_parked(self, subscription: str, event_id: uuid.UUID, *,
                          conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        """Discards a parked event: never delivered again; its stream flows on."""
        await self._rows(_sql.SKIP_PARKED, (subscription, event_id), conn)


async def _listener(conninfo: str | None) -> psycopg.AsyncConnection[Any] | None:
    if not conninfo:
        return None
    try:
        conn = await psycopg.AsyncConnection.connect(conninfo, **CONNECTION_KWARGS)
        await conn.execute(_sql.LISTEN)
        return conn
    except psycopg.Error:
        return None


class AsyncFollow(AsyncIterator[RecordedEvent]):
    """What :meth:`AsyncEventStore.follow` returns: ``async for`` the events; ``stop()`` (from
    any thread or task) ends the iteration within one poll interval; ``async with`` closes it."""

    def __init__(self, events: AsyncIterator[RecordedEvent], stopped: threading.Event) -> None:
        self._events = events
        self._stopped = stopped

    def __aiter__(self) -> AsyncFollow:
        return self

    async def __anext__(self) -> RecordedEvent:
        if self._stopped.is_set():
            await self.aclose()
            raise StopAsyncIteration
        return await anext(self._events)

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    async def aclose(self) -> None:
        self._stopped.set()
        close = getattr(self._events, "aclose", None)
        if close is not None:
            await close()

    async def __aenter__(self) -> AsyncFollow:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncShardedFollow(AsyncFollow):
    """What :meth:`AsyncEventStore.follow_shards` returns: an :class:`AsyncFollow` whose
    ``after`` is the cursor just past the last event it yielded (one log number per shard)."""

    def __init__(self, events: AsyncIterator[RecordedEvent], stopped: threading.Event,
                 cursor: _sql.ShardCursor) -> None:
        super().__init__(events, stopped)
        self._cursor = cursor

    @property
    def after(self) -> tuple[Decimal | None, ...]:
        return self._cursor.after
