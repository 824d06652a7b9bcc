"""Versions of a projection across real connections: a v2 built beside the live v1 while
writers append and readers read, promoted in one transaction; side effects once per event;
promoting back, dropping, reverting; a v2 that fails."""

from __future__ import annotations

import threading
import time
import uuid

from harness.tally_versions import REGISTER_V2
from harness.tally_versions import V2_SQL as V2
from tests.helpers import (
    catalog_is_consistent,
    close_tally,
    mark,
    open_tally,
    oracle_model,
    raises_sqlstate,
    run_projections_until_idle,
)
from tests.helpers import tally_model as model


def _writer(db, stop: threading.Event, errors: list, seed: int) -> None:
    try:
        with db.connect("es_writer") as conn:
            n = 0
            while not stop.is_set():
                n += 1
                tally = open_tally(conn, uuid.UUID(int=seed), [{"label": "a", "count": 1, "weight": 2}])
                mark(conn, tally, "b", 2, 1.5)
                if n % 3 == 0:
                    close_tally(conn, tally)
                time.sleep(0.002)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def _projector(db, stop: threading.Event, errors: list) -> None:
    """What the pg_cron worker does: a batch of every projection version, each committed."""
    try:
        with db.connect("es_projector") as conn:
            while not stop.is_set():
                if conn.execute("SELECT api.run_projections()").fetchone()[0] == 0:
                    time.sleep(0.01)
    except Exception as exc:  # noqa: BLE001
        errors.append(exc)


def test_promotion_while_writers_append_and_readers_read(db):
    db.execute(V2)
    stop_writers, stop_projector, stop_reader = threading.Event(), threading.Event(), threading.Event()
    errors: list = []
    reads: list[tuple] = []  # (started, version, rows, sum of total_count)
    promoted_at: list[float] = []

    def reader() -> None:
        with db.connect("es_reader") as conn:
            while not stop_reader.is_set():
                started = time.monotonic()
                try:
                    rows = conn.execute("SELECT version, count(*), COALESCE(sum(total_count), 0) "
                                        "FROM tally.tallies_read GROUP BY version").fetchall()
                except Exception as exc:  # noqa: BLE001 - a failed read fails the test
                    errors.append(exc)
                    continue
                if len(rows) > 1:
                    errors.append(AssertionError(f"one read saw two versions: {rows}"))
                elif rows:
                    reads.append((started, *rows[0]))

    threads = [threading.Thread(target=_writer, args=(db, stop_writers, errors, i)) for i in range(2)]
    threads.append(threading.Thread(target=_projector, args=(db, stop_projector, errors)))
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        db.execute(REGISTER_V2)
        deadline = time.monotonic() + 60
        while not db.scalar("SELECT ready_to_promote AND events_behind_live < 50 FROM api.projection_status "
                            "WHERE projection_name = 'tallies@2'"):
            assert time.monotonic() < deadline, "v2 never caught up"
            time.sleep(0.05)
        assert db.scalar("SELECT api.projection_live_version('tallies')") == 1
        with db.connect("es_admin") as admin:
            admin.execute("SELECT api.promote_projection('tallies', 2)")
        promoted_at.append(time.monotonic())
        time.sleep(1.0)
    finally:
        stop_writers.set()
        for t in threads[:2]:
            t.join()
        stop_projector.set()
        threads[2].join()
        with db.connect("es_projector") as p:
            run_projections_until_idle(p)
        time.sleep(0.1)
        stop_reader.set()
        threads[3].join()

    assert errors == [], "no failed read, append or run"
    versions = [r[1] for r in reads]
    first_v2 = versions.index(2)
    assert set(versions[:first_v2]) == {1} and set(versions[first_v2:]) == {2}, "v1, then v2 only"
    assert all(r[1] == 2 for r in reads if r[0] > promoted_at[0]), "after the promotion every read is v2"
    # Tallies are only added and counts only grow: a read of a partial v2 would show fewer.
    for before, after in zip(reads, reads[1:], strict=False):
        assert after[2] >= before[2] and after[3] >= before[3], f"a read went back: {before} -> {after}"

    # Neither version applied an event twice or missed one: v2 (live) is the oracle, and v1,
    # resumed as a version that is not live, catches up to it and is the oracle too.
    oracle = oracle_model(db)
    assert len(oracle) > 20
    assert model(db, "tally.tallies_v2") == oracle
    db.execute("SELECT api.resume_projection('tallies@1')")
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    assert model(db, "tally.tallies") == oracle
    catalog_is_consistent(db)


OUTBOX = """
CREATE TABLE tally.outbox (event_id uuid NOT NULL, version integer NOT NULL);
CREATE FUNCTION tally.send_v1(in_events data.events[]) RETURNS void LANGUAGE sql
SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO tally.outbox SELECT e.id, 1 FROM unnest(in_events) AS e WHERE NOT api.projection_replaying();
$$;
CREATE FUNCTION tally.send_v2(in_events data.events[]) RETURNS void LANGUAGE sql
SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO tally.outbox SELECT e.id, 2 FROM unnest(in_events) AS e WHERE NOT api.projection_replaying();
$$;
CREATE FUNCTION tally.no_reset() RETURNS void LANGUAGE sql AS '';
SELECT api.register_projection('sender', 'tally.send_v1(data.events[])', 'tally.no_reset()',
                               in_stream_types := ARRAY['Tally'], in_batch_size := 7);
"""


