"""A consumer of a subscription: claim, handle, acknowledge (docs/guide/consumers.md).

With ``transactional=True`` (the default) the handler is called as ``handler(event, conn)``
inside a transaction that also acknowledges the event: what the handler writes to the same
database (a read model) and the acknowledgement commit together or not at all, so a read model
in the same database sees each event exactly once. One lease covers a whole claim: an
acknowledgement after it ran out acknowledges nothing (the event may have gone to another
consumer), and then the handler's transaction is rolled back, the rest of the batch is left to
be delivered again, and the consumer claims smaller batches (halved, back up to ``batch`` as
batches finish in time). With ``transactional=False`` the handler is called as
``handler(event)`` and the batch is acknowledged after it (at least once). A handler that has a
parameter named ``store`` is also given the consumer's store (``store=``): a process manager
appends through it, in the handler's transaction with ``conn=conn`` (for instance
``store.decide(..., caused_by=event, conn=conn)``), so its appends commit with the
acknowledgement or not at all.

A handler that raises gives its event back (a failed attempt: the event is delivered again,
or parked after the subscription's max_attempts), and the rest of its stream in that batch is
not handled (the store gave those back with it); the error's text is stored as it can be (NUL
and lone surrogates escaped). A lost connection is not a handler's failure: ``run()`` logs it,
waits (backing off from 0.1 s to 2 s) and goes on with new connections; what was in flight
is delivered again when its lease runs out, and in a transaction it was never half-applied. It
relies on no session state: behind a transaction-pooling pgbouncer, give it a store made with
``prepared_statements=False`` and a direct connection for LISTEN (``listen_conninfo``), or
``listen=False`` to poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
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
from eventstore._retry import Backoff, connection_lost
from eventstore._types import RecordedEvent
from eventstore.aio import AsyncEventStore
from eventstore.client import CONNECTION_KWARGS, EventStore, translated
from eventstore.telemetry import consumer_span

Handler = Callable[..., None]

log = logging.getLogger("eventstore.consumer")

StoreT = TypeVar("StoreT", EventStore, AsyncEventStore)
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def error_text(error: BaseException) -> str:
    """A handler's error as the text a nack stores: its class and message, with what a
    PostgreSQL text cannot hold escaped (NUL as \\x00, a lone surrogate as \\udXXX), so that no
    error of a handler makes the nack itself fail."""
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - a broken __str__ is still a handler's failure to report
        message = "(the error's text could not be made)"
    text = f"{type(error).__name__}: {message}".replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _takes_store(handler: Callable[..., Any]) -> bool:
    """Does the handler have a parameter named ``store`` it can be given by keyword?"""
    try:
        parameter = inspect.signature(handler).parameters.get("store")
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return parameter is not None and parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                        inspect.Parameter.KEYWORD_ONLY)


class _Settings(Generic[StoreT, HandlerT]):
    """What a consumer is told, sync or async alike, and what both decide the same way."""

    def __init__(self, store: StoreT, subscription: str, handler: HandlerT, *, consumer_id: str | None = None,
                 batch: int = 100, transactional: bool = True, idle_wait: float = 5.0,
                 listen_conninfo: str | None = None, listen: bool = True) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.store: StoreT = store
        self.subscription = subscription
        self.handler = handler
        self.consumer_id = consumer_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.batch = batch
        self.transactional = transactional
        self.idle_wait = idle_wait
        self.listen_conninfo: str | None = listen_conninfo or store.conninfo
        self.listen = listen
        self.claim_size = batch  # what the next claim asks for: smaller after a lease ran out
        self._backoff = Backoff()
        # The handler's extra arguments: the store, if it has a parameter for it.
        self._given: dict[str, Any] = {"store": store} if _takes_store(handler) else {}

    def _after_batch(self, claimed: int, lost: int) -> None:
        """A lease that ran out: halve the claims. A batch finished in time: grow back."""
        if lost:
            self.claim_size = max(1, self.claim_size // 2)
            log.warning("consumer %s of %s: the lease of its batch ran out with %d of %d events not acknowledged "
                        "(they will be delivered again); claiming %d at a time now", self.consumer_id,
                        self.subscription, lost, claimed, self.claim_size)
        elif claimed == self.claim_size and self.claim_size < self.batch:
            self.claim_size = min(self.batch, self.claim_size * 2)

    def _lost_connection(self, error: BaseException) -> float:
        """Logs a lost connection; returns how long to wait before trying again."""
        delay = self._backoff.next()
        log.warning("consumer %s of %s: lost its connection (%s: %s); trying again in %.1f s (attempt %d)",
                    self.consumer_id, self.subscription, type(error).__name__, str(error).strip(), delay,
                    self._backoff.failures)
        return delay

    def _connected(self) -> None:
        if self._backoff.failures:
            log.warning("consumer %s of %s: connected again after %d failed attempts", self.consumer_id,
                        self.subscription, self._backoff.failures)
            self._backoff.reset()



class Consumer(_Settings[EventStore, Handler]):
    """Claims, handles and acknowledges the events of a subscription (see the module's text).
    Options: consumer_id, batch, transactional, idle_wait, listen_conninfo, listen."""

    def __init__(self, store: EventStore, subscription: str, handler: Handler, **options: Any) -> None:
        super().__init__(store, subscription, handler, **options)
        self._stopping = threading.Event()
        self._listener: psycopg.Connection[Any] | None = None

    def stop(self, *_: object) -> None:
        """Finish the batch in hand, then return from run()."""
        self._stopping.set()

    def step(self) -> int:
        """One claim and its events handled; returns how many events were claimed. A lost
        connection is raised (run() waits and goes on); a handler's error is a failed attempt."""
        events = self.store.claim(self.subscription, self.consumer_id, self.claim_size)
        failed: set[tuple[str, uuid.UUID]] = set()
        done: list[uuid.UUID] = []
        lost = 0
        for i, event in enumerate(events):
            stream = (event.stream_type, event.stream_id)
            if stream in failed:
                continue  # given back with the failed one: it must not go before it
            try:
                if self.transactional:
                    if not self._handle_in_transaction(event):
                        lost = len(events) - i  # one lease for the batch: the rest ran out too
                        break
                else:
                    with consumer_span(self.subscription, event):
                        self.handler(event, **self._given)
                    done.append(event.id)
            except Exception as error:  # any handler error is a failed attempt
                if self.transactional and connection_lost(error):
                    raise
                self.store.nack(self.subscription, self.consumer_id, event.id, error_text(error))
                failed.add(stream)
        if done:
            lost = len(done) - self.store.ack(self.subscription, self.consumer_id, done)
        self._after_batch(len(events), lost)
        return len(events)

    def _handle_in_transaction(self, event: RecordedEvent) -> bool:
        """The handler and the acknowledgement in one transaction, committed only if the
        acknowledgement took (the lease had not run out); False when it was rolled back."""
        with translated(), self.store.pool.connection() as conn:
            with conn.transaction():
                with consumer_span(self.subscription, event):
                    self.handler(event, conn, **self._given)
                if conn.execute(_sql.ACK, (self.subscription, self.consumer_id, [event.id])).fetchone() == (1,):
                    return True
                raise psycopg.Rollback
            return False

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
        empty claims it waits for a notification (LISTEN) or ``idle_wait`` seconds. A lost
        connection is logged and waited out (backing off), then it goes on."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        self._listener = self._listen()
        try:
            while not self._stopping.is_set():
                try:
                    claimed = self.step()
                except Exception as error:
                    if not connection_lost(error):
                        raise
                    self._close_listener()
                    self._stopping.wait(self._lost_connection(error))
                    with contextlib.suppress(Exception):
                        self.store.pool.check()  # the pool's connections to the lost server go
                    continue
                if self._backoff.failures:
                    self._connected()
                    self._listener = self._listen()
                if claimed == 0:
                    self._wait()
        finally:
            self._close_listener()

    def _listen(self) -> psycopg.Connection[Any] | None:
        if not self.listen or not self.listen_conninfo:
            return None
        try:
            conn = psycopg.connect(self.listen_conninfo, **CONNECTION_KWARGS)
            conn.execute(_sql.LISTEN)
            return conn
        except psycopg.Error:
            return None

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error):
                self._listener.close()
            self._listener = None

    def _wait(self) -> None:
        deadline = time.monotonic() + self.idle_wait
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            timeout = min(0.5, left)  # short slices: stop() is seen within half a second
            if self._listener is None:
                self._stopping.wait(timeout)
                continue
            try:
                for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                    return
            except psycopg.Error:
                self._close_listener()  # polls until the next claim finds the server again
                self._backoff.failures = max(self._backoff.failures, 1)


