"""Rebuild of order_summaries over >= 1,000,000 events (api.rebuild_projection) beside the same
read model built by one set-based SQL statement (harness/order_model.py), in events per second.
"""

from __future__ import annotations

import time

from bench.common import alternate, fresh_database, report
from harness.order_model import ORDER_SUMMARIES_SQL, READ_MODEL_SQL

SETUP = ""


def load_sql(orders: int) -> str:
    # Four events per order, in stream order, written set-based (as a bulk import would).
    return f"""
    INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, created_at)
    SELECT 'Order', o.id, v.version, v.event_type, v.event_data, '2026-01-01'::timestamptz + o.n * interval '1 second'
    FROM (SELECT n, md5('order' || n)::uuid AS id FROM generate_series(1, {orders}) AS n) AS o
    CROSS JOIN LATERAL (VALUES
        (1, 'OrderCreated', jsonb_build_object(
            'customer_id', md5('customer' || o.n % 5000)::uuid,
            'items', jsonb_build_array(jsonb_build_object('product_id', 'p' || o.n % 100, 'quantity', 1 + o.n % 3, 'price', 9.99),
                                       jsonb_build_object('product_id', 'q' || o.n % 50, 'quantity', 1, 'price', 2.5)))),
        (2, 'ItemAdded', jsonb_build_object('product_id', 'r' || o.n % 70, 'quantity', 2, 'price', 1.25)),
        (3, 'ItemAdded', jsonb_build_object('product_id', 's' || o.n % 30, 'quantity', 1, 'price', 4)),
        (4, CASE WHEN o.n % 5 = 0 THEN 'OrderCancelled' ELSE 'OrderSubmitted' END, '{{}}'::jsonb)
    ) AS v(version, event_type, event_data)
    ORDER BY o.n, v.version;
    """


def run(cluster, template, rounds: int, seconds: float, scale: float = 1.0, **_) -> dict:
    orders = max(100, int(250_000 * scale))
    events = orders * 4
    rounds = max(1, min(rounds, 3))
    with fresh_database(cluster, template) as db, cluster.connect(db) as conn:
        t = time.perf_counter()
        conn.execute(load_sql(orders))
        print(f"rebuild: loaded {events} events ({orders} orders) in {time.perf_counter() - t:.1f}s", flush=True)
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE public.order_summaries_setbased (LIKE data.order_summaries INCLUDING ALL)")

        def set_based():
            conn.execute("TRUNCATE public.order_summaries_setbased")
            t = time.perf_counter()
            conn.execute(f"INSERT INTO public.order_summaries_setbased {ORDER_SUMMARIES_SQL}")
            return events / (time.perf_counter() - t)

        def rebuild():
            conn.execute("VACUUM data.order_summaries")
            t = time.perf_counter()
            conn.execute("CALL api.rebuild_projection('order_summaries')")
            return events / (time.perf_counter() - t)

        print(" events per second:")
        r = alternate(rounds, set_based, rebuild, "one set-based statement", "api.rebuild_projection")
        same = conn.execute(f"""SELECT (SELECT count(*) FROM ({READ_MODEL_SQL} EXCEPT
                                        SELECT * FROM public.order_summaries_setbased) AS d) = 0""").fetchone()[0]
        print(f"       the two read models are {'identical' if same else 'DIFFERENT'} ({orders} orders)")
    report("rebuild/set-based statement, events per second", r["ratio"], ">= 0.3")
    print(f"       events/s (medians): rebuild {r['b']:.0f}, set-based {r['a']:.0f}")
    return r
