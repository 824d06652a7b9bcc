"""Dynamic consistency boundaries (docs/dcb.md), on a cluster of its own with durable settings
(fsync, full_page_writes and synchronous_commit on: a conditional append is a commit, and what
it costs is mostly the flush).

1. Decisions/s of N writers (1 and 8), each decision a read of a two-item query (a course's
   tag, a student's tag: both new, so the writers' tags are disjoint) and the conditional
   append of one event carrying both tags, decided on that read. The same loop over
   eventsourcing's ``DCBRecorder`` interface on the store (``eventstore.eventsourcing``) and on
   eventsourcing's own PostgreSQL DCB recorder (``eventsourcing.dcb.postgres_tt``, which takes
   ``LOCK TABLE ... IN EXCLUSIVE MODE`` on every append), each in a fresh database of the same
   server, in alternating rounds; the ratio is the median of the rounds' ratios.
2. What a query costs as the log grows: a log of 10,000 tagged events and one of 1,000,000
   (each tag on 10 events, spread over the log), the Python client reading the 10 events of a
   random tag, and the conditional append decided on that read, in alternating rounds; the
   ratio of the time per call at 1,000,000 to the time at 10,000 (1.0: it does not grow).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import DURABLE, alternate, bench_cluster, deploy_template, fresh_database, report

SETUP = None  # a cluster of its own, durable
DATA = b'{"course": "c", "student": "s"}'  # as jsonb writes it: the store keeps it as JSON
LOADS = 1000  # events per loading call
TAGGED_EVENTS = (
    "SELECT api.append_tagged((SELECT jsonb_agg(jsonb_build_object("
    " 'event_type', 'Entry', 'event_data', jsonb_build_object('n', g),"
    " 'tags', jsonb_build_array('e-' || (g::bigint * 7919) %% %(tags)s::bigint))) FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g))")


def _recorder(cluster: Any, db: str, module: str) -> tuple[Any, Callable[[], None]]:
    from eventsourcing.dcb.persistence import DCBInfrastructureFactory

    factory = DCBInfrastructureFactory.construct({
        "PERSISTENCE_MODULE": module, "POSTGRES_DBNAME": db, "POSTGRES_HOST": str(cluster.socket_dir),
        "POSTGRES_PORT": str(cluster.port), "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "",
        "POSTGRES_POOL_SIZE": "8", "POSTGRES_MAX_OVERFLOW": "2"})
    return factory.dcb_recorder(), factory.close


def _decisions(recorder: Any, writers: int, seconds: float) -> float:
    from eventsourcing.dcb.api import DCBAppendCondition, DCBEvent, DCBQuery, DCBQueryItem

    counts = [0] * writers
    errors: list[BaseException] = []
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        try:
            while time.monotonic() < stop:
                course, student = f"course:{uuid.uuid4()}", f"student:{uuid.uuid4()}"
                query = DCBQuery([DCBQueryItem(tags=[course]), DCBQueryItem(tags=[student])])
                read = recorder.read(query)
                assert list(read) == []
                recorder.append([DCBEvent("StudentSubscribed", DATA, [course, student])],
                                DCBAppendCondition(query, after=read.head))
                counts[i] += 1
        except BaseException as e:  # noqa: BLE001 - reported after the join
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(counts) / seconds


def _writers(cluster: Any, template: str, rounds: int, seconds: float) -> None:
    def measure(module: str, writers: int) -> Callable[[], float]:
        def go() -> float:
            with fresh_database(cluster, template) as db:
                recorder, close = _recorder(cluster, db, module)
                try:
                    return _decisions(recorder, writers, seconds)
                finally:
                    close()
        return go

    for writers, target in ((1, ">= 1.0"), (8, ">= 2.0")):
        print(f"DCB decisions/s (read a 2-item query, append 1 event on its condition), {writers} writer(s) on "
              f"disjoint tags, {rounds} rounds of {seconds:.0f}s")
        r = alternate(rounds, measure("eventsourcing.dcb.postgres_tt", writers),
                      measure("eventstore.eventsourcing", writers),
                      "eventsourcing.dcb.postgres_tt", "eventstore.eventsourcing")
        report(f"dcb_decisions_{writers}_writers_ratio", r["ratio"], target)


def _load(cluster: Any, db: str, events: int) -> None:
    import psycopg

    tags = max(1, events // 10)
    with psycopg.connect(cluster.conninfo(db), autocommit=True) as conn:
        for lo in range(0, events, LOADS):
            conn.execute(TAGGED_EVENTS, {"tags": tags, "lo": lo, "hi": min(events, lo + LOADS) - 1})  # type: ignore[arg-type]
        conn.execute("VACUUM ANALYZE")


def _query_costs(cluster: Any, template: str, rounds: int, seconds: float, scale: float) -> None:
    from eventstore import EventStore, QueryItem, TaggedEvent

    small, large = 10_000, max(20_000, int(1_000_000 * scale))
    names: dict[int, str] = {}
    contexts = []
    try:
        for events in (small, large):
            ctx = fresh_database(cluster, template)
            names[events] = ctx.__enter__()
            contexts.append(ctx)
            started = time.perf_counter()
            _load(cluster, names[events], events)
            print(f"  loaded {events:,} tagged events in {time.perf_counter() - started:.0f}s", flush=True)
        stores = {n: EventStore.connect(cluster.conninfo(names[n], user="postgres"), max_size=1) for n in names}
        try:
            def per_call(events: int, conditional: bool) -> Callable[[], float]:
                def go() -> float:
                    store, tags, calls = stores[events], events // 10, 0
                    rng = random.Random(events)
                    stop = time.monotonic() + seconds
                    started = time.perf_counter()
                    while time.monotonic() < stop:
                        query = [QueryItem(tags=[f"e-{rng.randrange(tags)}"])]
                        read = store.read_tagged(query)
                        assert len(read.events) >= 10, len(read.events)
                        if conditional:
                            store.append_tagged([TaggedEvent("Entry", {"n": -1}, tags=query[0].tags)],
                                                fail_if_match=query, after=read.head)
                        calls += 1
                    return (time.perf_counter() - started) / calls * 1e6
                return go

            for conditional, what in ((False, "read of a tag's events (10 of them)"),
                                      (True, "that read and the conditional append decided on it")):
                print(f"DCB {what}: microseconds per call at {small:,} and {large:,} events, {rounds} rounds of "
                      f"{seconds:.0f}s")
                r = alternate(rounds, per_call(small, conditional), per_call(large, conditional),
                              f"{small:,} events", f"{large:,} events")
                report(f"dcb_{'decision' if conditional else 'read'}_cost_{large}_over_{small}", r["ratio"],
                       "about 1.0: the cost follows the matches, not the log",
                       f" ({r['a']:.0f} vs {r['b']:.0f} us)")
        finally:
            for store in stores.values():
                store.close()
    finally:
        for ctx in reversed(contexts):
            ctx.__exit__(None, None, None)


def run(_cluster: object, _template: object, *, rounds: int, seconds: float, scale: float, **_: object) -> None:
    with bench_cluster(DURABLE) as cluster:
        template = deploy_template(cluster)
        print("cluster: fsync on, full_page_writes on, synchronous_commit on", flush=True)
        _writers(cluster, template, rounds, seconds)
        _query_costs(cluster, template, rounds, seconds, scale)
