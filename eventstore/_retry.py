"""Lost connections, for the loops that outlive one (consumers, ``follow()``): which errors are
one, and how long to wait before trying again."""

from __future__ import annotations

import random

import psycopg
import psycopg.errors
from psycopg_pool import PoolClosed, TooManyRequests

from eventstore.errors import OutcomeUnknown

# Errors after which another connection (or the same server a little later, or the new primary
# of a failover) can succeed: the connection broke or could not be had (class 08, a pool that
# could not connect in time), the server is shutting down or starting (57P01-57P03), or it is
# read-only (25006: a standby, or a primary demoted under a connection that stayed).
_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "25006"})
# Of those, the errors of a statement the server refused before it ran: a read-only server.
REFUSED_UNRUN = frozenset({"25006"})


def refused_unrun(error: BaseException) -> bool:
    """A lost connection's error that proves the statement did not run (so a write may be made
    again on another connection)."""
    return isinstance(error, psycopg.Error) and error.sqlstate in REFUSED_UNRUN


def connection_lost(error: BaseException) -> bool:
    """Did ``error`` come from a lost or unusable connection rather than from the call itself?
    A cancelled statement (57014) is not one: it is the caller's (or a timeout's) decision; nor
    is a pool that was closed (the store closed under a loop still using it) or whose queue is
    full."""
    if isinstance(error, OutcomeUnknown):
        return True
    if isinstance(error, psycopg.errors.QueryCanceled | PoolClosed | TooManyRequests):
        return False  # a cancel, the caller's own pool closed, or its queue full: not the server's
    if isinstance(error, psycopg.OperationalError):
        return True
    return isinstance(error, psycopg.Error) and error.sqlstate in _SQLSTATES


class Backoff:
    """Waits that double from ``first`` up to ``most`` seconds, each with up to half of it
    taken off at random (so that many consumers do not come back in step)."""

    def __init__(self, first: float = 0.1, most: float = 2.0) -> None:
        self.first = first
        self.most = most
        self.failures = 0

    def next(self) -> float:
        delay: float = min(self.most, self.first * 2.0 ** min(self.failures, 30))
        self.failures += 1
        return delay * (0.5 + random.random() / 2)  # jitter, not a secret

    def reset(self) -> None:
        self.failures = 0
