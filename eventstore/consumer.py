"""A consumer of a subscription: claim, handle, acknowledge (README "Consumers").

With ``transactional=True`` (the default) the handler is called as ``handler(event, conn)``
inside a transaction that also acknowledges the event: what the handler writes to the same
database (a read model) and the acknowledgement commit together or not at all, so a read model
in the same database sees each event exactly once. With ``transactional=False`` the handler is
called as ``handler(event)`` and the batch is acknowledged after it (at least once).

A handler that raises gives its event back (a failed attempt: the event is delivered again,
or parked after the subscription's max_attempts), and the rest of its stream in that batch is
not handled (the store gave those back with it). It relies on no session state: behind a
transaction-pooling pgbouncer, give it a store made with ``prepared_statements=False`` and a
direct connection for LISTEN (``listen_conninfo``), or ``listen=False`` to poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import psycopg

from eventstore import _sql
from eventstore._types import RecordedEvent
from eventstore.aio import AsyncEventStore
from eventstore.client import CONNECTION_KWARGS, EventStore, translated

Handler = Callable[..., None]


StoreT = TypeVar("StoreT", EventStore, AsyncEventStore)
HandlerT = TypeVar("HandlerT")


class _Settings(Generic[StoreT, HandlerT]):
    """What a consumer is told, sync or async alike."""

    def __init__(self, store: StoreT, subscription: str, handler: HandlerT, *, consumer_id: str | None = None,
                 batch: int = 100, transactional: bool = True, idle_wait: float = 5.0,
                 listen_conninfo: str | None = None, listen: bool = True) -> None:
        self.store: StoreT = store
        self.subscription = subscription
        self.handler = handler
        self.consumer_id = consumer_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.batch = batch
        self.transactional = transactional
        self.idle_wait = idle_wait
        self.listen_conninfo: str | None = listen_conninfo or store.conninfo
        self.listen = listen


class Consumer(_Settings[EventStore, Handler]):
    """Claims, handles and acknowledges the events of a subscription (see the module's text).
    Options: consumer_id, batch, transactional, idle_wait, listen_conninfo, listen."""

    def __init__(self, store: EventStore, subscription: str, handler: Handler, **options: Any) -> None:
        super().__init__(store, subscription, handler, **options)
        self._stopping = threading.Event()

    def stop(self, *_: object) -> None:
        """Finish the batch in hand, then return from run()."""
        self._stopping.set()

    def step(self) -> int:
        """One claim and its events handled; returns how many events were claimed."""
        events = self.store.claim(self.subscription, self.consumer_id, self.batch)
        failed: set[tuple[str, uuid.UUID]] = set()
        done: list[uuid.UUID] = []
        for event in events:
            stream = (event.stream_type, event.stream_id)
            if stream in failed:
                continue  # given back with the failed one: it must not go before it
            try:
                if self.transactional:
                    self._handle_in_transaction(event)
                else:
                    self.handler(event)
                    done.append(event.id)
            except Exception as error:  # noqa: BLE001 - any handler error is a failed attempt
                self.store.nack(self.subscription, self.consumer_id, event.id, f"{type(error).__name__}: {error}")
                failed.add(stream)
        if done:
            self.store.ack(self.subscription, self.consumer_id, done)
        return len(events)

    def _handle_in_transaction(self, event: RecordedEvent) -> None:
        with translated(), self.store.pool.connection() as conn, conn.transaction():
            self.handler(event, conn)
            conn.execute(_sql.ACK, (self.subscription, self.consumer_id, [event.id]))

    def run_until_idle(self) -> int:
        """Claims and handles until a claim returns nothing; returns the events claimed (for
        tests, and for a scheduled job that drains and exits)."""
        total = 0
        while not self._stopping.is_set():
            claimed = self.step()
            if claimed == 0:
                break
            total += claimed
        return total

    def run(self) -> None:
        """Claims and handles until stop() or SIGTERM/SIGINT (in the main thread): between
        empty claims it waits for a notification (LISTEN) or ``idle_wait`` seconds."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        listener = self._listener()
        try:
            while not self._stopping.is_set():
                if self.step() == 0:
                    self._wait(listener)
        finally:
            if listener is not None:
                listener.close()

    def _listener(self) -> psycopg.Connection[Any] | None:
        if not self.listen or not self.listen_conninfo:
            return None
        try:
            conn = psycopg.connect(self.listen_conninfo, **CONNECTION_KWARGS)
            conn.execute(_sql.LISTEN)
            return conn
        except psycopg.Error:
            return None

    def _wait(self, listener: psycopg.Connection[Any] | None) -> None:
        deadline = time.monotonic() + self.idle_wait
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            timeout = min(0.5, left)  # short slices: stop() is seen within half a second
            if listener is None:
                self._stopping.wait(timeout)
                continue
            for _ in listener.notifies(timeout=timeout, stop_after=1):
                return


AsyncHandler = Callable[..., Awaitable[None]]


class AsyncConsumer(_Settings[AsyncEventStore, AsyncHandler]):
    """:class:`Consumer` for asyncio: the same claims, acknowledgements and guarantees; the
    handler is a coroutine function (``await handler(event, conn)``, or ``await
    handler(event)`` with ``transactional=False``)."""

    def __init__(self, store: AsyncEventStore, subscription: str, handler: AsyncHandler, **options: Any) -> None:
        super().__init__(store, subscription, handler, **options)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def step(self) -> int:
        events = await self.store.claim(self.subscription, self.consumer_id, self.batch)
        failed: set[tuple[str, uuid.UUID]] = set()
        done: list[uuid.UUID] = []
        for event in events:
            stream = (event.stream_type, event.stream_id)
            if stream in failed:
                continue
            try:
                if self.transactional:
                    with translated():
                        async with self.store.pool.connection() as conn, conn.transaction():
                            await self.handler(event, conn)
                            await conn.execute(_sql.ACK, (self.subscription, self.consumer_id, [event.id]))
                else:
                    await self.handler(event)
                    done.append(event.id)
            except Exception as error:  # noqa: BLE001 - any handler error is a failed attempt
                await self.store.nack(self.subscription, self.consumer_id, event.id,
                                      f"{type(error).__name__}: {error}")
                failed.add(stream)
        if done:
            await self.store.ack(self.subscription, self.consumer_id, done)
        return len(events)

    async def run_until_idle(self) -> int:
        total = 0
        while not self._stopping.is_set():
            claimed = await self.step()
            if claimed == 0:
                break
            total += claimed
        return total

    async def run(self) -> None:
        """Claims and handles until stop(); between empty claims waits for a notification or
        ``idle_wait`` seconds."""
        listener = None
        if self.listen and self.listen_conninfo:
            try:
                listener = await psycopg.AsyncConnection.connect(self.listen_conninfo, **CONNECTION_KWARGS)
                await listener.execute(_sql.LISTEN)
            except psycopg.Error:
                listener = None
        try:
            while not self._stopping.is_set():
                if await self.step() == 0:
                    await self._wait(listener)
        finally:
            if listener is not None:
                await listener.close()

    async def _wait(self, listener: psycopg.AsyncConnection[Any] | None) -> None:
        deadline = time.monotonic() + self.idle_wait
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            timeout = min(0.5, left)
            if listener is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout)
                continue
            async for _ in listener.notifies(timeout=timeout, stop_after=1):
                return
