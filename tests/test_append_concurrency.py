"""api.append_events under concurrency, across real connections."""

from __future__ import annotations

import uuid

import psycopg

from tests.helpers import append, event, race, raises_sqlstate

CLIENTS = 8
ROUNDS = 25


def _race(db, worker, clients=CLIENTS):
    """Run ``worker(conn, barrier)`` in ``clients`` threads, each on its own connection; the
    lists they return, concatenated."""
    def on_a_connection(barrier):
        with db.connect("es_writer") as conn:
            return worker(conn, barrier)

    return [item for out in race([on_a_connection] * clients) for item in out]


def test_racing_appends_with_the_version_just_read_keep_every_success(db):
    stream = uuid.uuid4()
    with db.connect("es_writer") as conn:
        append(conn, "Order", stream, 0, [event("OrderCreated", {"n": 0})])

    def worker(conn, barrier):
        out = []
        for i in range(ROUNDS):
            version = conn.execute("SELECT api.get_stream_version('Order', %s)", (stream,)).fetchone()[0]
            barrier.wait()
            try:
                new = append(conn, "Order", stream, version, [event("ItemAdded", {"n": i})])
                out.append(("ok", version, new))
            except psycopg.Error as exc:
                out.append(("error", exc.sqlstate, str(exc)))
        return out

    results = _race(db, worker)
    successes = [r for r in results if r[0] == "ok"]
    failures = [r for r in results if r[0] == "error"]

    assert successes, "some appends must win"
    assert failures, "racing on the same version must make some lose"
    assert {f[1] for f in failures} == {"ZE001"}, failures[:3]
    assert all("expected" in f[2] and "actual" in f[2] for f in failures)
    # Each winner moved the stream exactly one version on from what it read.
    assert all(new == version + 1 for _, version, new in successes)
    versions = [r[0] for r in db.execute(
        "SELECT version FROM data.events WHERE stream_type = 'Order' AND stream_id = %s ORDER BY version",
        (stream,))]
    assert versions == list(range(1, len(successes) + 2)), "versions 1..N, no gap, no duplicate"
    assert db.scalar("SELECT current_version FROM data.event_streams WHERE stream_id = %s", (stream,)) == len(versions)


def test_racing_creates_of_one_new_stream_let_exactly_one_win(db):
    stream = uuid.uuid4()

    def worker(conn, barrier):
        barrier.wait()
        try:
            return [("ok", append(conn, "Order", stream, 0, [event("OrderCreated")]))]
        except psycopg.Error as exc:
            return [("error", exc.sqlstate)]

    results = _race(db, worker)
    assert sorted(results) == [("error", "ZE001")] * (CLIENTS - 1) + [("ok", 1)]
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_id = %s", (stream,)) == 1


def test_appends_with_any_version_all_succeed_under_contention(db):
    """Autocommit appends queue on the stream before taking an xid: the order guard never
    fires for them, so 'any version' appends do not fail spuriously."""
    stream = uuid.uuid4()

    def worker(conn, barrier):
        out = []
        barrier.wait()
        for i in range(ROUNDS):
            out.append(append(conn, "Counter", stream, None, [event("Ticked", {"i": i})]))
        return out

    results = _race(db, worker)
    assert sorted(results) == list(range(1, CLIENTS * ROUNDS + 1))
    versions = [r[0] for r in db.execute(
        "SELECT version FROM data.events WHERE stream_id = %s ORDER BY version", (stream,))]
    assert versions == list(range(1, CLIENTS * ROUNDS + 1))


def test_per_stream_order_equals_log_order(db):
    """A transaction that took its xid before a newer one appended to the stream may not
    append after it: its events would sort before that version in the log."""
    stream = uuid.uuid4()
    with db.connect("es_writer") as setup:
        append(setup, "Order", stream, 0, [event("OrderCreated")])

    old = db.connect("es_writer", autocommit=False)
    try:
        old.execute("SELECT pg_current_xact_id()")  # this transaction now holds the older xid
        with db.connect("es_writer") as newer:
            assert append(newer, "Order", stream, 1, [event("ItemAdded")]) == 2
        with raises_sqlstate("40001", "newer than this one"):
            append(old, "Order", stream, 2, [event("ItemAdded")])
        old.rollback()
        # The retry, in a new transaction, succeeds.
        assert append(old, "Order", stream, 2, [event("ItemAdded")]) == 3
        old.commit()
    finally:
        old.close()

    rows = db.execute("""SELECT version FROM data.events WHERE stream_id = %s
                         ORDER BY generation, transaction_id, global_position""", (stream,))
    assert [r[0] for r in rows] == [1, 2, 3], "log order of the stream is its version order"


