"""Subscriptions: how fast a consumer group drains the log, and how soon a consumer sees an append.

1. Throughput: 4 consumer processes draining 200,000 events over 2,000 streams (claim 100 +
   ack), events/s, beside one reader paging api.get_all_events(after, 1000) over the same
   events; alternating rounds on fresh clones; the ratio subscription/reader (target >= 0.5).
   Also: the cost of api.subscription_status and api.projection_status with everything
   still behind (their cost must not grow with the lag).
   And the same drain against v2.1.0 in the same run (alternating, fresh clones of a template
   deployed to that tag): the ratio HEAD / v2.1.0 (target >= 0.95: the shape of the code may
   change, its speed may not drift).
2. Latency: append-commit to claim, with consumers woken by LISTEN eventstore_events (sent by
   the projection worker, private.projection_worker, running as pg_cron runs it) under 500
   appends/s; p50/p99 (target p99 < 200 ms).
"""

from __future__ import annotations

import multiprocessing
import statistics
import threading
import time
import uuid

from bench.common import fresh_database, report

SETUP = ""
CONSUMERS = 4
BASELINE = "v2.1.0"  # the release the v3 layout is measured against


def load_sql(events: int, streams: int) -> str:
    per_stream = max(1, events // streams)
    # Streams interleaved in the log, as concurrent writers would leave them.
    return f"""
    INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
    SELECT 'Bench', md5('stream' || s)::uuid, v, 'Happened', jsonb_build_object('n', v, 'note', repeat('x', 100))
    FROM generate_series(1, {per_stream}) AS v, generate_series(1, {streams}) AS s
    ORDER BY v, s;
    """


def drain(conninfo: str, name: str, done) -> None:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        empty = 0
        while empty < 3:
            ids = [r[0] for r in conn.execute("SELECT * FROM api.claim_events('bench', %s, 100)", (name,))]
            if ids:
                empty = 0
                conn.execute("SELECT api.ack_events('bench', %s, %s)", (name, ids))
                with done.get_lock():
                    done.value += len(ids)
            else:
                empty += 1
                time.sleep(0.05)


def measure_subscription(cluster, db: str, total: int) -> float:
    with cluster.connect(db) as conn:
        conn.execute("SELECT api.create_subscription('bench')")
    done = multiprocessing.Value("q", 0)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=drain, args=(cluster.conninfo(db), f"c{i}", done)) for i in range(CONSUMERS)]
    t = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    # The last 3 empty claims of each (150 ms of polling) are not draining time.
    elapsed = time.perf_counter() - t - 0.15
    if done.value != total:
        raise RuntimeError(f"the consumers acknowledged {done.value} of {total} events")
    return total / elapsed


def measure_reader(cluster, db: str, total: int) -> float:
    with cluster.connect(db) as conn:
        t = time.perf_counter()
        after, n = None, 0
        while True:
            rows = conn.execute("SELECT * FROM api.get_all_events(%s, 1000)", (after,)).fetchall()
            if not rows:
                break
            n += len(rows)
            after = rows[-1][0]
        elapsed = time.perf_counter() - t
    if n != total:
        raise RuntimeError(f"the reader read {n} of {total} events")
    return total / elapsed


def status_cost(cluster, db: str) -> None:
    with cluster.connect(db) as conn:
        conn.execute("SELECT api.create_subscription('watched')")
        for view in ("api.subscription_status", "api.projection_status"):
            t = time.perf_counter()
            for _ in range(5):
                rows = conn.execute(f"SELECT events_behind, events_behind_exact FROM {view}").fetchall()
            ms = (time.perf_counter() - t) / 5 * 1000
            print(f"  SELECT * FROM {view}: {ms:.1f} ms with {rows[0][0]} events behind (exact: {rows[0][1]})",
                  flush=True)


