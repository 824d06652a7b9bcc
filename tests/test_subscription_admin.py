"""Subscriptions administered from Python (sync and async) across real connections: create,
describe, reserve for a role, list parked events as typed rows, replay one and skip another,
reset and drop; errors as the store's exceptions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

import eventstore as es
from eventstore.aio import AsyncEventStore
from eventstore.client import EventStore


def store(db, user: str) -> EventStore:
    return EventStore.connect(db.cluster.conninfo(db.name, user=user), max_size=2)


def test_an_admin_creates_describes_parks_replays_skips_resets_and_drops(db):
    with store(db, "es_admin") as admin, store(db, "es_writer") as writer, store(db, "es_projector") as consumer:
        admin.create_subscription("billing", stream_types=["Invoice"], max_attempts=1, lease=timedelta(seconds=5))
        [sub] = admin.subscriptions("billing")
        assert (sub.name, sub.stream_types, sub.event_types, sub.max_attempts, sub.lease) == \
            ("billing", ["Invoice"], None, 1, timedelta(seconds=5))
        assert (sub.in_flight, sub.parked, sub.consumers) == (0, 0, 0)

        first, second = uuid.uuid4(), uuid.uuid4()
        for stream in (first, second):
            writer.append("Invoice", stream, [es.NewEvent("Issued", {}), es.NewEvent("Paid", {})],
                          expected_version=es.NO_STREAM)
        writer.append("Order", uuid.uuid4(), [es.NewEvent("Placed", {})], expected_version=es.NO_STREAM)
        assert admin.subscriptions("billing")[0].events_behind == 4, "only its stream type"

        def fail(event: es.RecordedEvent) -> None:
            raise RuntimeError(f"cannot bill {event.event_type}")

        es.Consumer(consumer, "billing", fail, transactional=False).run_until_idle()
        parked = admin.parked_events("billing")
        assert sorted((p.subscription, str(p.stream_id), p.stream_type, p.version, p.attempts, p.last_error)
                      for p in parked) == sorted(("billing", str(s), "Invoice", 1, 1, "RuntimeError: cannot bill Issued")
                                                 for s in (first, second)), "the first event of each stream parked"
        assert all(isinstance(p, es.ParkedEvent) and p.parked_at is not None for p in parked)
        assert admin.subscriptions("billing")[0].parked == 2
        assert admin.parked_events("other") == []

        replayed, skipped = parked
        admin.replay_parked("billing", replayed.id)
        admin.skip_parked("billing", skipped.id)
        assert admin.parked_events("billing") == []
        seen: list[tuple[uuid.UUID, int]] = []
        es.Consumer(consumer, "billing", lambda e: seen.append((e.stream_id, e.version)),
                    transactional=False).run_until_idle()
        assert sorted(seen) == sorted([(replayed.stream_id, 1), (replayed.stream_id, 2), (skipped.stream_id, 2)]), \
            "the replayed event comes again, the skipped one never, and both streams flow on"

        admin.reset_subscription("billing")
        assert admin.subscriptions("billing")[0].events_behind == 4, "back to the start of the log"

        admin.set_subscription_role("billing", "es_projector")
        with pytest.raises(es.InvalidArgument):
            admin.set_subscription_role("billing", "es_reader")  # not a projector
        admin.set_subscription_role("billing", None)

        admin.drop_subscription("billing")
        assert admin.subscriptions("billing") == []
        with pytest.raises(es.UnknownSubscription):
            admin.replay_parked("billing", uuid.uuid4())


def test_only_an_admin_administers(db):
    with store(db, "es_projector") as consumer:
        with pytest.raises(es.errors.EventStoreError) as info:
            consumer.create_subscription("mine")
        assert info.value.sqlstate is not None
    with store(db, "es_admin") as admin:
        assert admin.subscriptions("mine") == []


def test_the_async_client_administers_too(db):
    async def main() -> list[es.Subscription]:
        admin = await AsyncEventStore.connect(db.cluster.conninfo(db.name, user="es_admin"), max_size=2)
        try:
            await admin.create_subscription("audit", event_types=["Paid"], from_beginning=False)
            found = await admin.subscriptions()
            assert await admin.parked_events("audit") == []
            await admin.drop_subscription("audit")
            return [s for s in found if s.name == "audit"]
        finally:
            await admin.close()

    [sub] = asyncio.run(main())
    assert sub.event_types == ["Paid"] and sub.stream_types is None
