"""follow() as an object a service can stop: stop() from another thread ends the iteration
within one poll interval, `with` closes it and its LISTEN connection, sync and async."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import eventstore as es
from eventstore.aio import AsyncEventStore
from eventstore.client import EventStore


def listeners(db) -> int:
    return db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN eventstore_events' "
                     "AND datname = current_database()")


def test_stop_from_another_thread_ends_a_waiting_follow(db):
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as store:
        stream = uuid.uuid4()
        store.append("Feed", stream, [es.NewEvent("A", {})], expected_version=es.NO_STREAM)
        follow = store.follow(poll_interval=0.5)
        seen: list[str] = []
        ended = threading.Event()

        def consume() -> None:
            for event in follow:
                seen.append(event.event_type)
            ended.set()

        thread = threading.Thread(target=consume)
        thread.start()
        deadline = time.monotonic() + 10
        while "A" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == ["A"] and not ended.is_set(), "it waits for more"
        stopped_at = time.monotonic()
        follow.stop()
        assert ended.wait(5), "stop() ends the iteration"
        assert time.monotonic() - stopped_at < 2, "within about one poll interval"
        thread.join()
        assert follow.stopped
        deadline = time.monotonic() + 5
        while listeners(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listeners(db) == 0, "its LISTEN connection is closed"


def test_with_closes_a_follow_and_its_listener(db):
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as store:
        store.append("Feed", uuid.uuid4(), [es.NewEvent("A", {}), es.NewEvent("B", {})], expected_version=es.NO_STREAM)
        with store.follow() as events:
            first = next(events)
            assert listeners(db) == 1
        assert first.event_type == "A"
        assert listeners(db) == 0
        assert list(events) == [], "a closed follow yields nothing more"


def test_the_async_follow_stops_and_closes(db):
    async def main() -> list[str]:
        store = await AsyncEventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2)
        try:
            await store.append("Feed", uuid.uuid4(), [es.NewEvent("A", {})], expected_version=es.NO_STREAM)
            seen: list[str] = []
            async with store.follow(poll_interval=0.3) as events:
                async def consume() -> None:
                    async for event in events:
                        seen.append(event.event_type)

                task = asyncio.create_task(consume())
                while not seen:
                    await asyncio.sleep(0.05)
                events.stop()
                await asyncio.wait_for(task, 5)
            return seen
        finally:
            await store.close()

    assert asyncio.run(main()) == ["A"]
    assert listeners(db) == 0