def test_a_side_effect_happens_once_per_event_across_versions_and_rebuilds(db):
    db.execute(OUTBOX)
    stop, errors = threading.Event(), []
    stop_projector = threading.Event()
    threads = [threading.Thread(target=_writer, args=(db, stop, errors, i)) for i in range(2)]
    threads.append(threading.Thread(target=_projector, args=(db, stop_projector, errors)))
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        db.execute("SELECT api.register_projection_version('sender', 2, 'tally.send_v2(data.events[])', "
                   "'tally.no_reset()')")
        time.sleep(0.5)
        deadline = time.monotonic() + 60
        while True:
            try:
                db.execute("SELECT api.promote_projection('sender', 2)")
                break
            except Exception as exc:  # ZE011: not within the bound yet  # noqa: BLE001
                assert "ZE011" in str(getattr(exc, "sqlstate", "")) and time.monotonic() < deadline, exc
                time.sleep(0.05)
        time.sleep(0.5)
        # v1 back as a version that is not live, rebuilt from the start: it replays everything.
        db.execute("SELECT api.resume_projection('sender@1')")
        db.execute("SELECT api.reset_projection('sender@1')")
        time.sleep(0.3)
        # And the live v2 rebuilt in place: what it sent, it does not send again.
        db.execute("CALL api.rebuild_projection('sender')")
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads[:2]:
            t.join()
        stop_projector.set()
        threads[2].join()
    assert errors == []
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    sent = db.execute("SELECT version, count(*) FROM tally.outbox GROUP BY version ORDER BY version")
    assert [v for v, _ in sent] == [1, 2], f"each version sent while it was live: {sent}"
    events = db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Tally'")
    assert db.scalar("SELECT count(*) FROM tally.outbox") == events, "once per event"
    assert db.scalar("SELECT count(DISTINCT event_id) FROM tally.outbox") == events
    assert db.scalar("""SELECT count(*) FROM data.projection_checkpoints
                        WHERE projection_name IN ('sender', 'sender@1') AND status = 'running'""") == 2


def test_promote_back_drop_and_a_failing_version(db):
    db.execute(V2)
    with db.connect("es_writer") as w:
        tallies = [open_tally(w, marks=[{"label": "a", "count": 2, "weight": 1}]) for _ in range(30)]
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    db.execute(REGISTER_V2)
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.promote_projection('tallies', 2)")
        assert db.scalar("SELECT api.projection_live_version('tallies')") == 2
        # Rollback is one call: the old version, paused behind the live one, catches up inside
        # the promotion (within the bound) and takes the name back.
        with db.connect("es_writer") as w:
            mark(w, tallies[0], "c", 5, 1)
        with db.connect("es_projector") as p:
            run_projections_until_idle(p)  # v2 applies the mark; v1, paused, does not
        assert db.scalar("SELECT status FROM data.projection_checkpoints WHERE projection_name = 'tallies@1'") == "paused"
        admin.execute("SET eventstore.promotion_max_lag = 0")
        with raises_sqlstate("ZE011", "behind"):
            admin.execute("SELECT api.promote_projection('tallies', 1)")  # the bound holds for it too
        admin.execute("RESET eventstore.promotion_max_lag")
        admin.execute("SELECT api.promote_projection('tallies', 1)")
        assert db.scalar("SELECT api.projection_live_version('tallies')") == 1
        assert db.execute("SELECT projection_name, status FROM data.projection_checkpoints "
                          "WHERE projection_name LIKE 'tallies%' ORDER BY 1") == [("tallies", "running"),
                                                                                  ("tallies@2", "paused")]
        assert model(db, "tally.tallies") == oracle_model(db)
        catalog_is_consistent(db)

        # A v3 that fails on an event stays where it is: failed, not live, not promotable.
        db.execute("""CREATE TABLE tally.v3 (n bigint);
            CREATE FUNCTION tally.apply_v3(in_events data.events[]) RETURNS void LANGUAGE plpgsql
            SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                IF EXISTS (SELECT FROM unnest(in_events) AS e WHERE e.event_type = 'Marked') THEN
                    RAISE EXCEPTION 'v3 cannot take a mark' USING ERRCODE = 'P0001';
                END IF;
                INSERT INTO tally.v3 SELECT count(*) FROM unnest(in_events);
            END $$;""")
        db.execute("SELECT api.register_projection_version('tallies', 3, 'tally.apply_v3(data.events[])')")
        with db.connect("es_projector") as p:
            run_projections_until_idle(p)
        failed = db.execute("SELECT status, live, ready_to_promote FROM api.projection_status "
                            "WHERE projection_name = 'tallies@3'")
        assert failed == [("failed", False, False)]
        with raises_sqlstate("ZE011", "failed"):
            admin.execute("SELECT api.promote_projection('tallies', 3)")
        assert db.scalar("SELECT api.projection_live_version('tallies')") == 1

        # Dropping: the live version cannot go; the others can, with their invokers.
        with raises_sqlstate("ZE011", "live"):
            admin.execute("SELECT api.drop_projection_version('tallies', 1)")
        admin.execute("SELECT api.drop_projection_version('tallies', 3)")
        admin.execute("SELECT api.drop_projection_version('tallies', 2)")
        assert db.execute("SELECT projection_name, version FROM data.projections WHERE version_of = 'tallies'") == [
            ("tallies", 1)]
        catalog_is_consistent(db)
