"""Aggregates: loading a 10,000-event aggregate with a snapshot every 100 events beside a
100-event one (time per load), and append throughput with automatic snapshots on and off.
"""

from __future__ import annotations

import threading
import time

from bench.append_throughput import OWN_STREAMS, own_streams_script
from bench.common import alternate, fresh_database, pgbench, report

SETUP = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE FUNCTION bench.counter(in_state jsonb, in_event data.events) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('events', COALESCE((in_state ->> 'events')::integer, 0) + 1,
                              'last', in_event.event_type, 'n', in_event.event_data -> 'n') $$;
"""

LOADS = 200


def _stream(conn, stream_id: str, events: int) -> None:
    """Append events in batches of 100 (and one of the rest), then let the snapshotter run."""
    done = 0
    while done < events:
        n = min(100, events - done)
        batch = ",".join('{"event_type": "Ticked", "event_data": {"n": %d}}' % (done + i) for i in range(n))
        conn.execute("CALL api.append_events('Bench', %s, %s, %s::jsonb, NULL)", (stream_id, done, f"[{batch}]"))
        done += n
    while conn.execute("SELECT api.run_projection('snapshots')").fetchone()[0]:
        pass


def load_ratio(cluster, template, rounds: int) -> dict:
    with fresh_database(cluster, template) as db, cluster.connect(db) as conn:
        conn.execute("SELECT api.register_reducer('Bench', 'bench.counter(jsonb, data.events)', 1, 100)")
        big, small, worst = ("00000000-0000-7000-8000-%012d" % i for i in (1, 2, 3))
        _stream(conn, big, 10_000)
        _stream(conn, small, 100)
        _stream(conn, worst, 10_099)
        snaps = dict(conn.execute("SELECT stream_id::text, version FROM data.snapshots").fetchall())
        print(f"aggregates: snapshots at {snaps.get(big)} (10,000 events), {snaps.get(small)} (100 events), "
              f"{snaps.get(worst)} (10,099 events)", flush=True)

        def timed_loads(stream):
            def go():
                t = time.perf_counter()
                # The argument refers to g, so every row really calls the function (a
                # constant argument would be evaluated once and rescanned).
                conn.execute("SELECT count(a.state) FROM generate_series(1, %s) AS g, "
                             "LATERAL api.load_aggregate('Bench', CASE WHEN g > 0 THEN %s::uuid END) AS a",
                             (LOADS, stream))
                return (time.perf_counter() - t) / LOADS * 1e6  # microseconds per load
            return go

        print(f" microseconds per api.load_aggregate ({LOADS} loads per measurement):")
        r = alternate(rounds, timed_loads(small), timed_loads(big), "100 events", "10,000 events")
        w = alternate(max(1, rounds // 2), timed_loads(small), timed_loads(worst), "100 events", "10,099 events")
    report("load 10,000-event aggregate / 100-event aggregate", r["ratio"], "<= 2")
    print(f"       (worst case, 99 events past the last snapshot: 10,099 / 100 = {w['ratio']:.3f})")
    return r


# Interval of the overhead measurement: small enough that streams of the run cross it several
# times (at 100 none does within a 10 s run), so snapshots are really taken.
OVERHEAD_INTERVAL = 20


def snapshot_overhead(cluster, template, rounds: int, seconds: float, clients: int = 8) -> dict:
    defines = {"i": "0", "run": "1", **{f"v{k}": "0" for k in range(OWN_STREAMS)}}

    def measure(snapshots_on: bool):
        def go():
            with fresh_database(cluster, template) as db:
                if snapshots_on:
                    cluster.execute(db, "SELECT api.register_reducer('Bench', 'bench.counter(jsonb, data.events)', 1, %s)",
                                    (OVERHEAD_INTERVAL,))
                # The scheduled worker runs during both measurements; only the snapshots differ.
                worker = threading.Thread(target=lambda: cluster.execute(
                    db, f"CALL private.projection_worker({seconds + 1})"))
                worker.start()
                tps = pgbench(cluster, db, own_streams_script(), clients, seconds, defines)
                worker.join()
                made = cluster.execute(db, "SELECT count(*) FROM data.snapshots")[0][0]
                print(f"    (snapshots {'on' if snapshots_on else 'off'}: {made} snapshots taken)", flush=True)
                return tps
        return go

    print(f" appends/s, {clients} clients, own streams, the projection worker running, snapshot every "
          f"{OVERHEAD_INTERVAL} events when on:")
    r = alternate(rounds, measure(False), measure(True), "snapshots off", "snapshots on")
    report("append throughput, automatic snapshots on / off", r["ratio"], ">= 0.9")
    return r


def run(cluster, template, rounds: int, seconds: float, **_) -> dict:
    return {"load": load_ratio(cluster, template, rounds),
            "overhead": snapshot_overhead(cluster, template, rounds, seconds)}
