"""decide() for a process manager, across real connections: the events it appended, causation
and correlation from the event it handles, an idempotency key derived from that event (the
same event handled twice appends once), and the caller's transaction (conn=)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

import eventstore as es
from eventstore.aio import AsyncEventStore
from eventstore.client import EventStore


def count(state: int, event: es.RecordedEvent) -> int:
    return state + 1


def test_decide_returns_the_events_it_appended_with_their_causation_and_correlation(db):
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as store:
        order = uuid.uuid4()
        store.append("Order", order, [es.NewEvent("Placed", {}, {"correlation_id": "checkout-1"})],
                     expected_version=es.NO_STREAM)
        [placed] = store.read_stream("Order", order)
        shipment = uuid.uuid4()
        decision = store.decide("Shipment", shipment, fold=count, initial=0, caused_by=placed,
                                metadata={"user_id": "pm"},
                                decide=lambda n: [es.NewEvent("Requested", {}), es.NewEvent("Packed", {},
                                                                                            {"user_id": "me"})])
        assert decision == 2 and decision.version == 2 and isinstance(decision, int), "still the version"
        assert [e.event_type for e in decision.events] == ["Requested", "Packed"]
        assert decision.events == store.read_stream("Shipment", shipment), "as recorded"
        assert [(e.metadata["causation_id"], e.metadata["correlation_id"], e.metadata["user_id"])
                for e in decision.events] == [(str(placed.id), "checkout-1", "pm"), (str(placed.id), "checkout-1", "me")]

        again = store.decide("Shipment", shipment, fold=count, initial=0, caused_by=placed,
                             decide=lambda n: [es.NewEvent("Requested", {})])
        assert (again, again.events) == (2, []), "the same event handled again appends nothing (derived key)"
        nothing = store.decide("Shipment", shipment, fold=count, initial=0, decide=lambda n: [])
        assert (nothing, nothing.events) == (2, [])
        assert len(store.read_stream("Shipment", shipment)) == 2


def test_decide_in_the_callers_transaction_commits_and_rolls_back_with_it(db):
    db.execute("CREATE TABLE public.outbox (n int); GRANT ALL ON public.outbox TO eventstore_writer")
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as store:
        stream = uuid.uuid4()
        with pytest.raises(RuntimeError), store.pool.connection() as conn, conn.transaction():
            conn.execute("INSERT INTO public.outbox VALUES (1)")
            store.decide("Counter", stream, fold=count, initial=0, decide=lambda n: [es.NewEvent("Ticked", {})],
                         conn=conn)
            raise RuntimeError("the unit of work fails")
        assert store.stream_version("Counter", stream) == 0, "rolled back with the caller"
        with store.pool.connection() as conn, conn.transaction():
            conn.execute("INSERT INTO public.outbox VALUES (2)")
            decision = store.decide("Counter", stream, fold=count, initial=0,
                                    decide=lambda n: [es.NewEvent("Ticked", {"n": n})], conn=conn)
        assert decision == 1 and [e.data for e in decision.events] == [{"n": 0}]
    assert [r[0] for r in db.execute("SELECT n FROM public.outbox")] == [2]


def competing(store: EventStore, stream: uuid.UUID):
    """A decide() whose first call makes a competing append to the stream (between the
    decision's read and its append)."""
    competed = threading.Event()

    def decide(n: int) -> list[es.NewEvent]:
        if not competed.is_set():
            competed.set()
            store.append("Counter", stream, [es.NewEvent("Ticked", {"by": "other"})], expected_version=es.ANY)
        return [es.NewEvent("Ticked", {"seen": n})]
    return decide


def test_decide_in_a_transaction_retries_a_conflict_in_a_savepoint(db):
    """The attempt that lost to the competing append rolls back to its savepoint; the next one,
    reading again at READ COMMITTED, decides on it."""
    stream = uuid.uuid4()
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=3) as store:
        with store.pool.connection() as conn, conn.transaction():
            decision = store.decide("Counter", stream, fold=count, initial=0, decide=competing(store, stream),
                                    conn=conn)
        assert decision == 2 and [e.data for e in decision.events] == [{"seen": 1}]


def test_decide_raises_an_order_conflict_its_callers_transaction_must_redo(db):
    """A caller's transaction that wrote before it decided has an older transaction id than
    the competing append: no savepoint can help (the order guard, docs/read-horizon.md), so
    the conflict is raised at once, retryable, and the caller makes its transaction again."""
    db.execute("CREATE TABLE public.marks (n int); GRANT ALL ON public.marks TO eventstore_writer")
    stream = uuid.uuid4()
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=3) as store:
        with pytest.raises(es.AppendOrderConflict) as info, store.pool.connection() as conn, conn.transaction():
            conn.execute("INSERT INTO public.marks VALUES (1)")
            store.decide("Counter", stream, fold=count, initial=0, decide=competing(store, stream), conn=conn)
        assert info.value.retryable
        with store.pool.connection() as conn, conn.transaction():  # made again
            conn.execute("INSERT INTO public.marks VALUES (2)")
            decision = store.decide("Counter", stream, fold=count, initial=0, decide=lambda n: [es.NewEvent("T", {})],
                                    conn=conn)
        assert decision == 2
    assert [r[0] for r in db.execute("SELECT n FROM public.marks")] == [2]


def test_the_async_decide_does_the_same(db):
    async def main() -> es.Decision:
        store = await AsyncEventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2)
        try:
            cause = uuid.uuid4()
            await store.append("Order", cause, [es.NewEvent("Placed", {})], expected_version=es.NO_STREAM)
            [placed] = await store.read_stream("Order", cause)
            target = uuid.uuid4()

            async def decide(n: int) -> list[es.NewEvent]:
                return [es.NewEvent("Requested", {})]

            first = await store.decide("Shipment", target, fold=count, initial=0, decide=decide, caused_by=placed)
            again = await store.decide("Shipment", target, fold=count, initial=0, decide=decide, caused_by=placed)
            assert (again, again.events) == (1, [])
            async with store.pool.connection() as conn, conn.transaction():
                inside = await store.decide("Shipment", target, fold=count, initial=0, decide=decide, conn=conn)
            assert inside == 2 and len(inside.events) == 1
            return first
        finally:
            await store.close()

    first = asyncio.run(main())
    assert first == 1 and first.events[0].metadata["causation_id"] == first.events[0].metadata["correlation_id"]
