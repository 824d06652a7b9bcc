"""Where one primary's limit is (docs/scaling.md): the figures a DBA sizes with.

1. Appends/s with 1, 10 and 100 events per call, 8 and 32 clients, each call a new stream.
2. Log growth per million events: data.events with its indexes (and WAL written), for events of
   a typical size (a 120-byte payload, metadata with correlation and causation ids).
3. The correlation and causation indexes on the append path: appends carrying both ids with the
   indexes, against a clone without them, alternating rounds (ratio with / without).
4. Forensic reads at that size: api.get_events_by_correlation and api.get_causation_chain.
"""

from __future__ import annotations

import time

from bench.common import alternate, fresh_database, pgbench, report

# A batch as a client would send it: events with a 120-byte payload and metadata naming a
# correlation and a causation id. Built by a function (a literal with the ids spliced in by
# 300 concatenations cost pgbench more than the append itself).
SETUP = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE FUNCTION bench.batch(in_events integer) RETURNS jsonb LANGUAGE sql VOLATILE AS $$
    SELECT jsonb_agg(jsonb_build_object(
               'event_type', 'ThingHappened',
               'event_data', jsonb_build_object('n', n, 'text', 'hello', 'note', repeat('x', 80)),
               'metadata', jsonb_build_object('user_id', 'u1', 'correlation_id', md5(random()::text),
                                              'causation_id', gen_random_uuid())))
    FROM generate_series(1, in_events) AS n
$$;
"""


def append_script(events_per_call: int) -> str:
    return f"CALL api.append_events('Bench', gen_random_uuid(), 0, bench.batch({events_per_call}), NULL);\n"

# Streams of 10 events; each event caused by the one before it in its stream (chains of 10),
# correlation ids shared by 5 events.
LOAD = """
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, metadata)
SELECT md5('e' || n)::uuid, 'Load', md5('s' || (n / 10))::uuid, n % 10 + 1, 'ThingHappened',
       jsonb_build_object('n', n, 'text', 'hello', 'note', repeat('x', 80)),
       jsonb_build_object('user_id', 'u1', 'correlation_id', 'c' || (n / 5))
       || CASE WHEN n % 10 > 0 THEN jsonb_build_object('causation_id', md5('e' || (n - 1))::uuid) ELSE '{{}}' END
FROM generate_series({start}, {stop}) AS n;
"""


def run(cluster, template, rounds: int, seconds: float, scale: float = 1.0, **_) -> dict:
    print(f"appends/s, new stream per call, {seconds:.0f} s each", flush=True)
    rows = []
    for per_call in (1, 10, 100):
        for clients in (8, 32):
            with fresh_database(cluster, template) as db:
                tps = pgbench(cluster, db, append_script(per_call), clients, seconds)
            rows.append((per_call, clients, tps))
            print(f"  {per_call:3d} events/call  {clients:2d} clients: {tps:8.0f} calls/s  {tps * per_call:9.0f} events/s",
                  flush=True)

    events = max(10_000, int(1_000_000 * scale))
    with fresh_database(cluster, template) as db:
        with cluster.connect(db) as conn:
            before = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            t = time.perf_counter()
            step = 200_000
            for start in range(0, events, step):
                conn.execute(LOAD.format(start=start, stop=min(events, start + step) - 1))
            load_s = time.perf_counter() - t
            conn.execute("VACUUM ANALYZE data.events")
            size, wal = conn.execute("""
                SELECT sum(pg_total_relation_size(c.oid)),
                       pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'data.events'::regclass""", (before,)).fetchone()
            per_million = float(size) * 1_000_000 / events
            print(f"log growth: {events} events in {load_s:.1f} s (one set-based insert per 200,000); "
                  f"data.events with indexes {float(size) / 2**20:.0f} MiB = {per_million / 2**30:.2f} GiB per million events "
                  f"({float(size) / events:.0f} bytes/event); WAL {float(wal) / events:.0f} bytes/event", flush=True)
            report("log growth, GiB per million events", per_million / 2**30, "(a figure)")

            corr = f"c{events // 10}"
            # The middle of a chain of 10 (5 causes above it, 4 effects below).
            eid = conn.execute("SELECT md5('e' || %s)::uuid", ((events // 20) * 10 + 5,)).fetchone()[0]
            for label, sql, arg in (("get_events_by_correlation", "SELECT count(*) FROM api.get_events_by_correlation(%s)", corr),
                                    ("get_causation_chain", "SELECT count(*) FROM api.get_causation_chain(%s)", eid)):
                conn.execute(sql, (arg,))
                t = time.perf_counter()
                for _ in range(20):
                    n = conn.execute(sql, (arg,)).fetchone()[0]
                ms = (time.perf_counter() - t) / 20 * 1000
                print(f"  {label}: {ms:.2f} ms ({n} events) at {events} events", flush=True)

    print("correlation and causation indexes on the append path (8 clients, 1 event per call)", flush=True)
    without = "b_noidx_template"
    cluster.create_database(without, template=template)
    try:
        cluster.execute(without, "DROP INDEX data.events_correlation_idx; DROP INDEX data.events_causation_idx")

        def measure(on):
            def go():
                with fresh_database(cluster, on) as db:
                    return pgbench(cluster, db, append_script(1), 8, seconds)
            return go

        r = alternate(rounds, measure(without), measure(template), "without", "with")
    finally:
        cluster.drop_database(without)
    report("append_events with / without the correlation indexes", r["ratio"], "(a figure; 1.0 = free)")
    return {"appends": rows, "index_ratio": r["ratio"]}
