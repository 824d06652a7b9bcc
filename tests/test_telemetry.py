"""OpenTelemetry (eventstore.telemetry) with the SDK's in-memory exporter, across real
connections: a span per client call with the stream and the SQLSTATE of a failure, the trace
context carried in the appended events' metadata, and a consumer's span linked to the append's."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest

import eventstore as es
from eventstore.aio import AsyncEventStore
from eventstore.client import EventStore

trace = pytest.importorskip("opentelemetry.trace")
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans():
    """The spans this test ends. The SDK's provider is set once per process (OpenTelemetry
    refuses a second); the exporter is emptied before each test."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def named(exporter: InMemorySpanExporter, name: str) -> list:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def test_a_call_is_a_span_with_its_stream_and_an_append_carries_its_trace_context(db, spans):
    stream = uuid.uuid4()
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as store:
        with trace.get_tracer("test").start_as_current_span("request"):
            store.append("Account", stream, [es.NewEvent("Opened", {}), es.NewEvent("Credited", {"n": 1},
                                                                                   {"user_id": "u1"})],
                         expected_version=es.NO_STREAM)
        events = store.read_stream("Account", stream)
    [append] = named(spans, "eventstore.append")
    [request] = named(spans, "request")
    assert append.kind == SpanKind.CLIENT and append.parent.span_id == request.context.span_id
    assert append.attributes["db.system.name"] == "postgresql"
    assert append.attributes["eventstore.stream_type"] == "Account"
    assert append.attributes["eventstore.stream_id"] == str(stream)
    assert append.attributes["eventstore.event_count"] == 2
    assert append.status.status_code != StatusCode.ERROR
    trace_id, span_id = f"{append.context.trace_id:032x}", f"{append.context.span_id:016x}"
    assert [e.metadata["traceparent"][:-2] for e in events] == [f"00-{trace_id}-{span_id}-"] * 2, \
        "each event names the span that appended it (then its trace flags)"
    assert events[1].metadata["user_id"] == "u1", "the event's own metadata is kept"
    assert named(spans, "eventstore.read_stream"), "reads are spans too"


def test_a_failed_call_is_an_error_span_with_its_sqlstate(db, spans):
    stream = uuid.uuid4()
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as store:
        store.append("Account", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
        with pytest.raises(es.WrongExpectedVersion):
            store.append("Account", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
    failed = named(spans, "eventstore.append")[-1]
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes["db.response.status_code"] == "ZE001"
    assert failed.attributes["error.type"] == "WrongExpectedVersion"
    assert [e.name for e in failed.events] == ["exception"]


def test_an_events_own_trace_context_is_kept(db, spans):
    """An event that carries a trace context (a process manager passing on the one it
    handles) keeps it; the append's span does not overwrite it."""
    stream = uuid.uuid4()
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as store:
        store.append("Account", stream, [es.NewEvent("Opened", {}, {"traceparent": "mine"})],
                     expected_version=es.NO_STREAM)
        [event] = store.read_stream("Account", stream)
    assert event.metadata == {"traceparent": "mine"}, "an event's own trace context wins"


def test_a_consumer_handles_each_event_in_a_span_linked_to_the_append(db, spans):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('traced', ARRAY['Order'])")
    stream = uuid.uuid4()
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2) as writer:
        writer.append("Order", stream, [es.NewEvent("Placed", {})], expected_version=es.NO_STREAM)
    [append] = named(spans, "eventstore.append")
    handled: list[uuid.UUID] = []

    def handle(event: es.RecordedEvent, conn: psycopg.Connection) -> None:
        assert trace.get_current_span().get_span_context().is_valid, "the handler runs in its span"
        handled.append(event.id)

    with EventStore.connect(db.cluster.conninfo(db.name, user="es_projector"), max_size=2) as store:
        es.Consumer(store, "traced", handle).run_until_idle()
    assert len(handled) == 1
    [span] = named(spans, "eventstore.handle")
    assert span.kind == SpanKind.CONSUMER
    assert span.attributes["messaging.destination.name"] == "traced"
    assert span.attributes["eventstore.event_id"] == str(handled[0])
    assert [link.context.span_id for link in span.links] == [append.context.span_id], "linked to the append"
    assert span.context.trace_id != append.context.trace_id, "a trace of its own, not the producer's"


def test_the_async_client_traces_its_calls(db, spans):
    async def main() -> None:
        store = await AsyncEventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2)
        try:
            await store.append("Account", uuid.uuid4(), [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
            with pytest.raises(es.WrongExpectedVersion):
                await store.append("Account", uuid.uuid4(), [es.NewEvent("Opened", {})], expected_version=3)
        finally:
            await store.close()

    asyncio.run(main())
    ok, failed = named(spans, "eventstore.append")
    assert ok.status.status_code != StatusCode.ERROR and ok.attributes["eventstore.event_count"] == 1
    assert failed.status.status_code == StatusCode.ERROR and failed.attributes["db.response.status_code"] == "ZE001"
