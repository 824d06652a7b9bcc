"""eventstore: the Python client of the PostgreSQL event store.

    from eventstore import EventStore, NewEvent, NO_STREAM

    store = EventStore.connect("dbname=app user=orders_service")
    version = store.append("Account", account_id, [NewEvent("Opened", {"owner": "ann"})],
                           expected_version=NO_STREAM)
    for event in store.read_stream("Account", account_id):
        ...

:class:`EventStore` (sync) and :class:`AsyncEventStore` (asyncio) mirror each other method for
method; every read path returns :class:`RecordedEvent`; every documented SQLSTATE arrives as
its class of :mod:`eventstore.errors`.
"""

from eventstore import errors
from eventstore._types import (
    ANY,
    NO_STREAM,
    Decision,
    ExpectedVersion,
    NewEvent,
    ParkedEvent,
    ProjectionVersion,
    QueryItem,
    RecordedEvent,
    RecordedTaggedEvent,
    ShardedPage,
    Subscription,
    TaggedEvent,
    TaggedRead,
)
from eventstore.aio import AsyncEventStore, AsyncShardedFollow
from eventstore.client import EventStore, Follow, ShardedFollow
from eventstore.consumer import AsyncConsumer, Consumer
from eventstore.errors import (
    AppendOrderConflict,
    ConditionFailed,
    EventStoreError,
    IdempotencyKeyReused,
    InvalidArgument,
    MalformedEvents,
    NotFound,
    SchemaViolation,
    StreamDeleted,
    UnknownSubscription,
    WrongExpectedVersion,
)
from eventstore.ids import stream_id

__all__ = [
    "ANY",
    "NO_STREAM",
    "AppendOrderConflict",
    "AsyncConsumer",
    "AsyncEventStore",
    "AsyncShardedFollow",
    "ConditionFailed",
    "Consumer",
    "Decision",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "Follow",
    "IdempotencyKeyReused",
    "InvalidArgument",
    "MalformedEvents",
    "NewEvent",
    "NotFound",
    "ParkedEvent",
    "ProjectionVersion",
    "QueryItem",
    "RecordedEvent",
    "RecordedTaggedEvent",
    "SchemaViolation",
    "ShardedFollow",
    "ShardedPage",
    "StreamDeleted",
    "Subscription",
    "TaggedEvent",
    "TaggedRead",
    "UnknownSubscription",
    "WrongExpectedVersion",
    "errors",
    "stream_id",
]
