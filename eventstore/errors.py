"""One exception class per SQLSTATE the store documents (docs/reference/errors.md), under
:class:`EventStoreError`.

Every class knows its SQLSTATE (``.sqlstate``) and whether retrying the same call can succeed
(``.retryable``). Structured details come from the error's own fields (DETAIL as JSON where
the store sends it), never from parsing the message text.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import psycopg

__all__ = [
    "AppendOnly",
    "AppendOrderConflict",
    "CommandRefused",
    "EventStoreError",
    "IdempotencyKeyReused",
    "InvalidArgument",
    "InvalidRegistration",
    "LockNotAvailable",
    "MalformedEvents",
    "NotFound",
    "OutcomeUnknown",
    "PermissionDenied",
    "ProjectionStateError",
    "RebuildFailed",
    "SchemaViolation",
    "SnapshotRefused",
    "StreamDeleted",
    "StreamNotDeleted",
    "SubscriptionReserved",
    "SubscriptionStateError",
    "TrackerOwned",
    "TrackingNotAhead",
    "UnknownProjection",
    "UnknownSubscription",
    "WriteInTransactionBlock",
    "WrongExpectedVersion",
    "from_psycopg",
]


class EventStoreError(Exception):
    """An error the store raised (or a database error it passed on)."""

    sqlstate: str | None = None
    retryable: bool = False

    def __init__(self, message: str, *, sqlstate: str | None = None, detail: str | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        if sqlstate is not None:
            self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
        self.hint = hint

    def details(self) -> dict[str, Any]:
        """The DETAIL the store sent, when it is a JSON object ({} otherwise)."""
        if not self.detail:
            return {}
        try:
            value = json.loads(self.detail)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class WrongExpectedVersion(EventStoreError):
    """ZE001: the stream is not at the version the append expected."""

    sqlstate = "ZE001"

    @property
    def stream_type(self) -> str | None:
        value = self.details().get("stream_type")
        return value if isinstance(value, str) else None

    @property
    def stream_id(self) -> uuid.UUID | None:
        value = self.details().get("stream_id")
        return uuid.UUID(value) if isinstance(value, str) else None

    @property
    def expected(self) -> int | None:
        value = self.details().get("expected")
        return value if isinstance(value, int) else None

    @property
    def actual(self) -> int | None:
        value = self.details().get("actual")
        return value if isinstance(value, int) else None


class MalformedEvents(EventStoreError):
    """ZE002: the batch is malformed (``.index``: the 1-based position of the event in it)."""

    sqlstate = "ZE002"

    @property
    def index(self) -> int | None:
        value = self.details().get("index")
        return value if isinstance(value, int) else None


class InvalidArgument(EventStoreError):
    """ZE003: an argument is out of its range (nothing was written)."""

    sqlstate = "ZE003"


class NotFound(EventStoreError):
    """ZE004: an event id (or another id) names nothing."""

    sqlstate = "ZE004"


class UnknownProjection(EventStoreError):
    sqlstate = "ZE005"


class SchemaViolation(EventStoreError):
    """ZE006: an event does not match the schema registered for its type and version."""

    sqlstate = "ZE006"


class IdempotencyKeyReused(EventStoreError):
    """ZE007: the idempotency key was used for another stream."""

    sqlstate = "ZE007"


class AppendOnly(EventStoreError):
    """ZE008: events cannot be changed or removed (but by the sanctioned paths)."""

    sqlstate = "ZE008"


class CommandRefused(EventStoreError):
    """ZE009: a command's rule refuses it."""

    sqlstate = "ZE009"


class InvalidRegistration(EventStoreError):
    sqlstate = "ZE010"


class ProjectionStateError(EventStoreError):
    sqlstate = "ZE011"


class RebuildFailed(EventStoreError):
    sqlstate = "ZE012"


class UnknownSubscription(EventStoreError):
    sqlstate = "ZE013"


class SubscriptionStateError(EventStoreError):
    sqlstate = "ZE014"


class StreamDeleted(EventStoreError):
    """ZE015: the stream is deleted; nothing can be appended to it."""

    sqlstate = "ZE015"


class StreamNotDeleted(EventStoreError):
    sqlstate = "ZE016"


