"""eventsourcing's application recorder on the store (``eventstore.eventsourcing``) against
eventsourcing's own PostgreSQL module (``eventsourcing.postgres``), on the same server in the
same run, each in a fresh database, alternating.

- writes: the shape of eventsourcing's ``test_concurrent_throughput``: N writer threads, each
  call inserting a batch of 50 events into a new aggregate, with 1, 4 and 8 writers; events/s;
- a tailing reader: ``select_notifications`` paging 500 at a time through 20,000 events; events/s.

The store numbers notifications by its gap-free log order; eventsourcing's PostgreSQL module
takes ``LOCK TABLE ... IN EXCLUSIVE MODE`` on every insert to count them 1, 2, 3.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import alternate, fresh_database, report

SETUP = ""
EVENTS_PER_CALL = 50
STATE = b'{"amount":{"_type_":"decimal_str","_data_":"10.00"},"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-04T10:00:00+00:00"}}'


def _recorder(cluster, db: str, module: str) -> tuple[Any, Callable[[], None]]:
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    env = Environment("BenchApp", {
        "PERSISTENCE_MODULE": module, "POSTGRES_DBNAME": db, "POSTGRES_HOST": str(cluster.socket_dir),
        "POSTGRES_PORT": str(cluster.port), "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "",
        "POSTGRES_POOL_SIZE": "8", "POSTGRES_MAX_OVERFLOW": "2"})
    factory = InfrastructureFactory.construct(env)
    return factory.application_recorder(), factory.close


def _writes(recorder: Any, writers: int, seconds: float) -> float:
    from eventsourcing.persistence import StoredEvent

    counts = [0] * writers
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        while time.monotonic() < stop:
            originator_id = uuid.uuid4()
            recorder.insert_events([StoredEvent(originator_id, v, "bench:Credited", STATE)
                                    for v in range(1, EVENTS_PER_CALL + 1)])
            counts[i] += EVENTS_PER_CALL

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def run(cluster, template, rounds: int, seconds: float, scale: float = 1.0, **_) -> dict:
    results: dict[str, float] = {}

    def measure(module: str, writers: int) -> Callable[[], float]:
        def go() -> float:
            with fresh_database(cluster, template) as db:
                recorder, close = _recorder(cluster, db, module)
                try:
                    return _writes(recorder, writers, seconds)
                finally:
                    close()
        return go

    for writers in (1, 4, 8):
        print(f"eventsourcing writes: events/s, {writers} writer(s), {EVENTS_PER_CALL} events per call into a new "
              f"aggregate, {rounds} rounds of {seconds:.0f}s")
        r = alternate(rounds, measure("eventsourcing.postgres", writers), measure("eventstore.eventsourcing", writers),
                      "eventsourcing.postgres", "eventstore.eventsourcing")
        report(f"eventsourcing_writes_{writers}_ratio", r["ratio"],
               {1: ">= 1.0", 8: ">= 2.0"}.get(writers, "reported"))
        results[f"writes_{writers}"] = r["ratio"]

    total = max(1000, int(20000 * scale))

    def reader(module: str) -> Callable[[], float]:
        def go() -> float:
            with fresh_database(cluster, template) as db:
                recorder, close = _recorder(cluster, db, module)
                try:
                    from eventsourcing.persistence import StoredEvent
                    for _ in range(total // EVENTS_PER_CALL):
                        recorder.insert_events([StoredEvent(uuid.uuid4(), v, "bench:Credited", STATE)
                                                for v in range(1, EVENTS_PER_CALL + 1)])
                    started, seen, last = time.perf_counter(), 0, None
                    while True:
                        page = recorder.select_notifications(start=last, limit=500, inclusive_of_start=False)
                        if not page:
                            break
                        seen += len(page)
                        last = page[-1].id
                    elapsed = time.perf_counter() - started
                    assert seen == total, (seen, total)
                    return seen / elapsed
                finally:
                    close()
        return go

    print(f"eventsourcing tailing reader: events/s, select_notifications paging 500 at a time through {total} events")
    r = alternate(rounds, reader("eventsourcing.postgres"), reader("eventstore.eventsourcing"),
                  "eventsourcing.postgres", "eventstore.eventsourcing")
    report("eventsourcing_reader_ratio", r["ratio"], ">= 1.0")
    results["reader"] = r["ratio"]
    return results
