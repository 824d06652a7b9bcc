"""Projections across real connections: late commits, concurrent runners, rebuilds, failures."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid

import pytest

from tests.helpers import (
    append,
    close_tally,
    event,
    login,
    mark,
    new_id,
    open_tally,
    oracle_model,
    read_model,
    run_projections_until_idle,
    void_tally,
)


def test_a_late_commit_reaches_the_read_model(db):
    owner = uuid.uuid4()
    late = db.connect("es_writer", autocommit=False)
    try:
        late_tally = open_tally(late, owner, [{"label": "p1", "count": 1, "weight": 3}])
        with db.connect("es_writer") as w:
            others = [open_tally(w, owner, [{"label": "p2", "count": 2, "weight": 1}]) for _ in range(3)]
        with db.connect("es_projector") as p:
            run_projections_until_idle(p)
            held = p.execute("SELECT events_applied, events_held_back FROM api.projection_status "
                             "WHERE projection_name = 'tallies'").fetchone()
        # The open transaction holds every later commit back: nothing skipped, nothing yet.
        assert held == (0, 3)
        assert read_model(db) == []
        late.commit()
        with db.connect("es_projector") as p:
            run_projections_until_idle(p)
    finally:
        late.close()
    model = read_model(db)
    assert {row[0] for row in model} == {late_tally, *others}
    assert model == oracle_model(db)


def _random_tallies(db, owners, seed: int, tallies: int, errors: list, stop: threading.Event | None = None):
    """Open tallies with random commands in explicit transactions with random delays (so
    commits land out of order); roll some back."""
    rnd = random.Random(seed)
    try:
        with db.connect("es_writer", autocommit=False) as conn:
            n = 0
            while n < tallies and not (stop and stop.is_set()):
                n += 1
                tally = open_tally(conn, rnd.choice(owners),
                                     [{"label": f"p{rnd.randint(1, 9)}", "count": rnd.randint(1, 3),
                                       "weight": rnd.choice([1, 2.5, 10])}
                                      for _ in range(rnd.randint(0, 2))])
                time.sleep(rnd.uniform(0, 0.02))
                for _ in range(rnd.randint(0, 3)):
                    mark(conn, tally, f"p{rnd.randint(1, 9)}", rnd.randint(1, 4), rnd.choice([0.5, 1, 7]))
                roll = rnd.random()
                if roll < 0.3:
                    close_tally(conn, tally)
                elif roll < 0.45:
                    void_tally(conn, tally, "random")
                time.sleep(rnd.uniform(0, 0.02))
                if rnd.random() < 0.1:
                    conn.rollback()
                else:
                    conn.commit()
    except BaseException as exc:
        errors.append(exc)


def _runner(db, stop: threading.Event, errors: list, batch_size: int):
    try:
        with db.connect("es_projector") as conn:
            while not stop.is_set():
                conn.execute("SELECT api.run_projections(%s)", (batch_size,))
    except BaseException as exc:
        errors.append(exc)


def test_concurrent_writers_and_runners_build_the_model_a_rebuild_builds(db):
    owners = [uuid.uuid4() for _ in range(5)]
    errors: list = []
    stop = threading.Event()
    # Two runners at once: the advisory lock lets only one apply a batch at a time.
    runners = [threading.Thread(target=_runner, args=(db, stop, errors, size)) for size in (3, 7)]
    writers = [threading.Thread(target=_random_tallies, args=(db, owners, seed, 25, errors)) for seed in range(6)]
    for t in runners + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in runners:
        t.join()
    assert not errors, errors

    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
        incremental = read_model(db)
        assert incremental == oracle_model(db)
        assert len(incremental) > 50
        p.execute("CALL api.rebuild_projection('tallies')")
    assert read_model(db) == incremental, "a rebuild from scratch gives the same model"


def test_rebuild_under_load_equals_a_rebuild_on_a_quiet_database(db):
    owners = [uuid.uuid4() for _ in range(3)]
    errors: list = []
    for seed in range(3):
        _random_tallies(db, owners, 100 + seed, 10, errors)
    stop_writers, stop_runner = threading.Event(), threading.Event()
    writers = [threading.Thread(target=_random_tallies, args=(db, owners, seed, 10_000, errors, stop_writers))
               for seed in range(4)]
    runner = threading.Thread(target=_runner, args=(db, stop_runner, errors, 5))
    for t in writers + [runner]:
        t.start()
    try:
        with db.connect("es_projector") as p:
            for _ in range(3):
                time.sleep(0.3)
                p.execute("CALL api.rebuild_projection('tallies')")
    finally:
        stop_writers.set()
        for t in writers:
            t.join()
        stop_runner.set()
        runner.join()
    assert not errors, errors

    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
        after_load = read_model(db)
        p.execute("CALL api.rebuild_projection('tallies')")  # on a quiet database
    assert read_model(db) == after_load
    assert after_load == oracle_model(db)


def test_a_handler_error_stops_only_its_projection_and_resume_works(db):
    # A second projection that counts every event, to show the others go on.
    db.execute("""CREATE TABLE public.event_counts (event_type text PRIMARY KEY, n integer NOT NULL);
                  GRANT ALL ON public.event_counts TO PUBLIC;
                  CREATE FUNCTION public.count_events(in_events data.events[]) RETURNS void LANGUAGE sql AS $$
                      INSERT INTO public.event_counts SELECT e.event_type, count(*) FROM unnest(in_events) AS e
                      GROUP BY e.event_type ON CONFLICT (event_type) DO UPDATE SET n = event_counts.n + excluded.n $$""")
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.register_projection('event_counts', 'public.count_events(data.events[])')")

    with db.connect("es_writer") as w:
        owner = uuid.uuid4()
        good = open_tally(w, owner, [{"label": "p1", "count": 1, "weight": 2}])
        append(w, "Tally", good, 1, [event("GiftWrapped", {"paper": "red"})])  # a type no handler knows
        bad = uuid.uuid4()
        append(w, "Tally", bad, 0, [event("TallyOpened", {"owner_id": "not-a-uuid"})])
        after = open_tally(w, owner, [{"label": "p2", "count": 2, "weight": 1}])

    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
        status = dict(p.execute("SELECT projection_name, status FROM api.projection_status").fetchall())
        assert status == {"tallies": "failed", "event_counts": "running", "snapshots": "running",
                          "notifications": "running"}
        failed = p.execute("""SELECT failed_event_id, error_message FROM api.projection_status
                              WHERE projection_name = 'tallies'""").fetchone()
        bad_event = db.scalar("SELECT id FROM data.events WHERE stream_id = %s", (bad,))
        assert failed[0] == bad_event
        assert failed[1].startswith("22P02: invalid input syntax for type uuid")
        assert {r[0] for r in read_model(db)} == {good}, "applied up to the failed event"
        assert db.scalar("SELECT n FROM public.event_counts WHERE event_type = 'TallyOpened'") == 3

        p.execute("SELECT api.resume_projection('tallies', in_skip_failed_event := true)")
        run_projections_until_idle(p)
    assert {r[0] for r in read_model(db)} == {good, after}
    assert db.execute("SELECT event_id, skipped_by FROM data.projection_skips") == [(bad_event, "es_projector")]


def test_the_scheduled_worker_commits_batch_by_batch(db):
    """private.projection_worker is what pg_cron runs: each batch its own transaction."""
    db.execute("""CREATE TABLE public.batches (xid xid8, events integer);
                  CREATE FUNCTION public.log_batch(in_events data.events[]) RETURNS void LANGUAGE sql AS $$
                      INSERT INTO public.batches VALUES (pg_current_xact_id(), cardinality(in_events)) $$;
                  SELECT api.register_projection('batch_log', 'public.log_batch(data.events[])', NULL, NULL,
                                                 ARRAY['Tally'], 4)""")
    with db.connect("es_writer") as w:
        owner = uuid.uuid4()
        tallies = [open_tally(w, owner, [{"label": "p", "count": 1, "weight": 1}]) for _ in range(30)]
    db.execute("UPDATE data.projections SET batch_size = 4 WHERE projection_name = 'tallies'")
    with db.connect() as conn:
        conn.execute("CALL private.projection_worker(0.5)")
    assert {r[0] for r in read_model(db)} == set(tallies)
    # 30 events in batches of 4: eight batches, each committed in a transaction of its own
    # together with its checkpoint.
    assert db.execute("SELECT count(DISTINCT xid), sum(events) FROM public.batches") == [(8, 30)]
    assert db.scalar("SELECT events_applied FROM data.projection_checkpoints "
                     "WHERE projection_name = 'tallies'") == 30


def test_an_online_reset_rebuilds_in_short_batches_and_runs_again(db):
    with db.connect("es_writer") as w:
        owner = uuid.uuid4()
        for _ in range(12):
            open_tally(w, owner, [{"label": "p", "count": 1, "weight": 2}])
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
        before = read_model(db)
        p.execute("SELECT api.reset_projection('tallies')")
        status = p.execute("SELECT status, events_applied FROM api.projection_status "
                           "WHERE projection_name = 'tallies'").fetchone()
        assert status == ("rebuilding", 0) and read_model(db) == []
        batches = 0
        while p.execute("SELECT api.run_projection('tallies', 5)").fetchone()[0]:
            batches += 1  # each call its own transaction (autocommit)
        assert batches == 3, "12 events in batches of 5"
        assert p.execute("SELECT status FROM api.projection_status "
                         "WHERE projection_name = 'tallies'").fetchone()[0] == "running"
    assert read_model(db) == before == oracle_model(db)


def test_an_idle_run_writes_nothing(db):
    """Caught-up projections do not write: a write takes a transaction id, which moves the
    horizon, which would make every idle poll of the worker write again, for ever."""
    with db.connect("es_writer") as w:
        open_tally(w, uuid.uuid4(), [{"label": "p", "count": 1, "weight": 1}])
        append(w, "Other", uuid.uuid4(), 0, [event("Unrelated")])  # skipped by the filter of tallies
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
        p.execute("SELECT api.run_projections()")  # moves past the skipped event, once
        for _ in range(3):
            with p.transaction():
                assert p.execute("SELECT api.run_projections()").fetchone()[0] == 0
                assert p.execute("SELECT pg_current_xact_id_if_assigned()").fetchone()[0] is None


def test_a_skip_holds_through_rebuilds_and_resets_and_snapshots_go_on(db):
    bad = new_id()
    good = new_id()
    with db.connect("es_writer") as conn:
        append(conn, "Tally", bad, 0, [event("TallyOpened", {"owner_id": "not-a-uuid",
                                                             "marks": [{"label": "p", "count": "x"}]})])
        append(conn, "Tally", bad, 1, [event("TallyClosed")] * 99)  # a snapshot is due at 100
        append(conn, "Tally", good, 0, [event("TallyOpened", {"owner_id": str(new_id()), "marks": []})])
        append(conn, "Tally", good, 1, [event("TallyClosed")] * 99)
    with db.connect("es_projector") as conn:
        run_projections_until_idle(conn)
        rows = dict(conn.execute("SELECT projection_name, status FROM api.projection_status").fetchall())
        # v1.1.0: snapshots failed too, and stopped for every stream.
        assert rows["snapshots"] == "running" and rows["notifications"] == "running"
        assert rows["tallies"] == "failed"
        conn.execute("SELECT api.resume_projection('tallies', true)")
        run_projections_until_idle(conn)
        # v1.1.0: the rebuild failed on the skipped event every time (ZE012).
        conn.execute("CALL api.rebuild_projection('tallies')")
        conn.execute("SELECT api.reset_projection('tallies')")
        run_projections_until_idle(conn)
        assert conn.execute("SELECT status FROM api.projection_status WHERE projection_name = 'tallies'"
                            ).fetchone()[0] == "running"
    assert db.execute("SELECT tally_id FROM tally.tallies") == [(good,)]
    assert db.scalar("SELECT count(*) FROM data.projection_skips WHERE projection_name = 'tallies'") == 1
    assert db.execute("SELECT stream_id, version FROM data.snapshots WHERE stream_type = 'Tally'") == [(good, 100)]


def test_a_projection_that_cannot_read_an_event_is_failed_with_it_and_can_skip_it(db):
    admin = login(db, ["eventstore_admin"], create_schema=True)
    with db.connect(admin) as conn:
        conn.execute(f"""CREATE FUNCTION {admin}.up(j jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
            BEGIN IF j ? 'boom' THEN RAISE EXCEPTION 'cannot upcast %', j; END IF; RETURN j; END $$""")
        conn.execute("SELECT api.register_upcaster('T', 1, %s::regprocedure)", (f"{admin}.up(jsonb)",))
    with db.connect("es_writer") as conn:
        append(conn, "S", new_id(), 0, [event("T", {"boom": 1}, {"version": 1})])
        append(conn, "S", new_id(), 0, [event("Other")])
    boom = db.scalar("SELECT id FROM data.events WHERE event_type = 'T'")
    with db.connect("es_projector") as conn:
        run_projections_until_idle(conn)
        status, failed, error = conn.execute(
            "SELECT status, failed_event_id, error_message FROM api.projection_status "
            "WHERE projection_name = 'notifications'").fetchone()
        # v1.1.0: 'running', no error, a WARNING in the log five times a second.
        assert (status, failed) == ("failed", boom) and "cannot upcast" in error
        conn.execute("SELECT api.resume_projection('notifications', true)")
        run_projections_until_idle(conn)
        assert conn.execute("SELECT status, events_applied FROM api.projection_status "
                            "WHERE projection_name = 'notifications'").fetchone() == ("running", 1)


@pytest.mark.slow
def test_a_batch_is_bounded_by_bytes(db):
    blob = os.urandom(5 * 1024 * 1024).hex()  # 10 MiB of text that does not compress
    with db.connect("es_writer") as conn:
        append(conn, "Big", new_id(), 0, [event("Big", {"blob": blob})] * 3)
    with db.connect("es_projector") as conn:
        # v1.1.0: all three (30 MiB) in one array; 110 of them failed for ever.
        assert conn.execute("SELECT api.run_projection('notifications')").fetchone()[0] == 2
        assert conn.execute("SELECT api.run_projection('notifications')").fetchone()[0] == 1


def test_a_foreign_session_cannot_stop_a_projection_and_stream_lock_holders_are_shown(db):
    nobody = login(db, [])
    with db.connect() as conn:
        conn.execute(f"GRANT CONNECT ON DATABASE {db.name} TO {nobody}")
    stream = new_id()
    with db.connect("es_writer") as conn:
        append(conn, "Tally", stream, 0, [event("Happened")])
    squatter = db.connect(nobody)
    squatter.execute("SELECT pg_advisory_lock(hashtext('eventstore.projection'), hashtext('notifications'))")
    squatter.execute("SELECT pg_advisory_lock(hashtext('eventstore.projection'), hashtext('tallies'))")
    squatter.execute("SELECT pg_advisory_lock(hashtext('Tally'), hashtext(%s))", (str(stream),))
    try:
        with db.connect("es_projector", options="-c statement_timeout=20s") as conn:
            # v1.1.0: 0 for ever, status running; the rebuild hung.
            assert conn.execute("SELECT api.run_projection('notifications')").fetchone()[0] == 1
            conn.execute("CALL api.rebuild_projection('tallies')")
        errors: list = []

        def blocked_append():
            try:
                with db.connect("es_writer", options="-c statement_timeout=20s") as conn:
                    append(conn, "Tally", stream, 1, [event("Happened")])
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=blocked_append)
        t.start()
        deadline = time.time() + 10
        rows = []
        while time.time() < deadline and not rows:
            with db.connect("es_reader") as conn:
                rows = conn.execute("SELECT holder_pid, holder_user, holder_is_writer FROM api.append_lock_waits"
                                    ).fetchall()
            time.sleep(0.1)
        assert rows == [(squatter.info.backend_pid, nobody, False)]
    finally:
        squatter.close()
    t.join(30)
    assert not errors, errors
