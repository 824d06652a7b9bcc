"""OpenTelemetry for the client, when ``opentelemetry-api`` is installed (the extra
``pg-eventstore[opentelemetry]``); without it, nothing here costs more than one check.

- A span per client call (``EventStore`` and ``AsyncEventStore``), named ``eventstore.<call>``,
  of kind CLIENT, with ``db.system.name`` = ``postgresql`` (and the older ``db.system``),
  ``db.operation.name``, ``eventstore.stream_type``, ``eventstore.stream_id`` and
  ``eventstore.event_count`` where the call has them; a failed call's span has status ERROR,
  the exception, and ``db.response.status_code`` = its SQLSTATE.
- An append made inside a span carries its trace context in each event's metadata
  (``traceparent`` and ``tracestate``, W3C Trace Context, as the configured propagator writes
  them), unless the event's metadata has its own.
- The consumers handle each event in a span (``eventstore.handle``, kind CONSUMER) linked to
  the span that appended it, read back from the event's metadata.

Spans go to whatever tracer provider the application configured (the SDK and an exporter);
while none is configured no span is started (a call costs about 1 us more, not 10), and the
arguments are bound into attributes only for a span that records them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar, cast

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import Link, SpanKind, Status, StatusCode
except ImportError:  # the extra is not installed
    trace = None  # type: ignore[assignment]

__all__ = ["TRACE_KEYS", "consumer_span", "enabled", "traced", "with_trace_context"]

P = ParamSpec("P")
R = TypeVar("R")

# The metadata keys of an event's trace context (W3C Trace Context).
TRACE_KEYS = ("traceparent", "tracestate")
_SCOPE = "eventstore"


def enabled() -> bool:
    """Is OpenTelemetry's API installed?"""
    return trace is not None


def _tracer() -> Any:
    """The tracer of the configured provider, or None while none is configured: the API's
    default records nothing, and a span of it would cost a client call 10 us for nothing."""
    if trace is None or isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return None
    return trace.get_tracer(_SCOPE)


def _sqlstate(error: BaseException) -> str | None:
    seen: BaseException | None = error
    while seen is not None:
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str):
            return state
        seen = seen.__cause__
    return None


def _attributes(operation: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {"db.system.name": "postgresql", "db.system": "postgresql",
                                  "db.operation.name": operation}
    if isinstance(arguments.get("stream_type"), str):
        attributes["eventstore.stream_type"] = arguments["stream_type"]
    if arguments.get("stream_id") is not None:
        attributes["eventstore.stream_id"] = str(arguments["stream_id"])
    events = arguments.get("events")
    if isinstance(events, Sequence):
        attributes["eventstore.event_count"] = len(events)
    return attributes


def _failed(span: Any, error: BaseException) -> None:
    state = _sqlstate(error)
    if state is not None:
        span.set_attribute("db.response.status_code", state)
    span.set_attribute("error.type", type(error).__qualname__)
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, str(error).splitlines()[0] if str(error) else None))


def traced(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A client method in a span of its own (a coroutine function stays one)."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        if trace is None:
            return method
        signature = inspect.signature(method)
        name = f"{_SCOPE}.{operation}"

        def start(tracer: Any) -> Any:
            return tracer.start_as_current_span(name, kind=SpanKind.CLIENT, record_exception=False,
                                                set_status_on_exception=False)

        def describe(span: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if span.is_recording():  # the arguments bound only for a span that keeps them
                span.set_attributes(_attributes(operation, signature.bind_partial(*args, **kwargs).arguments))

        if inspect.iscoroutinefunction(method):
            @functools.wraps(method)
            async def call_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                tracer = _tracer()
                if tracer is None:
                    return await method(*args, **kwargs)
                with start(tracer) as span:
                    describe(span, args, kwargs)
                    try:
                        return await method(*args, **kwargs)
                    except BaseException as error:
                        _failed(span, error)
                        raise
            return cast(Callable[P, R], call_async)

        @functools.wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            tracer = _tracer()
            if tracer is None:
                return method(*args, **kwargs)
            with start(tracer) as span:
                describe(span, args, kwargs)
                try:
                    return method(*args, **kwargs)
                except BaseException as error:
                    _failed(span, error)
                    raise
        return call

    return decorate


def with_trace_context(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """An event's metadata with the current span's trace context added (a copy), or as it was:
    no API, no recording span, or the event carries a context of its own."""
    if trace is None or not trace.get_current_span().get_span_context().is_valid:
        return metadata
    if metadata is not None and any(k in metadata for k in TRACE_KEYS):
        return metadata
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if not carrier:
        return metadata
    return {**(metadata or {}), **{k: v for k, v in carrier.items() if k in TRACE_KEYS}}


def consumer_span(subscription: str, event: Any) -> Any:
    """The span a consumer handles ``event`` in: kind CONSUMER, linked to the span that
    appended it (from its metadata). A context manager; without the API, one that does nothing."""
    tracer = _tracer()
    if tracer is None:
        return _NoSpan()
    links = []
    metadata = getattr(event, "metadata", None)
    if isinstance(metadata, Mapping) and "traceparent" in metadata:
        carrier = {k: str(metadata[k]) for k in TRACE_KEYS if k in metadata}
        producer = trace.get_current_span(propagate.extract(carrier)).get_span_context()
        if producer.is_valid:
            links.append(Link(producer))
    attributes = {"db.system.name": "postgresql", "db.system": "postgresql", "db.operation.name": "handle",
                  "messaging.destination.name": subscription,
                  "eventstore.stream_type": getattr(event, "stream_type", ""),
                  "eventstore.stream_id": str(getattr(event, "stream_id", "")),
                  "eventstore.event_type": getattr(event, "event_type", ""),
                  "eventstore.event_id": str(getattr(event, "id", ""))}
    return tracer.start_as_current_span(f"{_SCOPE}.handle", kind=SpanKind.CONSUMER, attributes=attributes,
                                        links=links)


class _NoSpan:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