def test_a_batch_is_one_contiguous_run_of_versions(db):
    stream = uuid.uuid4()
    with db.connect("es_writer") as conn:
        assert append(conn, "Order", stream, 0, [event("A"), event("B"), event("C")]) == 3
        assert append(conn, "Order", stream, 3, [event("D"), event("E")]) == 5
    rows = db.execute("SELECT version, event_type FROM data.events WHERE stream_id = %s ORDER BY version",
                      (stream,))
    assert rows == [(1, "A"), (2, "B"), (3, "C"), (4, "D"), (5, "E")]


def test_one_transaction_appends_to_many_streams(db):
    """A bulk import into many streams in one transaction: only its first append takes the
    per-stream queueing lock (later ones could not change its xid anyway). One lock per
    stream would exhaust the shared lock table (seen at 40,000 streams)."""
    with db.connect("es_writer", autocommit=False) as conn:
        conn.execute("""DO $$ DECLARE v integer; BEGIN
                            FOR i IN 1 .. 1000 LOOP
                                CALL api.append_events('Import', gen_random_uuid(), 0,
                                    '[{"event_type": "Imported", "event_data": {}}]', v);
                            END LOOP;
                        END $$""")
        held = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                            "AND pid = pg_backend_pid()").fetchone()[0]
        conn.commit()
    assert held == 1
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Import'") == 1000


def test_an_append_does_not_wait_for_another_that_is_stamping_the_generation(db):
    """After a server start the first append confirms the generation by its system identifier
    and stamps it (private.confirm_generation), holding the row until it commits. Appends in
    the meantime neither wait for it nor write another generation."""
    db.execute("UPDATE data.store_generations SET server_started_at = NULL")  # as after a restart
    generation = db.scalar("SELECT max(generation) FROM data.store_generations")
    with db.connect("es_writer", autocommit=False) as first, db.connect("es_writer") as other:
        append(first, "Order", uuid.uuid4(), 0, [event("OrderCreated")])  # stamps; still open
        assert db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                         "WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' "
                         "AND a.usename = 'es_writer'") >= 1
        other.execute("SET lock_timeout = '2s'")  # a wait on the stamping row would fail with 55P03
        stream = uuid.uuid4()
        append(other, "Order", stream, 0, [event("OrderCreated")])
        assert db.scalar("SELECT generation FROM data.events WHERE stream_id = %s", (stream,)) == generation
        first.commit()
    assert db.scalar("SELECT server_started_at = pg_postmaster_start_time() FROM data.store_generations "
                     "WHERE generation = %s", (generation,)), "the first append's stamp stays"
    assert db.scalar("SELECT max(generation) FROM data.store_generations") == generation


def test_a_repeatable_read_append_after_another_stamped_the_generation_is_not_refused(db):
    """A REPEATABLE READ appender whose snapshot predates the stamp reads the identifier and
    leaves the stamp alone (updating the row would be a 40001)."""
    db.execute("UPDATE data.store_generations SET server_started_at = NULL")
    with db.connect("es_writer", autocommit=False) as rr:
        rr.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rr.execute("SELECT 1 FROM api.get_events('Order', %s)", (uuid.uuid4(),))  # its snapshot, before the stamp
        with db.connect("es_writer") as other:
            append(other, "Order", uuid.uuid4(), 0, [event("OrderCreated")])  # stamps, commits
        stream = uuid.uuid4()
        append(rr, "Order", stream, 0, [event("OrderCreated")])
        rr.commit()
    assert db.scalar("SELECT generation FROM data.events WHERE stream_id = %s", (stream,)) == \
        db.scalar("SELECT max(generation) FROM data.store_generations")
