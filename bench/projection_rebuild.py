"""Rebuild of the projection tallies (the benches' fixture domain, harness/tally.sql) over
>= 1,000,000 events (api.rebuild_projection) beside the same read model built by one set-based
SQL statement (harness/tally_model.py), in events per second.
"""

from __future__ import annotations

import time

from bench.common import alternate, fresh_database, report
from harness.tally_model import READ_MODEL_SQL, TALLIES_SQL

SETUP = ""


def load_sql(tallies: int) -> str:
    # Four events per tally, in stream order, written set-based (as a bulk import would).
    return f"""
    INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, created_at)
    SELECT 'Tally', o.id, v.version, v.event_type, v.event_data, '2026-01-01'::timestamptz + o.n * interval '1 second'
    FROM (SELECT n, md5('tally' || n)::uuid AS id FROM generate_series(1, {tallies}) AS n) AS o
    CROSS JOIN LATERAL (VALUES
        (1, 'TallyOpened', jsonb_build_object(
            'owner_id', md5('owner' || o.n % 5000)::uuid,
            'marks', jsonb_build_array(jsonb_build_object('label', 'p' || o.n % 100, 'count', 1 + o.n % 3, 'weight', 9.99),
                                       jsonb_build_object('label', 'q' || o.n % 50, 'count', 1, 'weight', 2.5)))),
        (2, 'Marked', jsonb_build_object('label', 'r' || o.n % 70, 'count', 2, 'weight', 1.25)),
        (3, 'Marked', jsonb_build_object('label', 's' || o.n % 30, 'count', 1, 'weight', 4)),
        (4, CASE WHEN o.n % 5 = 0 THEN 'TallyVoided' ELSE 'TallyClosed' END, '{{}}'::jsonb)
    ) AS v(version, event_type, event_data)
    ORDER BY o.n, v.version;
    """


def run(cluster, template, rounds: int, seconds: float, scale: float = 1.0, **_) -> dict:
    tallies = max(100, int(250_000 * scale))
    events = tallies * 4
    rounds = max(1, min(rounds, 3))
    with fresh_database(cluster, template) as db, cluster.connect(db) as conn:
        t = time.perf_counter()
        conn.execute(load_sql(tallies))
        print(f"rebuild: loaded {events} events ({tallies} tallies) in {time.perf_counter() - t:.1f}s", flush=True)
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE public.tallies_setbased (LIKE tally.tallies INCLUDING ALL)")

        def set_based():
            conn.execute("TRUNCATE public.tallies_setbased")
            t = time.perf_counter()
            conn.execute(f"INSERT INTO public.tallies_setbased {TALLIES_SQL}")
            return events / (time.perf_counter() - t)

        def rebuild():
            conn.execute("VACUUM tally.tallies")
            t = time.perf_counter()
            conn.execute("CALL api.rebuild_projection('tallies')")
            return events / (time.perf_counter() - t)

        print(" events per second:")
        r = alternate(rounds, set_based, rebuild, "one set-based statement", "api.rebuild_projection")
        same = conn.execute(f"""SELECT (SELECT count(*) FROM ({READ_MODEL_SQL} EXCEPT
                                        SELECT * FROM public.tallies_setbased) AS d) = 0""").fetchone()[0]
        print(f"       the two read models are {'identical' if same else 'DIFFERENT'} ({tallies} tallies)")
    report("rebuild/set-based statement, events per second", r["ratio"], ">= 0.3")
    print(f"       events/s (medians): rebuild {r['b']:.0f}, set-based {r['a']:.0f}")
    return r
