"""The read horizon waits only for appenders (docs/read-horizon.md), across real connections.

Whole-log readers used to stop at the oldest transaction id of the whole cluster: any open
transaction that held one, in any database, stalled every reader and projection. Each test
names the interleaving of docs/read-horizon.md it checks.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import psycopg
import pytest

from tests.helpers import append, event, login, new_id, raises_sqlstate


def read_all(conn, after=None, limit=10000) -> list[tuple]:
    return conn.execute("SELECT id, stream_type, event_type FROM api.get_all_events(%s, %s)", (after, limit)).fetchall()


def holding_xid(connect) -> psycopg.Connection:
    """A connection in an open transaction that holds a transaction id and appended nothing."""
    conn = connect()
    conn.execute("SELECT pg_current_xact_id()")
    return conn


def test_a_transaction_in_another_database_does_not_hold_readers_back(db, cluster):
    other = holding_xid(lambda: cluster.connect("postgres", user="postgres", autocommit=False))
    try:
        with db.connect("es_writer") as w:
            append(w, "S", new_id(), 0, [event("Appended")])
        with db.connect("es_reader") as r:
            # v1.2.0: nothing, until the other database's transaction ended.
            assert [e[2] for e in read_all(r)] == ["Appended"]
        with db.connect("es_projector") as p:
            p.execute("SELECT api.run_projections()")
            assert p.execute("SELECT events_applied FROM api.projection_status "
                             "WHERE projection_name = 'notifications'").fetchone()[0] == 1
    finally:
        other.rollback()
        other.close()


def test_a_transaction_writing_an_application_table_does_not_hold_readers_back(db):
    db.execute("CREATE TABLE public.app_rows (x integer); GRANT ALL ON public.app_rows TO PUBLIC")
    app = db.connect("es_writer", autocommit=False)
    app.execute("INSERT INTO public.app_rows VALUES (1)")  # holds a transaction id, appended nothing
    try:
        with db.connect("es_writer") as w:
            append(w, "S", new_id(), 0, [event("Appended")])
        with db.connect("es_reader") as r:
            assert [e[2] for e in read_all(r)] == ["Appended"]
            assert r.execute("SELECT count(*) FROM api.get_events_by_type(ARRAY['Appended'])").fetchone()[0] == 1
            status = r.execute("SELECT events_held_back, oldest_xact_pid FROM api.projection_status "
                               "WHERE projection_name = 'notifications'").fetchone()
            assert status == (0, None), "status names no holder: the application transaction holds nothing back"
        with db.connect("es_projector") as p:
            assert p.execute("SELECT api.run_projection('notifications')").fetchone()[0] == 1
    finally:
        app.rollback()
        app.close()


def test_an_open_appending_transaction_holds_readers_back_until_it_commits(db):
    first = new_id()
    appender = db.connect("es_writer", autocommit=False)
    append(appender, "S", first, 0, [event("Early")])
    try:
        with db.connect("es_writer") as w:
            append(w, "S", new_id(), 0, [event("Later")])
        with db.connect("es_reader") as r:
            # The later event is committed, but comes after the open appender in the log order.
            assert read_all(r) == []
            pid, held_back = r.execute("SELECT oldest_xact_pid, events_held_back FROM api.projection_status "
                                       "WHERE projection_name = 'notifications'").fetchone()
            assert (pid, held_back) == (appender.info.backend_pid, 1)
        appender.commit()
        with db.connect("es_reader") as r:
            assert [e[2] for e in read_all(r)] == ["Early", "Later"]
    finally:
        appender.close()


def test_a_late_appender_after_a_reader_passed_it_fails_and_its_retry_is_read_once(db):
    db.execute("CREATE TABLE public.app_rows (x integer); GRANT ALL ON public.app_rows TO PUBLIC")
    reader = db.connect("es_reader")
    late = db.connect("es_writer", autocommit=False)
    late.execute("INSERT INTO public.app_rows VALUES (1)")  # its transaction id comes first
    with db.connect("es_writer") as w:
        append(w, "S", new_id(), 0, [event("Newer")])
    seen = read_all(reader)
    assert [e[2] for e in seen] == ["Newer"], "the reader pages past the late transaction's id"
    stream = new_id()
    with raises_sqlstate("40001", "a reader has read the log past it"):
        append(late, "S", stream, 0, [event("Late")])
    late.rollback()
    # The retry gets a new transaction id, after the reader's position.
    late.execute("INSERT INTO public.app_rows VALUES (1)")
    append(late, "S", stream, 0, [event("Late")])
    late.commit()
    late.close()
    rest = read_all(reader, after=seen[-1][0])
    assert [e[2] for e in rest] == ["Late"]
    assert read_all(reader, after=rest[-1][0]) == []
    everything = [e[2] for e in read_all(reader)]
    assert sorted(everything) == ["Late", "Newer"], "each event once"
    reader.close()


def test_a_late_appender_no_reader_passed_appends_and_its_later_appends_need_no_check(db):
    db.execute("CREATE TABLE public.app_rows (x integer); GRANT ALL ON public.app_rows TO PUBLIC")
    with db.connect("es_writer", autocommit=False) as late:
        late.execute("INSERT INTO public.app_rows VALUES (1)")
        append(late, "S", new_id(), 0, [event("One")])
        # A reader now passes newer events; this transaction is announced, so it is waited for.
        with db.connect("es_writer") as w:
            append(w, "S", new_id(), 0, [event("Newer")])
        with db.connect("es_reader") as r:
            assert read_all(r) == []
        append(late, "S", new_id(), 0, [event("Two")])
        late.commit()
    with db.connect("es_reader") as r:
        assert [e[2] for e in read_all(r)] == ["One", "Two", "Newer"]


def test_an_idempotent_append_is_announced_before_its_key(db):
    # It claims its key (a write, a transaction id) before it appends: that must not make it
    # a late appender that a reader in between could fail.
    stream = new_id()
    with db.connect("es_writer", autocommit=False) as w:
        w.execute("CALL api.append_events_idempotent('S', %s, 0, '[{\"event_type\": \"Once\", \"event_data\": {}}]',"
                  " %s, NULL)", (stream, uuid.uuid4()))
        with db.connect("es_reader") as r:
            assert read_all(r) == []
        w.commit()
    with db.connect("es_reader") as r:
        assert [e[2] for e in read_all(r)] == ["Once"]


def test_a_repeatable_read_reader_keeps_the_conservative_horizon(db, cluster):
    other = holding_xid(lambda: cluster.connect("postgres", user="postgres", autocommit=False))
    try:
        with db.connect("es_writer") as w:
            append(w, "S", new_id(), 0, [event("Appended")])
        with db.connect("es_reader", autocommit=False) as r:
            r.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            # Its rows would be read with a snapshot taken before any scan: the old horizon.
            assert read_all(r) == []
            r.rollback()
            assert [e[2] for e in read_all(r)] == ["Appended"]
            r.rollback()
    finally:
        other.rollback()
        other.close()


@pytest.mark.slow
def test_concurrent_late_appenders_and_readers_lose_nothing_and_repeat_nothing(db):
    """Writers that write an application row first (so they may be late), plain writers and
    readers paging concurrently: every committed event is read exactly once by each reader."""
    db.execute("CREATE TABLE public.app_rows (x integer); GRANT ALL ON public.app_rows TO PUBLIC")
    stop = threading.Event()
    committed: list[uuid.UUID] = []
    errors: list = []
    lock = threading.Lock()

    def writer(late: bool):
        with db.connect("es_writer") as conn:
            for _ in range(60):
                stream = new_id()
                # A late writer loses whenever a reader pages past its id meanwhile: it retries
                # as a client should, after a short random pause (readers page non-stop here).
                for attempt in range(100):
                    try:
                        with conn.transaction():
                            if late:
                                conn.execute("INSERT INTO public.app_rows VALUES (1)")
                                time.sleep(0.002)
                            append(conn, "S", stream, 0, [event("E")])
                        with lock:
                            committed.append(stream)
                        break
                    except psycopg.errors.SerializationFailure:
                        time.sleep(random.uniform(0, 0.005))
                        continue
                else:
                    errors.append(f"{stream} never committed")

    def reader(out: list):
        # Once the writers are done, page on until everything committed has come (a read may
        # lag: it may fall back to the conservative horizon), for at most 30 s: an event the
        # reader paged past never comes.
        with db.connect("es_reader") as conn:
            after = None
            deadline = None
            while True:
                done = stop.is_set()
                page = conn.execute("SELECT id, stream_id FROM api.get_all_events(%s, 50)", (after,)).fetchall()
                out.extend(page)
                if page:
                    after = page[-1][0]
                elif done:
                    deadline = deadline or time.time() + 30
                    if len(out) >= len(committed) or time.time() > deadline:
                        return
                    time.sleep(0.05)

    reads: list[list] = [[], []]
    readers = [threading.Thread(target=reader, args=(reads[i],)) for i in range(2)]
    writers = [threading.Thread(target=writer, args=(late,)) for late in (True, True, False, False)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors
    for out in reads:
        streams = [row[1] for row in out]
        assert len(streams) == len(set(streams)), "no event twice"
        assert sorted(streams) == sorted(committed), "every committed event"


def test_cancelled_readers_leave_no_lock_behind(db):
    # v2.1.0: a reader cancelled inside publish_read_horizon kept its session advisory lock
    # (the cleanup sat in WHEN OTHERS, which a cancel skips): every later read waited 50 ms and
    # fell back to the cluster-wide horizon. Now nothing a reader takes outlives its statement.
    stop = threading.Event()

    def write() -> None:
        with db.connect("es_writer") as w:
            while not stop.is_set():
                append(w, "H", new_id(), 0, [event("E")])

    writer = threading.Thread(target=write)
    writer.start()
    cancelled = 0
    try:
        with db.connect("es_reader") as r:
            pid = r.execute("SELECT pg_backend_pid()").fetchone()[0]
            rng = random.Random(7)
            for _ in range(1500):
                # The SET itself runs under the timeout set before it: on a busy machine it can be
                # cancelled too (then nothing changed): set it again. Only reads are counted.
                timeout = rng.choice([1, 1, 2, 3, 5])
                for _attempt in range(100):
                    try:
                        r.execute(f"SET statement_timeout = '{timeout}ms'")
                        break
                    except psycopg.errors.QueryCanceled:
                        continue
                else:
                    raise AssertionError("SET statement_timeout was cancelled 100 times in a row")
                try:
                    r.execute("SELECT count(*) FROM api.get_all_events(NULL, 10)").fetchone()
                except psycopg.errors.QueryCanceled:
                    cancelled += 1
            for _attempt in range(100):
                try:
                    r.execute("SET statement_timeout = 0")
                    break
                except psycopg.errors.QueryCanceled:
                    continue
            held = db.execute("SELECT locktype, relation::regclass::text FROM pg_locks "
                              "WHERE pid = %s AND locktype IN ('advisory', 'relation') AND granted "
                              "AND (locktype = 'advisory' OR relation = 'data.read_horizon_publisher'::regclass)", (pid,))
    finally:
        stop.set()
        writer.join(30)
    assert cancelled > 0, "some reads were cancelled"
    assert held == [], "a cancelled reader holds a lock after its statements ended"
    with db.connect("es_admin") as a:
        assert a.execute("SELECT DISTINCT horizon_fallback FROM api.projection_status").fetchall() == [(None,)]


def test_no_role_can_squat_the_horizon_and_status_says_when_readers_fall_back(db):
    # v2.1.0: a session with CONNECT only could take the publisher's advisory key for ever;
    # readers then waited 50 ms each and fell back to the conservative horizon, which an idle
    # transaction in another database held back, while status showed no holder.
    stranger = login(db, [])
    db.execute(f"GRANT CONNECT ON DATABASE {db.name} TO {stranger}")
    squat = db.connect(stranger, autocommit=False)
    try:
        squat.execute("SELECT pg_advisory_lock(hashtext('eventstore.read_horizon'), 0)")  # v2.1.0's key
        with raises_sqlstate("42501"):
            squat.execute("LOCK TABLE data.read_horizon_publisher IN EXCLUSIVE MODE")
        squat.rollback()
        squat.execute("SELECT pg_advisory_lock(hashtext('eventstore.read_horizon'), 0)")
        with db.connect("es_writer") as w:
            append(w, "H", new_id(), 0, [event("E")])
        with db.connect("es_admin") as a:
            row = a.execute("SELECT horizon_fallback, oldest_xact_pid FROM api.projection_status "
                            "WHERE projection_name = 'snapshots'").fetchone()
            assert row == (None, None), "readers publish and wait only for appenders"
    finally:
        squat.close()

    # An idle transaction with an id in another database; a repeatable read status query is
    # on the conservative horizon: status says so and names that transaction.
    other = db.cluster.connect("postgres", autocommit=False)
    try:
        other.execute("SELECT pg_current_xact_id()")
        other_pid = other.execute("SELECT pg_backend_pid()").fetchone()[0]
        with db.connect("es_admin", autocommit=False) as a:
            a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            row = a.execute("SELECT horizon_fallback, oldest_xact_pid, oldest_xact_database FROM api.projection_status "
                            "WHERE projection_name = 'snapshots'").fetchone()
            sub = a.execute("SELECT count(*) FROM api.subscription_status").fetchone()
            a.rollback()
        assert row == ("repeatable read transaction", other_pid, "postgres")
        assert sub == (0,)
    finally:
        other.close()
