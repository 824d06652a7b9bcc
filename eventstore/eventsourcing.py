"""eventsourcing applications on the event store: ``PERSISTENCE_MODULE=eventstore.eventsourcing``.

A persistence module for the Python library `eventsourcing` (9.5): its :class:`Factory` makes
the aggregate, application, tracking and process recorders, configured by the same variables
as eventsourcing's own PostgreSQL module (``POSTGRES_DBNAME``, ``POSTGRES_HOST``,
``POSTGRES_PORT``, ``POSTGRES_USER``, ``POSTGRES_PASSWORD``, the pool settings). The role needs
``eventstore_writer`` (and ``eventstore_projector`` for process applications); everything goes
through the store's ``api`` (docs/eventsourcing.md has the whole mapping):

- An application's events are a stream type named for the application; an aggregate is a
  stream (its UUID; a string id maps to a UUIDv5 and is kept in ``metadata.originator_id``);
  the topic is the event type; ``originator_version`` is kept in
  ``metadata.originator_version`` (``api.append_versioned``: a stream may start at any version,
  the store's own versions still count from 1). Snapshots are the stream type
  ``<application>.snapshots`` (versions with gaps).
- ``event_data`` is the JSON object eventsourcing's JSON transcoder wrote, so projections,
  subscriptions, upcasters, crypto-shredding and SQL see it; any other state (a cipher, a
  compressor, not a JSON object) is kept as ``{"base64": ...}`` with
  ``metadata.state_encoding = "base64"`` and comes back byte for byte.
- Notification ids are the store's log numbers (``api.read_log``): strictly increasing in the
  gap-free log order, one block per transaction, known at insert, never skipping an event of a
  transaction that commits late. They are not contiguous across transactions.
- Tracking records (``api.record_tracking``) are written in the transaction of the events;
  a position only grows.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import psycopg
import psycopg.errors
from eventsourcing.dcb.api import (
    DCBAppendCondition,
    DCBEvent,
    DCBQuery,
    DCBReadResponse,
    DCBRecorder,
    DCBSequencedEvent,
)
from eventsourcing.dcb.persistence import DCBInfrastructureFactory, DCBListenNotifySubscription
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DatabaseError,
    DataError,
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    InternalError,
    ListenNotifySubscription,
    Notification,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProcessRecorder,
    ProgrammingError,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool
from psycopg.conninfo import make_conninfo
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from eventstore import _sql
from eventstore._pool import Pool
from eventstore._retry import Backoff, connection_lost

__all__ = [
    "ORIGINATOR_ID_NAMESPACE",
    "Datastore",
    "EventStoreAggregateRecorder",
    "EventStoreApplicationRecorder",
    "EventStoreProcessRecorder",
    "EventStoreSubscription",
    "EventStoreTrackingRecorder",
    "Factory",
]

# String originator ids name the stream uuid5(ORIGINATOR_ID_NAMESPACE, id).
ORIGINATOR_ID_NAMESPACE = uuid.UUID("5f0a8e44-6d0c-5b7e-9a53-2f4c1de0b7a1")
log = logging.getLogger("eventstore.eventsourcing")

# The channel the store's "notifications" projection announces readable events on.
CHANNEL = "eventstore_events"

_INTEGRITY = {"ZE001", "ZE015", "ZE018", "ZE021"}
_DATA = {"ZE002", "ZE003", "ZE006"}
_OPERATIONAL = {"40001", "40P01", "55P03", "57014"}
# JSON text that jsonb would not give back as the same value: NUL, surrogate escapes.
_INTEGER = re.compile(r"-?[0-9]{1,10}")
_NOT_JSONB = re.compile(r"\\u0000|\\u[dD][89a-fA-F]")


def translated(error: psycopg.Error) -> PersistenceError:
    """eventsourcing's exception for a psycopg error: a version or tracking position taken is
    IntegrityError, bad input DataError, what a retry can cure OperationalError."""
    state = error.sqlstate or ""
    cls: type[PersistenceError]
    if state in _INTEGRITY or isinstance(error, psycopg.errors.IntegrityError):
        cls = IntegrityError
    elif state in _DATA or isinstance(error, psycopg.DataError):
        cls = DataError
    elif state in _OPERATIONAL or isinstance(error, psycopg.OperationalError):
        cls = OperationalError
    elif isinstance(error, psycopg.ProgrammingError) or state == "ZE019":
        cls = ProgrammingError
    elif isinstance(error, psycopg.InternalError):
        cls = InternalError
    elif isinstance(error, psycopg.NotSupportedError):
        cls = NotSupportedError
    elif isinstance(error, psycopg.InterfaceError):
        cls = InterfaceError
    else:
        cls = DatabaseError
    return cls(str(error))


class Datastore:
    """A psycopg_pool pool whose connections read jsonb as text (the state is JSON text already)."""

    def __init__(self, conninfo: str, *, pool_size: int = 5, max_overflow: int = 10, max_waiting: int = 0,
                 connect_timeout: float = 30.0, conn_max_age: float | None = None, pre_ping: bool = False,
                 lock_timeout: int = 0, idle_in_transaction_session_timeout: float = 5.0) -> None:
        self.conninfo = conninfo
        self._settings = (f"SET lock_timeout = '{int(lock_timeout)}s'; SET idle_in_transaction_session_timeout = "
                          f"'{int(idle_in_transaction_session_timeout * 1000)}ms'")
        self.pool: ConnectionPool = Pool(
            conninfo, kwargs={"autocommit": True}, min_size=pool_size, max_size=pool_size + max_overflow,
            max_waiting=max_waiting, timeout=connect_timeout, max_lifetime=conn_max_age or 3600.0,
            check=ConnectionPool.check_connection if pre_ping else None, configure=self._configure,
            open=True, name="eventstore.eventsourcing")

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.adapters.register_loader("jsonb", TextLoader)
        conn.execute(self._settings)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection in a transaction, committed at the end; psycopg errors translated."""
        try:
            with self.pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.Error as error:
            raise translated(error) from error

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection in autocommit (each statement its own transaction); errors translated."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except psycopg.Error as error:
            raise translated(error) from error

    def close(self) -> None:
        self.pool.close()