class SubscriptionReserved(EventStoreError):
    """ZE017: the subscription is reserved for another consumer role."""

    sqlstate = "ZE017"


class TrackingNotAhead(EventStoreError):
    """ZE018: a tracking position not past the one recorded (the event was processed already)."""

    sqlstate = "ZE018"


class TrackerOwned(EventStoreError):
    """ZE019: the tracker is another role's (reserved for it by an admin, or first recorded by it)."""

    sqlstate = "ZE019"


class SnapshotRefused(EventStoreError):
    """ZE020: no snapshot saved by hand for a stream a key of which was (or is being) destroyed."""

    sqlstate = "ZE020"


class WriteInTransactionBlock(EventStoreError):
    """2D000 (PostgreSQL's invalid transaction termination): an append through a sharded store's
    endpoint inside a transaction block. Each routed call commits on its shard by itself, so the
    endpoint refuses to seem part of a transaction a rollback could not undo: make the call on
    its own (not with ``conn=`` in a transaction)."""

    sqlstate = "2D000"


class ConditionFailed(EventStoreError):
    """ZE021: a conditional append's condition failed: an event matching its query was appended
    after the position it read up to. Read again, decide again, append again."""

    sqlstate = "ZE021"
    retryable = True

    @property
    def matched(self) -> int | None:
        """The position of the first event that matched."""
        value = self.details().get("matched")
        return value if isinstance(value, int) else None


class AppendOrderConflict(EventStoreError):
    """40001: a newer transaction appended to the stream (or a reader read past this one) after
    this transaction took its id. Retrying the whole transaction succeeds."""

    sqlstate = "40001"
    retryable = True


class LockNotAvailable(EventStoreError):
    """55P03: maintenance did not get its lock; try again later."""

    sqlstate = "55P03"
    retryable = True


class PermissionDenied(EventStoreError):
    """42501: the role lacks the group role the call needs."""

    sqlstate = "42501"


class OutcomeUnknown(EventStoreError):
    """The connection was lost while the call ran (the server died, a failover, the network):
    the store may or may not have applied it. Not a failure and not a success: read the stream
    to know, or make the call again with the same idempotency key (an append with a key, and
    every read, are made again by the client itself; this is raised for an append without a key
    and for a stream's deletion). ``__cause__`` is the connection's error."""

    retryable = True


_BY_SQLSTATE: dict[str, type[EventStoreError]] = {
    cls.sqlstate: cls
    for cls in (WrongExpectedVersion, MalformedEvents, InvalidArgument, NotFound, UnknownProjection,
                SchemaViolation, IdempotencyKeyReused, AppendOnly, CommandRefused, InvalidRegistration,
                ProjectionStateError, RebuildFailed, UnknownSubscription, SubscriptionStateError,
                StreamDeleted, StreamNotDeleted, SubscriptionReserved, TrackingNotAhead, TrackerOwned, SnapshotRefused,
                ConditionFailed, WriteInTransactionBlock,
                AppendOrderConflict,
                LockNotAvailable, PermissionDenied)
    if cls.sqlstate is not None
}


# A sharded store's endpoint (PL/Proxy, docs/sharding.md) passes a shard's error on with its
# SQLSTATE unchanged and its fields prefixed: "api.append_events(5): [eventstore_0] REMOTE ERROR: "
# before the message, "Remote detail: " and "Remote hint: " before the others.
_REMOTE_MESSAGE = re.compile(r"^\S+\(\d+\): \[[^\]]*\] REMOTE ERROR: ")


def _unproxied(text: str | None, prefix: str) -> str | None:
    return text[len(prefix):] if text is not None and text.startswith(prefix) else text


def from_psycopg(error: psycopg.Error) -> EventStoreError | None:
    """The store's exception for a psycopg error with a documented SQLSTATE, else None; the
    same from a shard through a sharded store's endpoint (its fields as the shard sent them)."""
    sqlstate = error.sqlstate
    cls = _BY_SQLSTATE.get(sqlstate or "")
    if cls is None:
        return None
    diag = error.diag
    message = _REMOTE_MESSAGE.sub("", diag.message_primary or str(error), count=1)
    return cls(message, sqlstate=sqlstate, detail=_unproxied(diag.message_detail, "Remote detail: "),
               hint=_unproxied(diag.message_hint, "Remote hint: "))
