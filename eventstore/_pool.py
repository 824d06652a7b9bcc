"""The client's pools: psycopg_pool's, trying again sooner to connect after a lost server.

psycopg_pool waits 1 s, then 2, 4, 8 ... between attempts to replace a connection it lost,
and a client waiting for a connection meanwhile waits for those attempts. After a failover (a
new primary within about ten seconds) that alone added up to seven seconds before the first call
succeeded. These pools try again after 0.2 s, then 1.5 times longer each time, at most 1 s
apart: a connection attempt a second to a server that is down costs nothing worth saving.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from psycopg_pool.base import AttemptWithBackoff


class SoonerAttempt(AttemptWithBackoff):
    INITIAL_DELAY = 0.2
    DELAY_BACKOFF = 1.5
    MOST = 1.0

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, self.MOST)


class Pool(ConnectionPool[psycopg.Connection[Any]]):
    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        super()._add_connection(attempt or SoonerAttempt(timeout=self.reconnect_timeout), growing)


class AsyncPool(AsyncConnectionPool[psycopg.AsyncConnection[Any]]):
    async def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        await super()._add_connection(attempt or SoonerAttempt(timeout=self.reconnect_timeout), growing)
