"""The Python client's cost, in one run: the same calls through ``eventstore.EventStore`` and
through bare psycopg (one connection per thread, psycopg's defaults), alternating.

- appends/s: 4 threads appending one event to a new stream per call;
- read_all events/s: paging 20,000 events, 1,000 a page;
- follow(): append-to-delivery latency (p50, p99) while a writer appends 500 events/s;
- the plugin's per-test store: clone of the template and drop, seconds each.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable

import psycopg

from bench.common import alternate, fresh_database, report
from eventstore import NO_STREAM, EventStore, NewEvent
from eventstore.testing import Server, clone, drop

SETUP = ""
# The same event both ways. Bare psycopg serializes it on each call, as its user must: a
# service holds its events as values, not as a JSON text made once.
EVENT = {"event_type": "ThingHappened", "event_data": {"n": 1, "text": "hello"}, "metadata": {"user_id": "u1"}}


def _threads(n: int, seconds: float, work: Callable[[int], Callable[[], None]]) -> float:
    """Calls per second of n threads each calling its own ``work(i)()`` for ``seconds``."""
    counts = [0] * n
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        call = work(i)
        while time.monotonic() < stop:
            call()
            counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def run(cluster, template, rounds: int, seconds: float, **_) -> dict:
    def appends_client() -> float:
        with fresh_database(cluster, template) as db, \
                EventStore.connect(cluster.conninfo(db, user="postgres"), min_size=4, max_size=4) as store:
            events = [NewEvent("ThingHappened", {"n": 1, "text": "hello"}, {"user_id": "u1"})]
            return _threads(4, seconds, lambda i: lambda: store.append("Bench", uuid.uuid4(), events,
                                                                        expected_version=NO_STREAM))

    def appends_bare() -> float:
        with fresh_database(cluster, template) as db:
            conns = [psycopg.connect(cluster.conninfo(db, user="postgres"), autocommit=True) for _ in range(4)]
            try:
                return _threads(4, seconds, lambda i: lambda: conns[i].execute(
                    "CALL api.append_events(%s, %s, 0, %s::jsonb, NULL)",
                    ("Bench", uuid.uuid4(), json.dumps([EVENT]))).fetchone())
            finally:
                for c in conns:
                    c.close()

    print(f"client: appends/s, 4 threads, 1 event per call, {rounds} rounds of {seconds:.0f}s")
    appends = alternate(rounds, appends_bare, appends_client, "bare psycopg", "EventStore")

    log = f"{template}_log"
    cluster.create_database(log, template=template)
    cluster.execute(log, "DO $$ DECLARE v integer; batch jsonb; BEGIN "
                         "SELECT jsonb_agg(jsonb_build_object('event_type', 'E', "
                         "'event_data', jsonb_build_object('n', n))) "
                         "INTO batch FROM generate_series(1, 100) AS n; "
                         "FOR i IN 1 .. 200 LOOP CALL api.append_events('Bench', gen_random_uuid(), 0, batch, v); "
                         "END LOOP; END $$")
    conninfo = cluster.conninfo(log, user="postgres")

    # One pass over the 20,000 events takes ~0.2 s: each measurement repeats passes for a
    # quarter of ``seconds`` (at least 2 s), or the ratio is noise.
    read_for = max(seconds / 4, 2.0)

    def passes(read_page: Callable[[uuid.UUID | None], list]) -> float:
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < read_for:
            after = None
            while page := read_page(after):
                n += len(page)
                after = page[-1][0] if isinstance(page[-1], tuple) else page[-1].id
        return n / (time.perf_counter() - start)

    def read_client() -> float:
        with EventStore.connect(conninfo, max_size=1) as store:
            return passes(lambda after: store.read_all(after=after, limit=1000))

    def read_bare() -> float:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            return passes(lambda after: conn.execute("SELECT * FROM api.get_all_events(%s, 1000)",
                                                     (after,)).fetchall())

    print(f" read_all events/s, 20,000 events, pages of 1,000, passes for {read_for:.1f}s:")
    reads = alternate(max(rounds, 3), read_bare, read_client, "bare psycopg", "EventStore")

    # follow(): latency from the append's commit to the follower's hand, under 500 appends/s.
    latencies: list[float] = []
    with fresh_database(cluster, template) as db, \
            EventStore.connect(cluster.conninfo(db, user="postgres"), max_size=3) as store:
        stop = threading.Event()
        sent: dict[uuid.UUID, float] = {}

        def write() -> None:
            next_at = time.monotonic()
            while not stop.is_set():
                stream = uuid.uuid4()
                sent[stream] = time.monotonic()
                store.append("Follow", stream, [NewEvent("E", {})], expected_version=NO_STREAM)
                next_at += 1 / 500
                time.sleep(max(0.0, next_at - time.monotonic()))

        writer = threading.Thread(target=write)
        follower = store.follow(poll_interval=0.5)
        writer.start()
        until = time.monotonic() + max(seconds, 5)
        for event in follower:
            latencies.append(time.monotonic() - sent[event.stream_id])
            if time.monotonic() > until:
                break
        stop.set()
        writer.join()
        follower.close()
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000

    server = Server(cluster.conninfo("postgres"))
    costs = []
    for _ in range(10):
        t = time.perf_counter()
        drop(server, clone(server, template))
        costs.append(time.perf_counter() - t)
    cluster.drop_database(log)

    report("EventStore/bare psycopg, appends/s", appends["ratio"], ">= 0.9")
    report("EventStore/bare psycopg, read_all events/s", reads["ratio"], ">= 0.9")
    print(f"       medians: appends/s bare {appends['a']:.0f}, client {appends['b']:.0f}; "
          f"read_all events/s bare {reads['a']:.0f}, client {reads['b']:.0f}")
    report("follow() append-to-delivery p99 at 500 appends/s", p99, "< 200", " ms")
    print(f"       follow(): {len(latencies)} events, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    report("per-test store (clone + drop of the template)", statistics.median(costs), "~0.1", " s")
    return {"appends": appends, "reads": reads, "p99_ms": p99}
