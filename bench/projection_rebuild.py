"""Rebuild of the projection tallies (the benches' fixture domain, harness/tally.sql) over
>= 1,000,000 events (api.rebuild_projection) beside the same read model built by one set-based
SQL statement (harness/tally_model.py), in events per second.

Then a version 2 of it (harness/tally_versions.py) built beside the live version 1 while 100
appends per second go on, the projections run as the worker runs them (a batch of each, each
committed) and a reader queries the read model through the view over both versions: the
catch-up's events per second against api.rebuild_projection's under the same load (and alone),
the readers' p99 latency during the build against before it, and the longest read while the promotion runs.
"""

from __future__ import annotations

import statistics
import threading
import time

from bench.common import alternate, fresh_database, report
from harness.tally_model import READ_MODEL_SQL, TALLIES_SQL
from harness.tally_versions import REGISTER_V2, V2_SQL

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
        versions = build_beside(cluster, db, events, r["b"], seconds)
    report("rebuild/set-based statement, events per second", r["ratio"], ">= 0.3")
    print(f"       events/s (medians): rebuild {r['b']:.0f}, set-based {r['a']:.0f}")
    report("version 2 catch-up beside the live version/api.rebuild_projection, same load, events per second",
           versions["catch_up_ratio"], ">= 0.8")
    report("read-model query p99 during the build/before it", versions["p99_ratio"], "<= 1.5")
    report("longest read during the promotion", versions["promotion_read_ms"], "< 50", " ms")
    return r


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 100 else max(latencies)


def build_beside(cluster, db: str, events: int, rebuild_rate: float, seconds: float) -> dict:
    """Version 2 built beside the live version 1 under 100 appends/s, promoted; see the module."""
    cluster.execute(db, V2_SQL)
    stop = threading.Event()
    reads: list[tuple[float, float]] = []  # (start, seconds)
    errors: list[BaseException] = []

    def appender() -> None:
        try:
            with cluster.connect(db) as conn:
                tick = time.perf_counter()
                n = 0
                while not stop.is_set():
                    n += 1
                    conn.execute("SELECT tally.open(md5('owner' || %s)::uuid, '[]'::jsonb, NULL)", (n % 5000,))
                    tick += 0.01  # 100 appends per second
                    time.sleep(max(0.0, tick - time.perf_counter()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def projector() -> None:
        try:
            with cluster.connect(db) as conn:
                while not stop.is_set():
                    if conn.execute("SELECT api.run_projections()").fetchone()[0] == 0:
                        time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def reader() -> None:
        try:
            with cluster.connect(db) as conn:
                n = 0
                while not stop.is_set():
                    n += 1
                    t = time.perf_counter()
                    conn.execute("SELECT tally_id, status, total_count FROM tally.tallies_read "
                                 "WHERE owner_id = md5('owner' || %s)::uuid ORDER BY opened_at DESC LIMIT 20",
                                 (n * 7919 % 5000,)).fetchall()
                    reads.append((t, time.perf_counter() - t))
                    time.sleep(0.002)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (appender, projector, reader)]
    for th in threads:
        th.start()
    try:
        time.sleep(max(5.0, seconds))  # before: the live version only
        with cluster.connect(db) as conn:
            # For reference: today's way, api.rebuild_projection of the live version in one
            # transaction (readers see the old model meanwhile).
            rebuild_backlog = conn.execute("SELECT count(*) FROM data.events WHERE stream_type = 'Tally'").fetchone()[0]
            t_rebuild = time.perf_counter()
            conn.execute("CALL api.rebuild_projection('tallies')")
            t_rebuilt = time.perf_counter()
            time.sleep(1.0)
            t_register = time.perf_counter()
            conn.execute(REGISTER_V2)
            backlog = conn.execute("SELECT count(*) FROM data.events WHERE stream_type = 'Tally'").fetchone()[0]
            # Caught up with the live version: the runner sets it running. (Polled from the
            # checkpoint, not api.projection_status, whose counts would load the machine.)
            while conn.execute("SELECT status FROM data.projection_checkpoints "
                               "WHERE projection_name = 'tallies@2'").fetchone()[0] != "running":
                if errors:
                    raise errors[0]
                time.sleep(0.2)
            t_caught_up = time.perf_counter()
            ready = conn.execute("SELECT events_behind_live, ready_to_promote FROM api.projection_status "
                                 "WHERE projection_name = 'tallies@2'").fetchone()
            t_promote = time.perf_counter()
            conn.execute("SELECT api.promote_projection('tallies', 2)")
            t_promoted = time.perf_counter()
        time.sleep(2.0)
    finally:
        stop.set()
        for th in threads:
            th.join()
    if errors:
        raise errors[0]
    before = [d for t, d in reads if t < t_rebuild and t > t_rebuild - max(5.0, seconds) + 1]
    rebuilding = [d for t, d in reads if t_rebuild <= t < t_rebuilt]
    during = [d for t, d in reads if t_register <= t < t_caught_up]
    promotion = [d for t, d in reads if t_promote - 0.05 <= t + d and t <= t_promoted]
    after = [v for v in cluster.execute(db, "SELECT DISTINCT version FROM tally.tallies_read")]
    catch_up = backlog / (t_caught_up - t_register)
    rebuild_loaded = rebuild_backlog / (t_rebuilt - t_rebuild)
    print(f"versions: v2 caught up with {backlog} events in {t_caught_up - t_register:.1f}s ({catch_up:.0f} events/s); "
          f"api.rebuild_projection under the same load {rebuild_loaded:.0f} events/s, alone {rebuild_rate:.0f} "
          f"(catch-up/alone {catch_up / rebuild_rate:.3f})", flush=True)
    print(f"          reads: p99 before {_p99(before) * 1000:.2f} ms ({len(before)} reads), during the build "
          f"{_p99(during) * 1000:.2f} ms ({len(during)}), during api.rebuild_projection (today's way, for "
          f"reference) {_p99(rebuilding) * 1000:.2f} ms ({len(rebuilding)})", flush=True)
    print(f"          caught up: {ready[0]} events behind the live one, ready {ready[1]}; the promotion took {(t_promoted - t_promote) * 1000:.1f} ms, "
          f"the longest of the {len(promotion)} reads it overlapped {max(promotion, default=0) * 1000:.2f} ms; "
          f"readers now see version {after}", flush=True)
    return {"catch_up_ratio": catch_up / rebuild_loaded, "p99_ratio": _p99(during) / _p99(before),
            "promotion_read_ms": max(promotion, default=0) * 1000}
