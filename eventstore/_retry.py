"""Lost connections, for the loops that outlive one (consumers, ``follow()``): which errors are
one, and how long to wait before trying again."""

from __future__ import annotations

import logging
import random
import time

import psycopg
import psycopg.errors
from psycopg_pool import PoolClosed, PoolTimeout, TooManyRequests

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


log = logging.getLogger("eventstore.client")

# A call made while an upgrade (sqitch deploy of change code) replaced the functions its running
# code calls fails with 42883 (undefined_function: the old body names a function the new code
# renamed or reshaped). The call was a transaction of its own and wrote nothing: the client makes
# it once more, on the new code. In a caller's transaction (conn=) it is the caller's to retry.
UPGRADED_UNDER_IT = "a call met an upgrade of the store in flight (42883)"
OUTCOME_UNKNOWN = "the connection was lost while the call ran: it may or may not have been applied"


class CallAttempts:
    """How one pooled call of the client meets a failure (sync and async alike): once more at
    once after 42883; after a lost connection, again after a wait (backing off, for up to
    ``reconnect_timeout`` seconds) when the call is ``repeatable`` (a read, or a write the store
    applies once however often it comes) or provably did not run (a read-only server refused
    it, or no connection could be had); else OutcomeUnknown."""

    def __init__(self, reconnect_timeout: float, repeatable: bool) -> None:
        self.reconnect_timeout = reconnect_timeout
        self.repeatable = repeatable
        self.upgraded = False
        self.backoff: Backoff | None = None
        self.deadline = 0.0

    def after(self, error: psycopg.Error) -> float | None:
        """None: try again now. A number: a lost connection; drop the pool's dead connections
        and try again after that many seconds. Raises what must not be tried again."""
        if isinstance(error, psycopg.errors.UndefinedFunction) and not self.upgraded:
            self.upgraded = True
            log.warning("%s: once more, on the store's new code (%s)", UPGRADED_UNDER_IT, str(error).strip())
            return None
        if not connection_lost(error):
            raise error
        if not (self.repeatable or refused_unrun(error) or isinstance(error, PoolTimeout)):
            raise OutcomeUnknown(f"{OUTCOME_UNKNOWN}: {str(error).strip()}") from error
        if self.backoff is None:
            self.backoff, self.deadline = Backoff(), time.monotonic() + self.reconnect_timeout
        if time.monotonic() > self.deadline:
            raise error
        delay = self.backoff.next()
        log.warning("lost the connection (%s: %s); trying again in %.1f s", type(error).__name__,
                    str(error).strip(), delay)
        return delay