# -- events as the store keeps them ------------------------------------------------------------

class _NotExact(Exception):
    pass


def _exact_float(text: str) -> float:
    """A float jsonb gives back as the same float (numeric keeps what it is given, but writes
    large integral values without an exponent, which JSON then reads as an int)."""
    value = float(text)
    if not math.isfinite(value) or (value == 0 and text.startswith("-")) or (value.is_integer() and abs(value) >= 1e15):
        raise _NotExact
    return value


def _refuse_constant(text: str) -> Any:
    raise _NotExact


def json_object_text(state: bytes) -> str | None:
    """The state as JSON text if it is a JSON object jsonb keeps exactly, else None."""
    if not state.startswith(b"{"):
        return None
    try:
        text = state.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _NOT_JSONB.search(text):
        return None
    try:
        value = json.loads(text, parse_float=_exact_float, parse_constant=_refuse_constant)
    except (ValueError, _NotExact):
        return None
    return text if isinstance(value, dict) else None


def stream_id_of(originator_id: uuid.UUID | str) -> uuid.UUID:
    if isinstance(originator_id, uuid.UUID):
        return originator_id
    return uuid.uuid5(ORIGINATOR_ID_NAMESPACE, originator_id)


def event_json(event: StoredEvent) -> str:
    """One event as api.append_events takes it, its version in metadata.originator_version."""
    metadata = f'{{"originator_version":{int(event.originator_version)}'
    if isinstance(event.originator_id, str):
        metadata += f',"originator_id":{json.dumps(event.originator_id)}'
    data = json_object_text(event.state)
    if data is None:
        data = f'{{"base64":"{base64.b64encode(event.state).decode("ascii")}"}}'
        metadata += ',"state_encoding":"base64"'
    return f'{{"event_type":{json.dumps(event.topic)},"event_data":{data},"metadata":{metadata}}}}}'


def streams_json(events: Sequence[StoredEvent]) -> str:
    """api.append_versioned's in_streams: runs of consecutive events of one stream, in order."""
    runs: list[str] = []
    i = 0
    while i < len(events):
        j = i + 1
        while j < len(events) and events[j].originator_id == events[i].originator_id:
            j += 1
        runs.append(f'{{"stream_id":"{stream_id_of(events[i].originator_id)}","events":['
                    + ",".join(event_json(e) for e in events[i:j]) + "]}")
        i = j
    return "[" + ",".join(runs) + "]"


def state_of(data: str, encoding: str | None) -> bytes:
    """The state as eventsourcing wrote it, from event_data and metadata.state_encoding."""
    if encoding == "base64":
        return base64.b64decode(json.loads(data)["base64"])
    return data.encode("utf-8")