AsyncHandler = Callable[..., Awaitable[None]]


class AsyncConsumer(_Settings[AsyncEventStore, AsyncHandler]):
    """:class:`Consumer` for asyncio: the same claims, acknowledgements and guarantees; the
    handler is a coroutine function (``await handler(event, conn)``, or ``await
    handler(event)`` with ``transactional=False``)."""

    def __init__(self, store: AsyncEventStore, subscription: str, handler: AsyncHandler, **options: Any) -> None:
        super().__init__(store, subscription, handler, **options)
        self._stopping = asyncio.Event()
        self._listener: psycopg.AsyncConnection[Any] | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def step(self) -> int:
        events = await self.store.claim(self.subscription, self.consumer_id, self.claim_size)
        failed: set[tuple[str, uuid.UUID]] = set()
        done: list[uuid.UUID] = []
        lost = 0
        for i, event in enumerate(events):
            stream = (event.stream_type, event.stream_id)
            if stream in failed:
                continue
            try:
                if self.transactional:
                    if not await self._handle_in_transaction(event):
                        lost = len(events) - i
                        break
                else:
                    with consumer_span(self.subscription, event):
                        await self.handler(event, **self._given)
                    done.append(event.id)
            except Exception as error:  # any handler error is a failed attempt
                if self.transactional and connection_lost(error):
                    raise
                await self.store.nack(self.subscription, self.consumer_id, event.id, error_text(error))
                failed.add(stream)
        if done:
            lost = len(done) - await self.store.ack(self.subscription, self.consumer_id, done)
        self._after_batch(len(events), lost)
        return len(events)

    async def _handle_in_transaction(self, event: RecordedEvent) -> bool:
        with translated():
            async with self.store.pool.connection() as conn:
                async with conn.transaction():
                    with consumer_span(self.subscription, event):
                        await self.handler(event, conn, **self._given)
                    cursor = await conn.execute(_sql.ACK, (self.subscription, self.consumer_id, [event.id]))
                    if await cursor.fetchone() == (1,):
                        return True
                    raise psycopg.Rollback
                return False

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
        ``idle_wait`` seconds; a lost connection is logged and waited out, as Consumer.run."""
        self._listener = await self._listen()
        try:
            while not self._stopping.is_set():
                try:
                    claimed = await self.step()
                except Exception as error:
                    if not connection_lost(error):
                        raise
                    await self._close_listener()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), self._lost_connection(error))
                    with contextlib.suppress(Exception):
                        await self.store.pool.check()
                    continue
                if self._backoff.failures:
                    self._connected()
                    self._listener = await self._listen()
                if claimed == 0:
                    await self._wait()
        finally:
            await self._close_listener()

    async def _listen(self) -> psycopg.AsyncConnection[Any] | None:
        if not self.listen or not self.listen_conninfo:
            return None
        try:
            conn = await psycopg.AsyncConnection.connect(self.listen_conninfo, **CONNECTION_KWARGS)
            await conn.execute(_sql.LISTEN)
            return conn
        except psycopg.Error:
            return None

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error):
                await self._listener.close()
            self._listener = None

    async def _wait(self) -> None:
        deadline = time.monotonic() + self.idle_wait
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            timeout = min(0.5, left)
            if self._listener is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout)
                continue
            try:
                async for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                    return
            except psycopg.Error:
                await self._close_listener()
                self._backoff.failures = max(self._backoff.failures, 1)
