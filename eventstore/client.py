"""The synchronous client: :class:`EventStore`."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from eventstore import _sql
from eventstore._pool import Pool
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
from eventstore.errors import AppendOrderConflict, WrongExpectedVersion, from_psycopg
from eventstore.telemetry import traced

S = TypeVar("S")

log = logging.getLogger("eventstore.client")

# Every connection the client opens is autocommit (each call is a transaction of its own unless
# the caller hands one in). Its own side connections (LISTEN) prepare nothing.
CONNECTION_KWARGS: dict[str, Any] = {"autocommit": True, "prepare_threshold": None}


def pool_kwargs(prepared_statements: bool) -> dict[str, Any]:
    """The connection settings of the client's pool: psycopg prepares a statement after 5 runs
    unless ``prepared_statements`` is false (behind a transaction-pooling pgbouncer 1.18, which
    cannot carry them from one server connection to another)."""
    return {"autocommit": True, "prepare_threshold": 5 if prepared_statements else None}
# follow(): how soon it reads again after a page that had events (doubling to poll_interval).
_FIRST_WAIT = 0.01


def listen_conninfo(pool_conninfo: object, given: str | None) -> str | None:
    """What a client connects to for LISTEN: the conninfo given, else its pool's (a pool may
    build its conninfo with a function: then LISTEN needs one given)."""
    if given is not None:
        return given
    return pool_conninfo if isinstance(pool_conninfo, str) else None


class translated:
    """psycopg errors with a documented SQLSTATE raised as the store's exceptions. A class, not
    a generator context manager: it is on the path of every call, and costs a third as much."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if isinstance(error, psycopg.Error):
            mapped = from_psycopg(error)
            if mapped is not None:
                raise mapped from error


