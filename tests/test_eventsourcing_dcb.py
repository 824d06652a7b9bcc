"""eventsourcing's DCB conformance case (eventsourcing/dcb/tests.py, DCBRecorderTestCase, from
its wheel) run on the store's DCB recorder, and a DCBApplication with
PERSISTENCE_MODULE=eventstore.eventsourcing.

The one override (docs/dcb.md lists it): the case counts positions 1, 2, 3 from an empty store,
and ours are log numbers, strictly increasing but not consecutive (a dense number would make
every appender wait for every other). ``Ordinals`` hands the case each event's rank in the
tagged log (1, 2, 3 ...) in place of its log number, both ways; every call still goes to our
recorder, and every assertion of the case runs unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest
from eventsourcing.dcb.api import (
    DCBAppendCondition,
    DCBEvent,
    DCBQuery,
    DCBReadResponse,
    DCBRecorder,
    DCBSequencedEvent,
    DCBSubscription,
)
from eventsourcing.dcb.tests import DCBRecorderTestCase
from eventsourcing.persistence import IntegrityError

from eventstore.eventsourcing import Datastore, EventStoreDCBRecorder, Factory
from tests import test_eventsourcing
from tests.test_eventsourcing import OnTheStore

# test_eventsourcing's fixtures, for this module's tests too.
eventsourcing_role = test_eventsourcing.eventsourcing_role
postgres_env = test_eventsourcing.postgres_env
shared_env = test_eventsourcing.shared_env


class Ordinals(DCBRecorder):
    """The recorder with positions counted 1, 2, 3 ... in log order (what the case assumes)."""

    def __init__(self, recorder: EventStoreDCBRecorder) -> None:
        self.recorder = recorder

    def _numbers(self) -> list[int]:
        return [e.position for e in self.recorder.read()]

    def _number(self, ordinal: int | None) -> int | None:
        if not ordinal:
            return None
        numbers = self._numbers()
        return numbers[ordinal - 1] if ordinal <= len(numbers) else numbers[-1] + ordinal - len(numbers)

    def _ordinal(self, number: int | None) -> int | None:
        return None if number is None else self._numbers().index(number) + 1

    def read(self, query: DCBQuery | None = None, *, after: int | None = None,
             limit: int | None = None) -> DCBReadResponse:
        response = self.recorder.read(query, after=self._number(after), limit=limit)
        events = [DCBSequencedEvent(event=e.event, position=self._ordinal(e.position) or 0) for e in response]
        return _Response(events, self._ordinal(response.head))

    def append(self, events: Sequence[DCBEvent], condition: DCBAppendCondition | None = None) -> int:
        if condition is not None:
            condition = DCBAppendCondition(fail_if_events_match=condition.fail_if_events_match,
                                           after=self._number(condition.after))
        return self._ordinal(self.recorder.append(events, condition)) or 0

    def subscribe(self, query: DCBQuery | None = None, *, after: int | None = None) -> DCBSubscription:
        return _OrdinalSubscription(self, self.recorder.subscribe(query, after=self._number(after)))


class _Response(DCBReadResponse):
    def __init__(self, events: list[DCBSequencedEvent], head: int | None) -> None:
        self._events, self._head = iter(events), head

    @property
    def head(self) -> int | None:
        return self._head

    def __next__(self) -> DCBSequencedEvent:
        return next(self._events)


class _OrdinalSubscription(DCBSubscription):
    def __init__(self, ordinals: Ordinals, inner: DCBSubscription) -> None:
        super().__init__(recorder=ordinals)
        self.ordinals, self.inner = ordinals, inner

    def __enter__(self):
        self.inner.__enter__()
        return super().__enter__()

    def __exit__(self, *args, **kwargs) -> None:
        super().__exit__(*args, **kwargs)
        self.inner.__exit__(*args, **kwargs)

    def stop(self) -> None:
        super().stop()
        self.inner.stop()

    def __next__(self) -> DCBSequencedEvent:
        e = next(self.inner)
        return DCBSequencedEvent(event=e.event, position=self.ordinals._ordinal(e.position) or 0)


class TestDCBRecorder(DCBRecorderTestCase):
    """The case's two scenarios, each on a fresh database of the store."""

    @pytest.fixture(autouse=True)
    def _env(self, postgres_env):
        self.conninfo = (f"dbname={postgres_env['POSTGRES_DBNAME']} host={postgres_env['POSTGRES_HOST']} "
                         f"port={postgres_env['POSTGRES_PORT']} user={postgres_env['POSTGRES_USER']}")
        self.datastore = Datastore(self.conninfo, pool_size=1, max_overflow=5)
        yield
        self.datastore.close()

    def test_append_read(self) -> None:
        self._test_append_read(Ordinals(EventStoreDCBRecorder(self.datastore)))

    def test_append_subscribe(self) -> None:
        self._test_append_subscribe(Ordinals(EventStoreDCBRecorder(self.datastore)))


class TestPositions(OnTheStore):
    def test_positions_are_log_numbers_that_grow_and_a_failed_condition_is_an_integrity_error(self):
        recorder = EventStoreDCBRecorder(self.datastore())
        tag = f"t-{uuid.uuid4()}"
        first = recorder.append([DCBEvent(type="A", data=b"\x00binary", tags=[tag])])
        second = recorder.append([DCBEvent(type="B", data=b'{"json": 1}', tags=[tag])],
                                 DCBAppendCondition(DCBQuery(), after=first))
        assert second > first
        read = recorder.read(DCBQuery(items=[]), after=first - 1)
        assert [(e.event.data, e.position) for e in read] == [(b"\x00binary", first), (b'{"json": 1}', second)]
        with pytest.raises(IntegrityError):
            recorder.append([DCBEvent(type="C", data=b"x")], DCBAppendCondition(DCBQuery(), after=first))


def test_the_factory_gives_dcb_applications_our_recorder(postgres_env):
    from eventsourcing.dcb.persistence import DCBInfrastructureFactory

    factory = DCBInfrastructureFactory.construct({**postgres_env, "PERSISTENCE_MODULE": "eventstore.eventsourcing"})
    try:
        assert isinstance(factory, Factory)
        assert isinstance(factory.dcb_recorder(), EventStoreDCBRecorder)
    finally:
        factory.close()