# -- recorders ---------------------------------------------------------------------------------

# How long a recorder's call waits out a lost connection (a restart, a failover): it is made
# again, backing off, on a new connection, as eventsourcing's own PostgreSQL recorders do. An
# insert whose commit was lost and that had committed then meets its own versions: IntegrityError,
# as on eventsourcing's own module.
RECONNECT_TIMEOUT = 30.0
_P = ParamSpec("_P")
_R = TypeVar("_R")


def reconnecting(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """The recorder's method, made again while its error comes from a lost connection."""

    @functools.wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        backoff: Backoff | None = None
        deadline = 0.0
        while True:
            try:
                return method(*args, **kwargs)
            except (OperationalError, InterfaceError) as error:
                if error.__cause__ is None or not connection_lost(error.__cause__):
                    raise
                if backoff is None:
                    backoff, deadline = Backoff(), time.monotonic() + RECONNECT_TIMEOUT
                if time.monotonic() > deadline:
                    raise
                datastore = getattr(args[0], "datastore", None) if args else None
                if isinstance(datastore, Datastore):
                    with contextlib.suppress(Exception):
                        datastore.pool.check()
                delay = backoff.next()
                log.warning("%s: lost the connection (%s); trying again in %.1f s", method.__qualname__,
                            error, delay)
                time.sleep(delay)

    return call


def own_version(text: str | None, version: int) -> int:
    """An event's own version (metadata.originator_version as text), else its store version
    (as the store's private.own_version: what is not an integer of the integer range is none)."""
    if text is None:
        return version
    if len(text) < 10 and text.isascii() and text.isdigit():  # the common case, without the regex
        return int(text)
    if _INTEGER.fullmatch(text) and -2147483648 <= int(text) <= 2147483647:
        return int(text)
    return version


class EventStoreAggregateRecorder(AggregateRecorder):
    """Events (or snapshots, ``gaps=True``) of one stream type, through api.append_versioned and
    api.read_versioned."""

    def __init__(self, datastore: Datastore, stream_type: str, *, gaps: bool = False) -> None:
        self.datastore = datastore
        self.stream_type = stream_type
        self.gaps = gaps

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        self._insert(stored_events, kwargs.get("tracking"))
        return None

    @reconnecting
    def _insert(self, stored_events: Sequence[StoredEvent], tracking: Tracking | None) -> list[int]:
        payload = streams_json(stored_events) if stored_events else None
        with self.datastore.transaction() as conn:
            numbers: list[int] = []
            if payload is not None:
                row = conn.execute("SELECT api.append_versioned(%s, %s::jsonb, %s)",
                                   (self.stream_type, payload, self.gaps)).fetchone()
                assert row is not None
                numbers = [int(n) for n in row[0]]
            if tracking is not None:
                self._record_tracking(conn, tracking)
        return numbers

    def _record_tracking(self, conn: psycopg.Connection[Any], tracking: Tracking) -> None:
        raise ProgrammingError(f"{type(self).__name__} records no tracking")

    @reconnecting
    def select_events(self, originator_id: uuid.UUID | str, *, gt: int | None = None, lte: int | None = None,
                      desc: bool = False, limit: int | None = None) -> Sequence[StoredEvent]:
        with self.datastore.connection() as conn:
            rows = conn.execute(
                "SELECT version, event_type, event_data, metadata ->> 'state_encoding'"
                " FROM api.read_versioned(%s, %s, %s, %s, %s, %s, %s)",
                (self.stream_type, stream_id_of(originator_id), gt, lte, desc, limit, self.gaps)).fetchall()
        return [StoredEvent(originator_id=originator_id, originator_version=version, topic=topic,
                            state=state_of(data, encoding))
                for version, topic, data, encoding in rows]


class EventStoreApplicationRecorder(EventStoreAggregateRecorder, ApplicationRecorder):
    """An application's events with notification ids: the store's log numbers."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        return self._insert(stored_events, kwargs.get("tracking"))

    @reconnecting
    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> Sequence[Notification]:
        if limit <= 0:
            return []
        after = None if start is None else (start - 1 if inclusive_of_start else start)
        with self.datastore.connection() as conn:
            rows = conn.execute(
                "SELECT log_number, stream_id, metadata ->> 'originator_id',"
                " metadata ->> 'originator_version', version, event_type, event_data,"
                " metadata ->> 'state_encoding' FROM api.read_log(%s, %s, ARRAY[%s], %s, %s)",
                (after if after is None or after > 0 else None, limit, self.stream_type,
                 list(topics) or None, stop)).fetchall()
        # A string originator id is kept in metadata.originator_id; a UUID is the stream id. The
        # common cases of own_version and state_of are written out: a page is hundreds of rows,
        # and the calls were a fifth of the time spent on it here.
        return [Notification(id=int(number), originator_id=stream_id if named is None else named,
                             originator_version=(int(own) if own is not None and len(own) < 10 and own.isascii()
                                                 and own.isdigit() else own_version(own, version)),
                             topic=topic, state=data.encode() if encoding is None else state_of(data, encoding))
                for number, stream_id, named, own, version, topic, data, encoding in rows]

    @reconnecting
    def max_notification_id(self) -> int | None:
        with self.datastore.connection() as conn:
            row = conn.execute("SELECT api.last_log_number(ARRAY[%s])", (self.stream_type,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return EventStoreSubscription(self, gt=gt, topics=topics)


class EventStoreTrackingRecorder(TrackingRecorder):
    """How far an application (the tracker) has processed each upstream application's log."""

    def __init__(self, datastore: Datastore, tracker: str) -> None:
        self.datastore = datastore
        self.tracker = tracker

    @reconnecting
    def insert_tracking(self, tracking: Tracking) -> None:
        with self.datastore.transaction() as conn:
            self._record_tracking(conn, tracking)

    def _record_tracking(self, conn: psycopg.Connection[Any], tracking: Tracking) -> None:
        conn.execute("SELECT api.record_tracking(%s, %s, %s)",
                     (self.tracker, tracking.application_name, tracking.notification_id))

    @reconnecting
    def max_tracking_id(self, application_name: str) -> int | None:
        with self.datastore.connection() as conn:
            row = conn.execute("SELECT api.tracking_position(%s, %s)", (self.tracker, application_name)).fetchone()
        return None if row is None or row[0] is None else int(row[0])


class EventStoreProcessRecorder(EventStoreTrackingRecorder, EventStoreApplicationRecorder, ProcessRecorder):
    """Events and the tracking record of what they were made from, in one transaction (the
    events first: an append is then the transaction's first write, and never has to retry for
    the log order)."""

    def __init__(self, datastore: Datastore, stream_type: str, tracker: str) -> None:
        EventStoreApplicationRecorder.__init__(self, datastore, stream_type)
        self.tracker = tracker


class EventStoreSubscription(ListenNotifySubscription[EventStoreApplicationRecorder]):
    """History, then new events as they become readable: woken by the store's notifications
    (LISTEN eventstore_events, sent where the projections run), and polling every
    ``poll_interval`` seconds where they do not."""

    poll_interval = 0.1

    def __init__(self, recorder: EventStoreApplicationRecorder, gt: int | None = None,
                 topics: Sequence[str] = ()) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._listen_thread = threading.Thread(target=self._listen, daemon=True)
        self._listen_thread.start()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._listen_thread.join()

    def _listen(self) -> None:
        try:
            with psycopg.connect(self._recorder.datastore.conninfo, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                while not self._has_been_stopped and not self._thread_error:
                    for _ in conn.notifies(timeout=self.poll_interval, stop_after=1):
                        break
                    self._has_been_notified.set()
        except BaseException as error:  # noqa: BLE001 (handed to the iterating thread)
            if self._thread_error is None:
                self._thread_error = translated(error) if isinstance(error, psycopg.Error) else error
            self.stop()


# -- dynamic consistency boundaries (eventsourcing.dcb) ----------------------------------------

def _dcb_query(query: DCBQuery | None) -> str | None:
    if query is None:
        return None
    return json.dumps([{"types": list(item.types), "tags": list(item.tags)} for item in query.items])


def _jsonb_text(value: Any) -> str:
    """A JSON value as jsonb writes it out: object keys shortest first, then by their bytes."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_jsonb_text(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_jsonb_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _dcb_event_json(event: DCBEvent) -> dict[str, Any]:
    """A DCB event as api.append_tagged takes it: its data as a JSON object where jsonb gives the
    same bytes back, else base64 (metadata.state_encoding)."""
    data = json_object_text(event.data)
    if data is not None and _jsonb_text(json.loads(data)) != data:
        data = None
    if data is None:
        return {"event_type": event.type, "event_data": {"base64": base64.b64encode(event.data).decode("ascii")},
                "metadata": {"state_encoding": "base64"}, "tags": list(event.tags)}
    return {"event_type": event.type, "event_data": json.loads(data), "tags": list(event.tags)}


class EventStoreDCBReadResponse(DCBReadResponse):
    def __init__(self, events: list[DCBSequencedEvent], head: int | None) -> None:
        self._events = iter(events)
        self._head = head

    @property
    def head(self) -> int | None:
        return self._head

    def __next__(self) -> DCBSequencedEvent:
        return next(self._events)


class EventStoreDCBRecorder(DCBRecorder):
    """eventsourcing's DCB recorder on the store's tagged events (api.append_tagged,
    api.read_tagged): positions are log numbers, strictly increasing, not counting from 1
    (docs/dcb.md)."""

    def __init__(self, datastore: Datastore) -> None:
        self.datastore = datastore

    @reconnecting
    def read(self, query: DCBQuery | None = None, *, after: int | None = None,
             limit: int | None = None) -> EventStoreDCBReadResponse:
        if limit is not None and limit <= 0:
            return EventStoreDCBReadResponse([], None)
        q = _dcb_query(query)
        with self.datastore.connection() as conn:  # the client's SQL and pager: jsonb arrives as text here
            first = conn.execute(_sql.READ_TAGGED_FIRST, (q, after, _sql.first_page(limit))).fetchall()
            pager = _sql.TaggedPager(first, q, limit, self._sequenced)
            while (request := pager.request()) is not None:
                pager.add(conn.execute(_sql.READ_TAGGED, request).fetchall())
        events, head = pager.result()
        return EventStoreDCBReadResponse(events, head)

    @staticmethod
    def _sequenced(row: Sequence[Any]) -> DCBSequencedEvent:
        number, event_type, data, metadata, tags = row[1], row[3], row[4], row[5], row[6]
        encoding = json.loads(metadata).get("state_encoding") if "state_encoding" in metadata else None
        return DCBSequencedEvent(event=DCBEvent(type=event_type, data=state_of(data, encoding), tags=list(tags)),
                                 position=int(number))

    def append(self, events: Sequence[DCBEvent], condition: DCBAppendCondition | None = None) -> int:
        """Not made again on a lost connection: an append without a key may have been applied."""
        batch = json.dumps([_dcb_event_json(e) for e in events])
        query = None if condition is None else _dcb_query(condition.fail_if_events_match)
        after = None if condition is None else condition.after
        with self.datastore.connection() as conn:
            row = conn.execute(_sql.APPEND_TAGGED, (batch, query, after)).fetchone()
        assert row is not None
        return int(row[0])

    def subscribe(self, query: DCBQuery | None = None, *, after: int | None = None) -> EventStoreDCBSubscription:
        return EventStoreDCBSubscription(self, query=query, after=after)


class EventStoreDCBSubscription(DCBListenNotifySubscription[EventStoreDCBRecorder]):
    """Tagged events matching a query, history then new ones: woken by the store's
    notifications, and polling every ``poll_interval`` seconds where they are not sent."""

    poll_interval = 0.1

    def __init__(self, recorder: EventStoreDCBRecorder, query: DCBQuery | None = None,
                 after: int | None = None) -> None:
        super().__init__(recorder=recorder, query=query, after=after)
        self._listen_thread = threading.Thread(target=self._listen, daemon=True)
        self._listen_thread.start()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._listen_thread.join()

    def _listen(self) -> None:
        try:
            with psycopg.connect(self._recorder.datastore.conninfo, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                while not self._has_been_stopped and not self._thread_error:
                    for _ in conn.notifies(timeout=self.poll_interval, stop_after=1):
                        break
                    self._has_been_notified.set()
        except BaseException as error:  # noqa: BLE001 (handed to the iterating thread)
            if self._thread_error is None:
                self._thread_error = translated(error) if isinstance(error, psycopg.Error) else error
            self.stop()


# -- the factory -------------------------------------------------------------------------------

class Factory(InfrastructureFactory[EventStoreTrackingRecorder], DCBInfrastructureFactory[EventStoreTrackingRecorder]):
    """Recorders on the event store, configured as eventsourcing's PostgreSQL module is (and the
    DCB recorder of eventsourcing.dcb applications)."""

    POSTGRES_DBNAME = "POSTGRES_DBNAME"
    POSTGRES_HOST = "POSTGRES_HOST"
    POSTGRES_PORT = "POSTGRES_PORT"
    POSTGRES_USER = "POSTGRES_USER"
    POSTGRES_PASSWORD = "POSTGRES_PASSWORD"
    POSTGRES_GET_PASSWORD_TOPIC = "POSTGRES_GET_PASSWORD_TOPIC"
    POSTGRES_CONNECT_TIMEOUT = "POSTGRES_CONNECT_TIMEOUT"
    POSTGRES_CONN_MAX_AGE = "POSTGRES_CONN_MAX_AGE"
    POSTGRES_PRE_PING = "POSTGRES_PRE_PING"
    POSTGRES_MAX_WAITING = "POSTGRES_MAX_WAITING"
    POSTGRES_LOCK_TIMEOUT = "POSTGRES_LOCK_TIMEOUT"
    POSTGRES_POOL_SIZE = "POSTGRES_POOL_SIZE"
    POSTGRES_MAX_OVERFLOW = "POSTGRES_MAX_OVERFLOW"
    POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT = "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"

    aggregate_recorder_class = EventStoreAggregateRecorder
    application_recorder_class = EventStoreApplicationRecorder
    tracking_recorder_class = EventStoreTrackingRecorder
    process_recorder_class = EventStoreProcessRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        dbname = self.env.get(self.POSTGRES_DBNAME)
        host = self.env.get(self.POSTGRES_HOST)
        user = self.env.get(self.POSTGRES_USER)
        for name, value in ((self.POSTGRES_DBNAME, dbname), (self.POSTGRES_HOST, host), (self.POSTGRES_USER, user)):
            if not value:
                raise OSError(f"eventstore.eventsourcing needs the environment variable '{name}'")
        topic = self.env.get(self.POSTGRES_GET_PASSWORD_TOPIC)
        password = resolve_topic(topic)() if topic else (self.env.get(self.POSTGRES_PASSWORD) or "")
        conninfo = make_conninfo(dbname=dbname, host=host, port=self.env.get(self.POSTGRES_PORT) or "5432",
                                 user=user, password=password or None,
                                 connect_timeout=str(int(self._number(self.POSTGRES_CONNECT_TIMEOUT, 30))))
        self.datastore = Datastore(
            conninfo,
            pool_size=int(self._number(self.POSTGRES_POOL_SIZE, 5)),
            max_overflow=int(self._number(self.POSTGRES_MAX_OVERFLOW, 10)),
            max_waiting=int(self._number(self.POSTGRES_MAX_WAITING, 0)),
            connect_timeout=self._number(self.POSTGRES_CONNECT_TIMEOUT, 30),
            conn_max_age=self._number(self.POSTGRES_CONN_MAX_AGE, 0) or None,
            pre_ping=strtobool(self.env.get(self.POSTGRES_PRE_PING) or "no"),
            lock_timeout=int(self._number(self.POSTGRES_LOCK_TIMEOUT, 0)),
            idle_in_transaction_session_timeout=self._number(self.POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT, 5))

    def _number(self, name: str, default: float) -> float:
        value = self.env.get(name)
        if not value:
            return default
        try:
            return float(value)
        except ValueError:
            raise OSError(f"environment variable '{name}' must be a number, got {value!r}") from None

    @property
    def application_name(self) -> str:
        """The stream type of the application's events (its name)."""
        return self.env.name or "eventsourcing"

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose == "events":
            return self.aggregate_recorder_class(self.datastore, self.application_name)
        return self.aggregate_recorder_class(self.datastore, f"{self.application_name}.{purpose}", gaps=True)

    def application_recorder(self) -> ApplicationRecorder:
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        cls = resolve_topic(topic) if topic else self.application_recorder_class
        return cls(self.datastore, self.application_name)

    def tracking_recorder(self, tracking_recorder_class: type[EventStoreTrackingRecorder] | None = None
                          ) -> EventStoreTrackingRecorder:
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = resolve_topic(topic) if topic else self.tracking_recorder_class
        assert tracking_recorder_class is not None
        return tracking_recorder_class(self.datastore, self.application_name)

    def dcb_recorder(self) -> EventStoreDCBRecorder:
        """eventsourcing.dcb's recorder: the store's tagged events (docs/dcb.md)."""
        return EventStoreDCBRecorder(self.datastore)

    def process_recorder(self) -> ProcessRecorder:
        topic = self.env.get(self.PROCESS_RECORDER_TOPIC)
        cls = resolve_topic(topic) if topic else self.process_recorder_class
        return cls(self.datastore, self.application_name, self.application_name)

    def close(self) -> None:
        self.datastore.close()