class EventStore:
    """The event store, synchronously, over a psycopg_pool pool.

    Build it with :meth:`connect` (it owns the pool and closes it) or from a pool of yours
    (``EventStore(pool)``). Each method is one transaction of its own, unless you pass
    ``conn=``: then it runs in your connection and your transaction, and commits with it.
    """

    def __init__(self, pool: ConnectionPool, *, conninfo: str | None = None, owns_pool: bool = False,
                 reconnect_timeout: float = 30.0) -> None:
        self.pool = pool
        self.conninfo = listen_conninfo(pool.conninfo, conninfo)
        self._owns_pool = owns_pool
        self.reconnect_timeout = reconnect_timeout

    @classmethod
    def connect(cls, conninfo: str, *, min_size: int = 1, max_size: int = 10, prepared_statements: bool = True,
                reconnect_timeout: float = 30.0, **pool_options: Any) -> EventStore:
        """A client with a pool of its own. ``prepared_statements=False`` behind a pgbouncer in
        transaction pooling (see :func:`pool_kwargs`). ``conninfo`` may name several servers
        (``host=a,b,c ... target_session_attrs=read-write``: a pg_auto_failover formation); a
        call that lost its connection is made again for up to ``reconnect_timeout`` seconds
        where that is safe (see :meth:`_rows`)."""
        configure = pool_options.pop("configure", None)

        def configured(conn: psycopg.Connection[Any]) -> None:
            _sql.decode_json_directly(conn)
            if configure is not None:
                configure(conn)

        pool = Pool(conninfo, min_size=min_size, max_size=max_size, configure=configured,
                              kwargs=pool_kwargs(prepared_statements), open=True, **pool_options)
        return cls(pool, conninfo=conninfo, owns_pool=True, reconnect_timeout=reconnect_timeout)

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def connection(self, conn: psycopg.Connection[Any] | None = None) -> Iterator[psycopg.Connection[Any]]:
        """The caller's connection, or one of the pool's for one transaction."""
        if conn is not None:
            yield conn
            return
        with self.pool.connection() as pooled:
            yield pooled

    def _rows(self, query: str, params: Sequence[Any], conn: psycopg.Connection[Any] | None,
              repeatable: bool = True) -> list[tuple[Any, ...]]:
        """The rows of one statement, in ``conn`` or in a pooled connection (autocommit: the
        statement is its transaction; a caller's pool without autocommit gets a commit). The
        hot path of every call: the pool's getconn and putconn without its context manager,
        whose commit on exit an autocommit connection does not need.

        In a pooled connection a lost connection (a restart, a failover) is waited out: the
        call is made again on a new connection, backing off, for up to ``reconnect_timeout``
        seconds, when it is ``repeatable`` (a read, or a write the store applies once however
        often it comes) or provably did not run (a read-only server refused it); a write that
        is not (an append without an idempotency key) raises OutcomeUnknown. A call that met
        42883 is made once more (see :data:`eventstore._retry.UPGRADED_UNDER_IT`)."""
        with translated():
            if conn is not None:
                return conn.execute(query, params).fetchall()
            attempts = CallAttempts(self.reconnect_timeout, repeatable)
            while True:
                try:
                    return self._pooled_rows(query, params)
                except psycopg.Error as error:
                    delay = attempts.after(error)
                    if delay is not None:
                        with contextlib.suppress(Exception):
                            self.pool.check()  # the pool's connections to the lost server go
                        time.sleep(delay)

    def _pooled_rows(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        pooled = self.pool.getconn()
        try:
            rows = pooled.execute(query, params).fetchall()
            if not pooled.autocommit:  # a pool of the caller's, not in autocommit
                pooled.commit()
            return rows
        except BaseException:
            if not pooled.autocommit and not pooled.closed:
                pooled.rollback()
            raise
        finally:
            self.pool.putconn(pooled)

    # -- writing ---------------------------------------------------------------------------

    @traced("append")
    def append(self, stream_type: str, stream_id: uuid.UUID, events: Sequence[NewEvent], *,
               expected_version: ExpectedVersion, idempotency_key: uuid.UUID | None = None,
               conn: psycopg.Connection[Any] | None = None) -> int:
        """Appends ``events`` to the stream; returns its new version. ``expected_version``: the
        version you read (an int), NO_STREAM (it must be new) or ANY (no check)."""
        batch = _sql.events_json(events)
        expected = expected_sql(expected_version)
        if idempotency_key is None:
            rows = self._rows(_sql.APPEND, (stream_type, stream_id, expected, batch), conn, repeatable=False)
        else:
            rows = self._rows(_sql.APPEND_IDEMPOTENT, (stream_type, stream_id, expected, batch, idempotency_key), conn)
        version: int = rows[0][0]
        return version

    @traced("append_tagged")
    def append_tagged(self, events: Sequence[TaggedEvent], *, fail_if_match: Sequence[QueryItem] | None = None,
                      after: int | None = None, conn: psycopg.Connection[Any] | None = None) -> int:
        """Appends ``events`` with their tags (docs/dcb.md); returns the position of the last.
        With ``fail_if_match`` (a query), only if no event matching it was appended after
        ``after`` (the head of your read; None: ever), decided atomically: ConditionFailed
        otherwise, and nothing is written. Not made again on a lost connection (OutcomeUnknown)."""
        rows = self._rows(_sql.APPEND_TAGGED, (_sql.tagged_json(events), _sql.query_json(fail_if_match), after), conn,
                          repeatable=False)
        return int(rows[0][0])

    @traced("read_tagged")
    def read_tagged(self, query: Sequence[QueryItem] | None = None, *, after: int | None = None,
                    limit: int | None = None, conn: psycopg.Connection[Any] | None = None) -> TaggedRead:
        """The tagged events matching ``query`` (None or []: all) after position ``after``, in log
        order, at most ``limit`` (None: all), gap-free; with the head to pass as ``after`` to a
        conditional append decided on what was read."""
        if limit is not None and limit <= 0:
            return TaggedRead(events=[], head=None)
        q = _sql.query_json(query)
        pager = _sql.TaggedPager(self._rows(_sql.READ_TAGGED_FIRST, (q, after, _sql.first_page(limit)), conn), q, limit,
                                 _sql.tagged_event)
        while (request := pager.request()) is not None:
            pager.add(self._rows(_sql.READ_TAGGED, request, conn))
        events, head = pager.result()
        return TaggedRead(events=events, head=head)

    @traced("delete_stream")
    def delete_stream(self, stream_type: str, stream_id: uuid.UUID, *, expected_version: ExpectedVersion,
                      conn: psycopg.Connection[Any] | None = None) -> int:
        """Soft-deletes the stream (a tombstone event); returns the tombstone's version."""
        version: int = self._rows(_sql.DELETE_STREAM, (stream_type, stream_id, expected_sql(expected_version)),
                                  conn, repeatable=False)[0][0]
        return version

    @traced("decide")
    def decide(self, stream_type: str, stream_id: uuid.UUID, *, fold: Callable[[S, RecordedEvent], S],
               decide: Callable[[S], Sequence[NewEvent]], initial: S, max_retries: int = 10,
               idempotency_key: uuid.UUID | None = None, caused_by: RecordedEvent | None = None,
               metadata: Mapping[str, Any] | None = None,
               conn: psycopg.Connection[Any] | None = None) -> Decision:
        """Read the stream, fold it into a state, decide the new events, append them with the
        version read; on a concurrency conflict (WrongExpectedVersion, AppendOrderConflict) do
        it all again, up to ``max_retries`` times. Returns the stream's version afterwards, a
        :class:`Decision` (an int) whose ``events`` are the events appended.

        With ``idempotency_key`` (the command's id) the append is idempotent: a decision whose
        connection was lost while it committed is made again safely (the client does it), and
        the same command decided twice appends once. ``caused_by``: the event a process manager
        handles; each new event's metadata gets ``causation_id`` (its id) and ``correlation_id``
        (its correlation id, else its id), and without a key of yours the key is derived from
        it and the stream, so that handling the event again appends nothing. ``metadata``: more
        keys for each new event (an event's own keys win). ``conn``: in your transaction, each
        attempt in a savepoint of it (at READ COMMITTED an attempt reads what the last one
        lost to); an AppendOrderConflict (your transaction wrote before it decided, and a newer
        one appended to the stream) is raised: make your transaction again."""
        key = decision_key(idempotency_key, caused_by, stream_type, stream_id)
        for attempt in range(max_retries + 1):
            try:
                with contextlib.nullcontext() if conn is None else conn.transaction():
                    events = self.read_stream(stream_type, stream_id, conn=conn)
                    state = initial
                    for event in events:
                        state = fold(state, event)
                    version = events[-1].version if events else 0
                    new = decision_events(decide(state), caused_by, metadata)
                    if not new:
                        return Decision(version)
                    after = self.append(stream_type, stream_id, new, expected_version=version or NO_STREAM,
                                        idempotency_key=key, conn=conn)
                    appended = self.read_stream(stream_type, stream_id, from_version=version + 1, to_version=after,
                                                conn=conn) if after > version else []
                    return Decision(after, appended)
            except (WrongExpectedVersion, AppendOrderConflict) as conflict:
                # In the caller's transaction an append order conflict is for good: its
                # transaction id stays older than the stream's last appender. It must be made again.
                if attempt == max_retries or (conn is not None and isinstance(conflict, AppendOrderConflict)):
                    raise
                time.sleep(min(0.001 * 2 ** attempt, 0.05))
        raise AssertionError("unreachable")

    # -- reading ---------------------------------------------------------------------------

    @traced("read_stream")
    def read_stream(self, stream_type: str, stream_id: uuid.UUID, *, from_version: int = 1,
                    to_version: int | None = None, conn: psycopg.Connection[Any] | None = None) -> list[RecordedEvent]:
        """The stream's events from ``from_version`` to ``to_version``, both inclusive."""
        params = _sql.read_stream_params(stream_type, stream_id, from_version, to_version)
        return [_sql.recorded(r) for r in self._rows(_sql.READ_STREAM, params, conn)]

    @traced("stream_version")
    def stream_version(self, stream_type: str, stream_id: uuid.UUID, *,
                       conn: psycopg.Connection[Any] | None = None) -> int:
        """The stream's current version (0 for a stream that does not exist)."""
        version: int = self._rows(_sql.STREAM_VERSION, (stream_type, stream_id), conn)[0][0]
        return version

    @traced("read_all")
    def read_all(self, *, after: uuid.UUID | None = None, event_types: Sequence[str] | None = None,
                 limit: int = 1000, conn: psycopg.Connection[Any] | None = None) -> list[RecordedEvent]:
        """A page of the whole log after the event ``after`` (None: from the start), in the
        gap-free log order: a transaction that commits late is never passed."""
        query, params = _sql.read_all_query(after, event_types, limit)
        return [_sql.recorded(r) for r in self._rows(query, params, conn)]

    def read_shards(self, *, after: Sequence[Decimal | None] | None = None,
                  event_types: Sequence[str] | None = None, limit: int = 1000,
                  conn: psycopg.Connection[Any] | None = None) -> ShardedPage:
        """A page of the whole log of a sharded store, through its endpoint (docs/sharding.md):
        each shard's events after its element of ``after`` (None: from the start of every
        shard), up to ``limit`` a shard, gap-free and in log order within a shard. Pass the
        page's ``after`` to the next call; a page with no events is the end, for now."""
        if after is None:
            count = (self._rows(_sql.SHARD_COUNT, (), conn))[0][0]
            after = [None] * count
        types = None if event_types is None else list(event_types)
        rows = self._rows(_sql.READ_SHARDS, (list(after), limit, types), conn)
        return _sql.sharded_page(rows, after)

    def follow_shards(self, *, after: Sequence[Decimal | None] | None = None,
                      event_types: Sequence[str] | None = None, page_size: int = 1000,
                      poll_interval: float = 1.0) -> ShardedFollow:
        """:meth:`follow` over a sharded store's endpoint: every event of every shard after
        ``after`` (one log number per shard, None: from the start), then each new one as it
        comes, by polling (a shard's notifications do not reach the endpoint): 10 ms after a page
        with events, doubling up to ``poll_interval`` seconds while nothing comes. Gap-free and
        in order within a shard, no order across shards. The returned :class:`ShardedFollow`'s
        ``after`` is the cursor just past the last event it yielded: keep it as the checkpoint.
        A lost connection is waited out as by :meth:`follow`."""
        stopped = threading.Event()
        cursor = _sql.ShardCursor(after)
        return ShardedFollow(self._follow_shards(cursor, event_types, page_size, poll_interval, stopped), stopped,
                             cursor)

    def _follow_shards(self, cursor: _sql.ShardCursor, event_types: Sequence[str] | None, page_size: int,
                       poll_interval: float, stopped: threading.Event) -> Iterator[RecordedEvent]:
        wait = _FIRST_WAIT
        backoff = Backoff()
        while not stopped.is_set():
            try:
                page = self.read_shards(after=cursor.positions, event_types=event_types, limit=page_size)
            except Exception as error:
                if not connection_lost(error):
                    raise
                time.sleep(_follow_lost(error, backoff))
                with contextlib.suppress(Exception):
                    self.pool.check()  # the pool's connections to the lost server go
                continue
            if backoff.failures:
                _follow_back(backoff)
            if cursor.positions is None:
                cursor.positions = [None] * len(page.after)
            for shard, log_number, event in zip(page.shards, page.log_numbers, page.events, strict=True):
                cursor.advance(shard, log_number)
                yield event
            # Under load, look again soon; when idle, back off to poll_interval.
            wait = _FIRST_WAIT if page.events else min(wait * 2, poll_interval)
            stopped.wait(wait)

    def follow(self, *, after: uuid.UUID | None = None, event_types: Sequence[str] | None = None,
               page_size: int = 1000, poll_interval: float = 1.0) -> Follow:
        """Every event after ``after``, then each new one as it becomes readable, for ever (a
        catch-up subscription): page to the end, then wait for a notification (LISTEN, on a
        connection of its own) or a poll: 10 ms after a page with events, doubling up to
        ``poll_interval`` seconds while nothing comes. A lost connection is logged and waited
        out (backing off from 0.1 s to 2 s); it goes on after the last event it yielded, so
        nothing is missed or yielded twice. Returns a :class:`Follow`: iterate it; ``stop()``
        (from any thread) ends it within ``poll_interval``; ``with`` closes it."""
        stopped = threading.Event()
        return Follow(self._follow(after, event_types, page_size, poll_interval, stopped), stopped)

    def _follow(self, after: uuid.UUID | None, event_types: Sequence[str] | None, page_size: int,
                poll_interval: float, stopped: threading.Event) -> Iterator[RecordedEvent]:
        listener = _listener(self.conninfo)
        wait = _FIRST_WAIT
        backoff = Backoff()
        try:
            while not stopped.is_set():
                try:
                    page = self.read_all(after=after, event_types=event_types, limit=page_size)
                except Exception as error:
                    if not connection_lost(error):
                        raise
                    if listener is not None:
                        with contextlib.suppress(psycopg.Error):
                            listener.close()
                        listener = None
                    time.sleep(_follow_lost(error, backoff))
                    with contextlib.suppress(Exception):
                        self.pool.check()  # the pool's connections to the lost server go
                    continue
                if backoff.failures:
                    _follow_back(backoff)
                    listener = _listener(self.conninfo)
                yield from page
                if page:
                    after = page[-1].id
                    if len(page) == page_size:
                        continue
                # Under load, look again soon; when idle, back off to poll_interval.
                wait = _FIRST_WAIT if page else min(wait * 2, poll_interval)
                if listener is None:
                    time.sleep(wait)
                    continue
                try:
                    for _ in listener.notifies(timeout=wait, stop_after=1):
                        pass
                except psycopg.Error:
                    listener.close()
                    listener = None  # polls until the next read finds the server again
                    backoff.failures = max(backoff.failures, 1)
        finally:
            if listener is not None:
                listener.close()

    @traced("load")
    def load(self, stream_type: str, stream_id: uuid.UUID, *, as_of_version: int | None = None,
             as_of: datetime | None = None, conn: psycopg.Connection[Any] | None = None) -> tuple[Any, int]:
        """The aggregate's state and version, folded by its registered reducer (now, or as of a
        version or a time)."""
        row = self._rows(_sql.LOAD, (stream_type, stream_id, as_of_version, as_of), conn)[0]
        return row[0], row[1]

    @traced("events_by_correlation")
    def events_by_correlation(self, correlation_id: str, *,
                              conn: psycopg.Connection[Any] | None = None) -> list[RecordedEvent]:
        return [_sql.recorded(r) for r in self._rows(_sql.BY_CORRELATION, (correlation_id,), conn)]

    @traced("causation_chain")
    def causation_chain(self, event_id: uuid.UUID, *,
                        conn: psycopg.Connection[Any] | None = None) -> list[RecordedEvent]:
        return [_sql.recorded(r) for r in self._rows(_sql.CAUSATION_CHAIN, (event_id,), conn)]

    # -- projections and subscriptions ---------------------------------------------------------

    @traced("run_projections")
    def run_projections(self, *, conn: psycopg.Connection[Any] | None = None) -> int:
        """Runs every projection once (what pg_cron's worker does); returns events applied."""
        applied: int = self._rows(_sql.RUN_PROJECTIONS, (), conn)[0][0]
        return applied

    @traced("projection_versions")
    def projection_versions(self, projection: str | None = None, *,
                            conn: psycopg.Connection[Any] | None = None) -> list[ProjectionVersion]:
        """Every version of ``projection`` (of every projection when None), the live one first."""
        return [ProjectionVersion(*r) for r in self._rows(_sql.PROJECTION_VERSIONS, (projection, projection), conn)]

    @traced("promote_projection")
    def promote_projection(self, projection: str, version: int, *,
                           conn: psycopg.Connection[Any] | None = None) -> None:
        """Makes ``version`` the live version of ``projection`` in one transaction (an admin's
        call; docs/guide/projections.md, "Changing a projection without downtime"). ProjectionStateError (ZE011)
        when it is failed, paused or too far behind; RebuildFailed (ZE012) when it fails
        catching up."""
        self._rows(_sql.PROMOTE, (projection, version), conn)

    @traced("claim")
    def claim(self, subscription: str, consumer: str, limit: int = 100, *,
              conn: psycopg.Connection[Any] | None = None) -> list[RecordedEvent]:
        return [_sql.recorded(r) for r in self._rows(_sql.CLAIM, (subscription, consumer, limit), conn)]

    @traced("ack")
    def ack(self, subscription: str, consumer: str, event_ids: Sequence[uuid.UUID], *,
            conn: psycopg.Connection[Any] | None = None) -> int:
        count: int = self._rows(_sql.ACK, (subscription, consumer, list(event_ids)), conn)[0][0]
        return count

    @traced("nack")
    def nack(self, subscription: str, consumer: str, event_id: uuid.UUID, error: str, *,
             conn: psycopg.Connection[Any] | None = None) -> bool:
        given_back: bool = self._rows(_sql.NACK, (subscription, consumer, event_id, error), conn)[0][0]
        return given_back

    # -- subscriptions (an admin's calls: eventstore_admin) ----------------------------------

    @traced("create_subscription")
    def create_subscription(self, name: str, *, stream_types: Sequence[str] | None = None,
                            event_types: Sequence[str] | None = None, from_beginning: bool = True,
                            max_attempts: int = 5, lease: timedelta = timedelta(seconds=30),
                            conn: psycopg.Connection[Any] | None = None) -> None:
        """A consumer group over the whole log (of ``stream_types`` / ``event_types`` only, if
        given), from its beginning or from now; an event is parked after ``max_attempts``
        failed deliveries; a claim holds its events for ``lease``."""
        self._rows(_sql.CREATE_SUBSCRIPTION, _sql.subscription_params(name, stream_types, event_types, from_beginning,
                                                                       max_attempts, lease), conn)

    @traced("drop_subscription")
    def drop_subscription(self, name: str, *, conn: psycopg.Connection[Any] | None = None) -> None:
        """Drops the subscription with its in-flight and parked events."""
        self._rows(_sql.DROP_SUBSCRIPTION, (name,), conn)

    @traced("set_subscription_role")
    def set_subscription_role(self, name: str, role: str | None, *,
                              conn: psycopg.Connection[Any] | None = None) -> None:
        """Reserves the subscription for the members of ``role`` (None: any projector)."""
        self._rows(_sql.SET_SUBSCRIPTION_ROLE, (name, role), conn)

    @traced("reset_subscription")
    def reset_subscription(self, name: str, *, after: uuid.UUID | None = None,
                           conn: psycopg.Connection[Any] | None = None) -> None:
        """Moves the subscription to just after event ``after`` (None: the start of the log)."""
        self._rows(_sql.RESET_SUBSCRIPTION, (name, after), conn)

    @traced("subscriptions")
    def subscriptions(self, name: str | None = None, *,
                      conn: psycopg.Connection[Any] | None = None) -> list[Subscription]:
        """Every subscription (the one named ``name``), with its progress."""
        return [Subscription(*r) for r in self._rows(_sql.SUBSCRIPTIONS, (name, name), conn)]

    @traced("parked_events")
    def parked_events(self, subscription: str | None = None, *,
                      conn: psycopg.Connection[Any] | None = None) -> list[ParkedEvent]:
        """The parked events of every subscription (of ``subscription``), oldest first."""
        return [ParkedEvent(*r) for r in self._rows(_sql.PARKED_EVENTS, (subscription, subscription), conn)]

    @traced("replay_parked")
    def replay_parked(self, subscription: str, event_id: uuid.UUID, *,
                      conn: psycopg.Connection[Any] | None = None) -> None:
        """Delivers a parked event again, with fresh attempts."""
        self._rows(_sql.REPLAY_PARKED, (subscription, event_id), conn)

    @traced("skip_parked")
    def skip_parked(self, subscription: str, event_id: uuid.UUID, *,
                    conn: psycopg.Connection[Any] | None = None) -> None:
        """Discards a parked event: never delivered again; its stream flows on."""
        self._rows(_sql.SKIP_PARKED, (subscription, event_id), conn)


class Follow(Iterator[RecordedEvent]):
    """What :meth:`EventStore.follow` returns: an iterator of the events; ``stop()``, from any
    thread (a signal handler, a shutdown hook), ends the iteration within one poll interval;
    ``with store.follow() as events:`` closes it (and its LISTEN connection) on the way out."""

    def __init__(self, events: Iterator[RecordedEvent], stopped: threading.Event) -> None:
        self._events = events
        self._stopped = stopped

    def __iter__(self) -> Follow:
        return self

    def __next__(self) -> RecordedEvent:
        if self._stopped.is_set():
            self.close()
            raise StopIteration
        return next(self._events)

    def stop(self) -> None:
        """Ends the iteration: at once between events, within one poll interval while waiting."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def close(self) -> None:
        """Stops and releases the LISTEN connection (from the iterating thread)."""
        self._stopped.set()
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Follow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ShardedFollow(Follow):
    """What :meth:`EventStore.follow_shards` returns: a :class:`Follow` whose ``after`` is the
    cursor just past the last event it yielded (one log number per shard)."""

    def __init__(self, events: Iterator[RecordedEvent], stopped: threading.Event,
                 cursor: _sql.ShardCursor) -> None:
        super().__init__(events, stopped)
        self._cursor = cursor

    @property
    def after(self) -> tuple[Decimal | None, ...]:
        return self._cursor.after


def _follow_lost(error: BaseException, backoff: Backoff) -> float:
    """Logs a lost connection of follow(); returns how long to wait."""
    delay = backoff.next()
    log.warning("follow(): lost its connection (%s: %s); trying again in %.1f s (attempt %d)",
                type(error).__name__, str(error).strip(), delay, backoff.failures)
    return delay


def _follow_back(backoff: Backoff) -> None:
    log.warning("follow(): connected again after %d failed attempts", backoff.failures)
    backoff.reset()


def _listener(conninfo: str | None) -> psycopg.Connection[Any] | None:
    """A connection listening for new events, or None where LISTEN cannot be had."""
    if not conninfo:
        return None
    try:
        conn = psycopg.connect(conninfo, **CONNECTION_KWARGS)
        conn.execute(_sql.LISTEN)
        return conn
    except psycopg.Error:
        return None
