"""Retention across connections: CALL api.apply_retention while writers append, the projection
worker runs, a reader pages the log and a consumer drains a subscription. Expired months go
whole, expired events of partial months go in batches, nothing else goes, and every reader
carries on."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from tests.helpers import append, event

OLD_EVENTS = """
SELECT private.create_event_partition((date_trunc('month', now()) - interval '3 months')::date);
SELECT private.create_event_partition((date_trunc('month', now()) - interval '1 month')::date);
-- Appends of another time, written as the owner with ids of their time (UUIDv7): 'Log' alone
-- three months ago, 'Log' and 'Keep' in the month before this one.
CREATE FUNCTION pg_temp.id_at(ts timestamptz) RETURNS uuid LANGUAGE sql AS $$
    SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3)
            || '8' || substr(md5(random()::text), 1, 15))::uuid $$;
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, created_at, transaction_id, generation)
SELECT pg_temp.id_at(t), 'Log', gen_random_uuid(), 1, 'Logged', '{}', t, pg_current_xact_id(), 1
FROM generate_series(1, 200), LATERAL (SELECT date_trunc('month', now()) - interval '3 months' + interval '1 hour' AS t) AS x;
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, created_at, transaction_id, generation)
SELECT pg_temp.id_at(t), CASE WHEN g % 3 = 0 THEN 'Keep' ELSE 'Log' END, gen_random_uuid(), 1, 'Logged', '{}', t,
       pg_current_xact_id(), 1
FROM generate_series(1, 300) AS g, LATERAL (SELECT date_trunc('month', now()) - interval '1 month' + interval '1 hour' AS t) AS x;
CREATE TABLE public.seen_by_projection (id uuid PRIMARY KEY);
GRANT INSERT ON public.seen_by_projection TO eventstore_admin;
CREATE FUNCTION public.see(in_events data.events[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO public.seen_by_projection SELECT e.id FROM unnest(in_events) AS e ON CONFLICT DO NOTHING $$;
"""


@pytest.mark.slow
def test_a_retention_run_under_load_removes_only_what_expired_and_every_reader_goes_on(db):
    db.execute(OLD_EVENTS)
    month_3 = db.scalar("SELECT 'events_' || to_char(date_trunc('month', now()) - interval '3 months', 'YYYY_MM')")
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_projection('see', 'public.see(data.events[])')")
        a.execute("SELECT api.create_subscription('all')")
        a.execute("SELECT api.set_retention('Log', '7 days')")
    keep_before = {r[0] for r in db.execute("SELECT id FROM data.events WHERE stream_type = 'Keep'")}
    # Cursors a reader may hold: an event of the month that goes whole, one of a month that loses rows.
    cursors = [db.scalar(f"SELECT id FROM data.{month_3} LIMIT 1"),
               db.scalar("SELECT id FROM data.events WHERE stream_type = 'Log' AND created_at < now() - interval '20 days' "
                         "AND created_at > now() - interval '2 months' LIMIT 1")]

    stop = threading.Event()
    errors: list[BaseException] = []
    read: set = set()
    claimed: set = set()
    last_read: list = [None]

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        return threading.Thread(target=run)

    def writer():
        with db.connect("es_writer") as w:
            while not stop.is_set():
                append(w, "Log", uuid.uuid4(), 0, [event("Logged")])
                append(w, "Keep", uuid.uuid4(), 0, [event("Kept")])

    def projector():
        with db.connect("es_projector") as p:
            while not stop.is_set():
                p.execute("SELECT api.run_projection('see', 100)")

    def reader():
        cursor = None
        with db.connect("es_reader") as r:
            while not stop.is_set():
                rows = r.execute("SELECT id FROM api.get_all_events(%s, 50)", (cursor,)).fetchall()
                read.update(row[0] for row in rows)
                cursor = rows[-1][0] if rows else cursor
                last_read[0] = cursor
                time.sleep(0.005)

    def consumer():
        with db.connect("es_projector") as c:
            while not stop.is_set():
                ids = [row[0] for row in c.execute("SELECT id FROM api.claim_events('all', 'c1', 50)").fetchall()]
                if ids:
                    c.execute("SELECT api.ack_events('all', 'c1', %s)", (ids,))
                    claimed.update(ids)

    threads = [guarded(f) for f in (writer, projector, reader, consumer)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    with psycopg.connect(db.cluster.conninfo(db.name, "es_admin"), autocommit=True) as a:
        notices = []
        a.add_notice_handler(lambda d: notices.append(d.message_primary))
        a.execute("CALL api.apply_retention(40)")
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors

    assert not db.execute("SELECT FROM data.events WHERE stream_type = 'Log' AND created_at < now() - interval '7 days'")
    assert keep_before <= {r[0] for r in db.execute("SELECT id FROM data.events WHERE stream_type = 'Keep'")}, \
        "nothing of another stream type goes"
    assert not db.execute("SELECT FROM pg_class WHERE relname = %s", (month_3,)), "the expired month was dropped whole"
    assert f"retention: dropped data.{month_3} (200 events)" in notices
    removed = db.execute("SELECT kind, stream_type, sum(events_removed)::int FROM data.event_removals GROUP BY 1, 2")
    assert removed == [("retention", "Log", 400)]

    # Everyone carries on: the projection and the consumer catch up with every event that is
    # left, and the reader pages on to the end (its cursor may have been a removed event).
    log = {r[0] for r in db.execute("SELECT id FROM data.events")}
    with db.connect("es_projector") as p:
        while p.execute("SELECT api.run_projection('see', 1000)").fetchone()[0]:
            pass
        while ids := [row[0] for row in p.execute("SELECT id FROM api.claim_events('all', 'c1', 1000)").fetchall()]:
            p.execute("SELECT api.ack_events('all', 'c1', %s)", (ids,))
            claimed.update(ids)
    assert log <= {r[0] for r in db.execute("SELECT id FROM public.seen_by_projection")}
    assert log <= claimed
    assert db.scalar("SELECT status FROM api.projection_status WHERE projection_name = 'see'") != "failed"
    with db.connect("es_reader") as r:
        cursor = last_read[0]  # where the reader was: perhaps an event that is gone now
        while rows := r.execute("SELECT id FROM api.get_all_events(%s, 1000)", (cursor,)).fetchall():
            read.update(row[0] for row in rows)
            cursor = rows[-1][0]
    assert log <= read
    with db.connect("es_reader") as r:
        for cursor in cursors:
            assert not db.execute("SELECT FROM data.events WHERE id = %s", (cursor,)), "the cursor's event is gone"
            after = {row[0] for row in r.execute("SELECT id FROM api.get_all_events(%s, 10000)", (cursor,)).fetchall()}
            assert keep_before <= after, "a reader on a removed event goes on, missing nothing after it"