def latency(cluster, template: str, seconds: float, rate: float = 500.0) -> list[float]:
    with fresh_database(cluster, template) as db:
        with cluster.connect(db) as conn:
            conn.execute("SELECT api.create_subscription('live', in_from_beginning := false)")
        streams = [uuid.uuid4() for _ in range(2000)]
        committed: dict = {}
        handled: dict = {}
        lock = threading.Lock()
        stop = threading.Event()

        def worker():  # what the pg_cron job eventstore-projections runs
            with cluster.connect(db) as conn:
                conn.execute("CALL private.projection_worker(%s::numeric)", (seconds + 3,))

        def writer(part: int, writers: int):
            with cluster.connect(db) as conn:
                next_at, i = time.monotonic(), part
                while not stop.is_set():
                    s = streams[i % len(streams)]
                    i += writers
                    version = conn.execute("CALL api.append_events('Live', %s, NULL, "
                                           "'[{\"event_type\": \"Tick\", \"event_data\": {}}]', NULL)", (s,)).fetchone()[0]
                    now = time.monotonic()
                    with lock:
                        committed[(s, version)] = now
                    next_at += writers / rate
                    time.sleep(max(0.0, next_at - time.monotonic()))

        def consumer(name: str):
            try:
                consume(name)
            except Exception as error:  # said, so that a run with events not claimed says why
                print(f"  consumer {name} stopped: {type(error).__name__}: {error}", flush=True)

        def consume(name: str):
            with cluster.connect(db) as conn:
                conn.execute("LISTEN eventstore_events")
                while not stop.is_set() or len(handled) < len(committed):
                    rows = conn.execute("SELECT id, stream_id, version FROM api.claim_events('live', %s, 100)",
                                        (name,)).fetchall()
                    now = time.monotonic()
                    if rows:
                        with lock:
                            for _, s, v in rows:
                                handled.setdefault((s, v), now)
                        conn.execute("SELECT api.ack_events('live', %s, %s)", (name, [r[0] for r in rows]))
                    else:
                        if stop.is_set() and time.monotonic() > stop_at[0] + 15:  # a loaded machine (CI) drains slowly
                            return
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            pass

        stop_at = [float("inf")]
        writers = 4
        threads = ([threading.Thread(target=worker)]
                   + [threading.Thread(target=writer, args=(i, writers)) for i in range(writers)]
                   + [threading.Thread(target=consumer, args=(f"c{i}",)) for i in range(2)])
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        stop_at[0] = time.monotonic()
        for t in threads:
            t.join()
        lat = [handled[k] - committed[k] for k in committed if k in handled]
        missing = len(committed) - len(lat)
        print(f"  {len(committed)} appends in {seconds:.0f} s ({len(committed) / seconds:.0f}/s), "
              f"{missing} not claimed", flush=True)
        return sorted(lat)


def run(cluster, template, rounds: int, seconds: float, scale: float = 1.0, **_) -> dict:
    total_target = max(2000, int(200_000 * scale))
    streams = max(20, int(2000 * scale))
    total = (total_target // streams) * streams
    rounds = max(2, min(rounds, 4))
    print(f"throughput: {CONSUMERS} consumer processes (claim 100 + ack) vs one reader "
          f"(get_all_events, pages of 1000), {total} events over {streams} streams, {rounds} rounds", flush=True)
    ratios = []
    for i in range(rounds):
        figures = {}
        order = ("reader", "subscription") if i % 2 == 0 else ("subscription", "reader")
        for which in order:
            with fresh_database(cluster, template) as db:
                cluster.execute(db, load_sql(total, streams))
                cluster.execute(db, "VACUUM ANALYZE")
                if which == "reader":
                    figures[which] = measure_reader(cluster, db, total)
                else:
                    if i == 0:
                        status_cost(cluster, db)
                    figures[which] = measure_subscription(cluster, db, total)
        ratios.append(figures["subscription"] / figures["reader"])
        print(f"  round {i + 1}: reader {figures['reader']:9.0f} events/s   subscription {figures['subscription']:9.0f} "
              f"events/s   ratio {ratios[-1]:.3f}", flush=True)
    ratio = statistics.median(ratios)
    report("subscription drain / get_all_events paging", ratio, ">= 0.5")

    baseline = f"bench_{BASELINE.replace('.', '_')}"
    cluster.create_database(baseline)
    try:
        cluster.deploy_release(baseline, BASELINE)
        drifts = []
        for i in range(rounds):
            figures = {}
            for which in (("head", "baseline") if i % 2 == 0 else ("baseline", "head")):
                with fresh_database(cluster, template if which == "head" else baseline) as db:
                    cluster.execute(db, load_sql(total, streams))
                    cluster.execute(db, "VACUUM ANALYZE")
                    figures[which] = measure_subscription(cluster, db, total)
            drifts.append(figures["head"] / figures["baseline"])
            print(f"  round {i + 1}: {BASELINE} {figures['baseline']:9.0f} events/s   HEAD {figures['head']:9.0f} "
                  f"events/s   ratio {drifts[-1]:.3f}", flush=True)
    finally:
        cluster.drop_database(baseline)
    drift = statistics.median(drifts)
    report(f"subscription drain HEAD / {BASELINE}", drift, ">= 0.95")

    dur = max(5.0, min(30.0, seconds * 2))
    print(f"latency: append commit -> claim, 500 appends/s for {dur:.0f} s, 2 consumers on LISTEN, "
          "the projection worker sending notifications", flush=True)
    lat = latency(cluster, template, dur)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
    print(f"  p50 {q[49] * 1000:.0f} ms   p99 {q[98] * 1000:.0f} ms   max {lat[-1] * 1000:.0f} ms", flush=True)
    report("append-commit to claim p99", q[98] * 1000, "< 200", " ms")
    return {"ratio": ratio, "drift": drift, "p99_ms": q[98] * 1000}
