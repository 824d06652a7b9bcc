"""The values the client passes and returns."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final


class _StreamState:
    """A named expected version (NO_STREAM, ANY): prints as its name."""

    __slots__ = ("name", "sql")

    def __init__(self, name: str, sql: int | None) -> None:
        self.name = name
        self.sql = sql

    def __repr__(self) -> str:
        return self.name


NO_STREAM: Final = _StreamState("NO_STREAM", 0)
"""Expected version of a stream that must not exist yet (the append creates it)."""
ANY: Final = _StreamState("ANY", None)
"""No concurrency check: append at whatever version the stream is (creating it if new)."""

ExpectedVersion = int | _StreamState


def expected_sql(expected: ExpectedVersion) -> int | None:
    """The in_expected_version the SQL API takes: NULL for ANY, 0 for NO_STREAM."""
    if isinstance(expected, _StreamState):
        return expected.sql
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise TypeError(f"expected_version must be an int, NO_STREAM or ANY, got {expected!r}")
    return expected


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: its type, its payload (a JSON object) and optional metadata."""

    event_type: str
    data: dict[str, Any]
    metadata: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        event: dict[str, Any] = {"event_type": self.event_type, "event_data": self.data}
        if self.metadata is not None:
            event["metadata"] = self.metadata
        return event


@dataclass(frozen=True, slots=True)
class TaggedEvent:
    """An event to append with tags (a dynamic consistency boundary's write, docs/dcb.md)."""

    event_type: str
    data: dict[str, Any]
    tags: Sequence[str] = ()
    metadata: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        event: dict[str, Any] = {"event_type": self.event_type, "event_data": self.data, "tags": list(self.tags)}
        if self.metadata is not None:
            event["metadata"] = self.metadata
        return event


@dataclass(frozen=True, slots=True)
class QueryItem:
    """One item of a query: events of one of ``types`` (any type if none) carrying every one of
    ``tags``. A query is a sequence of items; an event matches it if it matches any item, and
    an empty query matches every tagged event."""

    types: Sequence[str] = ()
    tags: Sequence[str] = ()

    def as_json(self) -> dict[str, Any]:
        return {"types": list(self.types), "tags": list(self.tags)}


@dataclass(frozen=True, slots=True)
class RecordedTaggedEvent:
    """A tagged event as read: ``position`` is its log number (what ``after`` takes)."""

    position: int
    id: uuid.UUID
    event_type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    tags: list[str]
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaggedRead:
    """The events a query read, and the head to append after: the last event's position when
    the read stopped at its limit, else the last tagged event's (None: there is none)."""

    events: list[RecordedTaggedEvent]
    head: int | None


@dataclass(frozen=True)
class RecordedEvent:
    """An event as the store returns it, from every read path alike. ``attempt`` is set for
    subscription deliveries (1 on the first delivery), None elsewhere."""

    id: uuid.UUID
    stream_type: str
    stream_id: uuid.UUID
    version: int
    event_type: str
    data: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    attempt: int | None = None


class Decision(int):
    """What ``decide()`` returns: the stream's version afterwards (it is that int, as before),
    with ``events``, the events this decision appended as recorded (none when it decided
    nothing, or when its idempotency key had been used by an earlier append)."""

    events: list[RecordedEvent]

    def __new__(cls, version: int, events: Sequence[RecordedEvent] = ()) -> Decision:
        decision = super().__new__(cls, version)
        decision.events = list(events)
        return decision

    @property
    def version(self) -> int:
        return int(self)

    def __repr__(self) -> str:
        return f"Decision(version={int(self)}, events={self.events!r})"

    def __str__(self) -> str:  # the version, as an int prints (int's __str__ would use the repr above)
        return str(int(self))


def decision_events(new: Sequence[NewEvent], caused_by: RecordedEvent | None,
                    metadata: Mapping[str, Any] | None) -> list[NewEvent]:
    """The events of a decision with its metadata: ``metadata``'s keys, and with ``caused_by``
    (the event a process manager handles) ``causation_id`` = its id and ``correlation_id`` =
    its correlation id, else its id; an event's own metadata keys win."""
    extra: dict[str, Any] = {}
    if caused_by is not None:
        extra["causation_id"] = str(caused_by.id)
        extra["correlation_id"] = str(caused_by.metadata.get("correlation_id") or caused_by.id)
    extra.update(metadata or {})
    if not extra:
        return list(new)
    return [NewEvent(e.event_type, e.data, {**extra, **(e.metadata or {})}) for e in new]


def decision_key(idempotency_key: uuid.UUID | None, caused_by: RecordedEvent | None, stream_type: str,
                 stream_id: uuid.UUID) -> uuid.UUID | None:
    """The idempotency key of a decision: the one given, else (with ``caused_by``) one derived
    from the causing event and the stream, so that an event handled twice appends once."""
    if idempotency_key is not None or caused_by is None:
        return idempotency_key
    return uuid.uuid5(caused_by.id, f"decide {stream_type} {stream_id}")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription (a consumer group over the log) as ``api.subscription_status`` shows it:
    what it reads (``stream_types``, ``event_types``: None for all), ``max_attempts`` before an
    event is parked, the ``lease`` of a claim; ``consumers`` that claimed within one lease;
    ``events_behind`` (exact up to 10,000, see ``events_behind_exact``), ``in_flight`` (claimed,
    not acknowledged), ``waiting`` (behind an event of their stream in flight or parked),
    ``parked``; the age of the oldest lease, the last claim, and ``horizon_fallback`` (None, or
    why it reads on the conservative horizon)."""

    name: str
    stream_types: list[str] | None
    event_types: list[str] | None
    max_attempts: int
    lease: timedelta
    consumers: int
    events_behind: int
    events_behind_exact: bool
    in_flight: int
    waiting: int
    parked: int
    oldest_in_flight_age: timedelta | None
    last_claim_at: datetime | None
    horizon_fallback: str | None


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    """An event of a subscription that failed ``attempts`` deliveries (its ``max_attempts``)
    and was parked at ``parked_at`` with the handler's ``last_error``, as ``api.parked_events``
    shows it: it holds back the later events of its stream in that subscription until it is
    replayed (``replay_parked``) or skipped (``skip_parked``)."""

    subscription: str
    id: uuid.UUID
    stream_type: str
    stream_id: uuid.UUID
    version: int
    attempts: int
    last_error: str | None
    parked_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectionVersion:
    """One version of a projection, as ``api.projection_status`` shows it. ``name`` is what the
    runner and the admin functions take: the projection's name for the live version,
    ``name@version`` for another. ``events_behind_live``: events the live version has applied
    and this one not yet; ``ready_to_promote``: ``promote_projection`` would take it now."""

    name: str
    version_of: str
    version: int
    live: bool
    status: str
    events_behind: int
    events_behind_live: int
    ready_to_promote: bool
    error_message: str | None = None


@dataclass(frozen=True)
class ShardedPage:
    """A page of the whole log of a sharded store (docs/sharding.md): each shard's events after
    its position, in its log order, the shards one after the other (no order holds across
    shards; a stream is on one shard, so its events come in order). ``shards[i]`` is the shard
    of ``events[i]``; ``after`` is the cursor of the next page, one log number per shard (None:
    nothing read from that shard yet)."""

    events: list[RecordedEvent]
    shards: list[int]
    after: tuple[Decimal | None, ...]
    log_numbers: list[Decimal] = field(default_factory=list)  # of each event, in its shard's log
