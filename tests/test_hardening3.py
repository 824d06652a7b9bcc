"""Hardening, part 3: each finding of the third review, reproduced across real connections.

Every test here failed on v2.1.0 for the reason its comment gives: an erasure a concurrent
snapshot undid, a payload whose reading was quadratic and a claim it could wedge for ever, a
horizon lock a cancel could leak or a stranger could squat, subscriptions without owners,
intervals whose sign the range checks missed, an append-only guard an audit row fooled, and a
consumer that broke behind a transaction pooler.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from harness.pooler import PgBouncer
from tests.helpers import append, event, new_id, race, raises_sqlstate

REPO = Path(__file__).resolve().parent.parent


def login(db, groups: list[str]) -> str:
    name = f"h3_{uuid.uuid4().hex[:10]}"
    with db.connect() as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN" + (f" IN ROLE {', '.join(groups)}" if groups else ""))
    return name


# -- High 1: no interleaving leaves plaintext of a forgotten subject ---------------------------

SLOW_PERSON = """
CREATE FUNCTION public.slow_person(s jsonb, e data.events) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.3);
    RETURN coalesce(s, '{}') || jsonb_build_object('name', e.event_data -> 'name');
END $$;
"""


@pytest.fixture
def slow_people(db):
    db.execute(SLOW_PERSON)
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_personal_data('Named', '$.subject', ARRAY['name'])")
        a.execute("SELECT api.register_reducer('Person', 'public.slow_person(jsonb, data.events)', 1, 3)")
    stream = new_id()
    with db.connect("es_writer") as w:
        append(w, "Person", stream, 0, [event("Named", {"subject": "p1", "name": "Ann"})] * 3)
    return stream


def plaintext_left(db) -> int:
    return db.scalar("SELECT count(*) FROM data.snapshots WHERE state::text LIKE '%Ann%'")


@pytest.mark.parametrize("folder", ["load_aggregate", "snapshots projection"])
def test_a_fold_that_read_before_an_erasure_saves_no_snapshot_after_it(db, slow_people, folder):
    # v2.1.0: the fold read "Ann" while the key existed, forget_subject committed meanwhile,
    # and the fold then saved its plaintext snapshot: load_aggregate returned the name again.
    stream = slow_people

    def fold(barrier):
        with db.connect("es_reader" if folder == "load_aggregate" else "es_projector") as r:
            barrier.wait()
            if folder == "load_aggregate":
                r.execute("SELECT state FROM api.load_aggregate('Person', %s)", (stream,))
            else:
                r.execute("SELECT api.run_projection('snapshots')")

    def forget(barrier):
        with db.connect("es_admin") as a:
            barrier.wait()
            time.sleep(0.35)  # the fold has read the events and is folding them (0.3 s each)
            return a.execute("SELECT api.forget_subject('p1')").fetchone()[0]

    assert race([fold, forget])[1] is True
    assert plaintext_left(db) == 0, "a snapshot holds the forgotten name"
    with db.connect("es_reader") as r:
        state = r.execute("SELECT state FROM api.load_aggregate('Person', %s)", (stream,)).fetchone()[0]
    assert state == {"name": None}
    assert plaintext_left(db) == 0
    assert db.scalar("SELECT forgotten_xid IS NOT NULL FROM data.forgotten_subjects")


def test_an_erasure_waits_for_a_snapshot_being_saved_and_removes_it(db, slow_people):
    # The other order: the save holds the stream's keys until it commits; the erasure waits,
    # then deletes that snapshot with the others.
    stream = slow_people
    saver = db.connect("es_reader", autocommit=False)
    try:
        saver.execute("SELECT state FROM api.load_aggregate('Person', %s)", (stream,))  # saved, not committed
        assert db.scalar("SELECT count(*) FROM data.snapshots") == 0

        def forget() -> bool:
            with db.connect("es_admin") as a:
                return a.execute("SELECT api.forget_subject('p1')").fetchone()[0]

        result: list = []
        t = threading.Thread(target=lambda: result.append(forget()))
        t.start()
        time.sleep(0.5)
        assert t.is_alive(), "the erasure must wait for the snapshot being saved"
        saver.commit()
        t.join(30)
        assert result == [True]
    finally:
        saver.close()
    assert plaintext_left(db) == 0


def test_a_load_never_waits_for_an_erasure_in_progress_and_saves_nothing_then(db, slow_people):
    # The save gives up at once (NOWAIT) while the key is locked by an erasure that has not
    # committed: the load returns, and no snapshot is left for the erasure to miss.
    stream = slow_people
    eraser = db.connect("es_admin", autocommit=False)
    try:
        assert eraser.execute("SELECT api.forget_subject('p1')").fetchone()[0] is True  # not committed
        with db.connect("es_reader") as r:
            r.execute("SET statement_timeout = '5s'")
            state = r.execute("SELECT state FROM api.load_aggregate('Person', %s)", (stream,)).fetchone()[0]
        assert state == {"name": "Ann"}, "the erasure is not committed yet"
        assert db.scalar("SELECT count(*) FROM data.snapshots") == 0
        eraser.commit()
    finally:
        eraser.close()
    assert plaintext_left(db) == 0


def test_forget_subject_in_its_own_transaction_never_meets_40001_while_readers_page(db):
    # v2.1.0: forget_subject wrote (deleted snapshots) before its append announced it, so a
    # reader paging meanwhile made the append refuse the transaction (40001) most of the time.
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_personal_data('Named', '$.subject', ARRAY['name'])")
    with db.connect("es_writer") as w:
        for i in range(40):
            append(w, "Person", new_id(), 0, [event("Named", {"subject": f"s{i}", "name": "Ann"})])
    stop = threading.Event()

    def page() -> None:
        with db.connect("es_reader") as r:
            while not stop.is_set():
                r.execute("SELECT count(*) FROM api.get_all_events(NULL, 100)").fetchone()

    reader = threading.Thread(target=page)
    reader.start()
    failures = []
    try:
        with db.connect("es_admin") as a:
            for i in range(40):
                try:
                    assert a.execute("SELECT api.forget_subject(%s)", (f"s{i}",)).fetchone()[0] is True
                except psycopg.Error as exc:
                    failures.append(exc.sqlstate)
    finally:
        stop.set()
        reader.join(30)
    assert failures == []
    assert db.scalar("SELECT count(*) FROM data.subject_keys") == 0


# -- High 2: reading costs O(size); no look-alike sealed values; no wedged claim -------------

def test_look_alike_sealed_values_are_refused_on_append(db):
    # v2.1.0: accepted; every reader then paid for them.
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_personal_data('Named', '$.subject', ARRAY['name'])")
    planted = {"subject": "p1", "name": "x", "note": {"$es_sealed": {"key": str(uuid.uuid4()), "data": "AAAA"}}}
    with db.connect("es_writer") as w:
        with raises_sqlstate("ZE002", "looks sealed already"):
            append(w, "Person", new_id(), 0, [event("Named", planted)])
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Person'") == 0


def test_an_event_full_of_look_alike_sealed_values_reads_in_one_pass(db):
    # v2.1.0: one jsonb_set of the whole payload and one subtransaction per field: 8,000
    # fields took 22.7 s, 20,000 well over a minute. Planted before the type was registered
    # (the append refuses them once it is), half of them with the id of a real key.
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_personal_data('Named', '$.subject', ARRAY['name'])")
    with db.connect("es_writer") as w:
        append(w, "Person", new_id(), 0, [event("Named", {"subject": "p1", "name": "Ann"})])
    key = db.scalar("SELECT key_id::text FROM data.subject_keys")
    fields = {f"f{i}": {"$es_sealed": {"key": key if i % 2 else str(uuid.uuid4()), "data": "A" * 44}}
              for i in range(20000)}
    fields["plain"] = 1
    stream = new_id()
    with db.connect("es_writer") as w:
        append(w, "Plant", stream, 0, [event("Planted", fields)])
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_personal_data('Planted', '$.subject', ARRAY['name'])")
    with db.connect("es_reader") as r:
        r.execute("SET statement_timeout = '60s'")  # v2.1.0 needed minutes: a stalled reader
        data = r.execute("SELECT event_data FROM api.get_events('Plant', %s)", (stream,)).fetchone()[0]
    assert len(data) == 20001
    assert data["plain"] == 1 and data["f0"] is None and data["f1"] is None


UPCAST_SLOW = """
CREATE FUNCTION public.slow_upcast(d jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    IF d ? 'slow' THEN PERFORM pg_sleep(5); END IF;
    RETURN d;
END $$;
"""


def test_a_claim_cut_off_while_reading_an_event_parks_it(db):
    # v2.1.0: a claim cut off by statement_timeout on an event that takes long to read rolled
    # back without parking it; every later claim read it again: the subscription was wedged.
    db.execute(UPCAST_SLOW)
    slow_stream, others = new_id(), [new_id() for _ in range(3)]
    with db.connect("es_writer") as w:
        append(w, "Cut", slow_stream, 0, [event("E", {"slow": True}), event("E", {"after": True})])
        for s in others:
            append(w, "Cut", s, 0, [event("E", {"n": 1})])
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_upcaster('E', 1, 'public.slow_upcast(jsonb)')")
        a.execute("SELECT api.create_subscription('cut', ARRAY['Cut'], in_max_attempts := 2)")

    delivered, cut_off = [], 0
    with db.connect("es_projector") as c:
        c.execute("SET statement_timeout = '400ms'")
        for _ in range(12):
            try:
                rows = c.execute("SELECT id, stream_id FROM api.claim_events('cut', 'c1', 100)").fetchall()
            except psycopg.errors.QueryCanceled:
                cut_off += 1
                continue
            if rows:
                delivered += rows
                c.execute("SELECT api.ack_events('cut', 'c1', %s)", ([r[0] for r in rows],))
    parked = db.execute("SELECT stream_id, version, last_error FROM api.parked_events WHERE subscription_name = 'cut'")
    assert [(p[0], p[1]) for p in parked] == [(slow_stream, 1)], "the event whose reading was cut off is parked"
    assert "cut off" in parked[0][2]
    assert sorted(r[1] for r in delivered) == sorted(others), "every other stream flows; the parked one waits"
    assert 3 <= cut_off <= 4
    assert db.scalar("SELECT last_value FROM data.subscription_reads_" + db.scalar("SELECT md5('cut')")) == 0


# -- Medium-High 3 and 4: the read horizon ----------------------------------------------------

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


# -- Medium 5: subscriptions have owners ------------------------------------------------------

def test_acks_and_nacks_come_from_the_role_that_claimed(db):
    # v2.1.0: any projector could ack, nack and so park another role's events by naming its
    # consumer id, and the ZE013 hint listed every subscription to anyone.
    alice, bob = login(db, ["eventstore_projector"]), login(db, ["eventstore_projector"])
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription('mail', ARRAY['M'], in_max_attempts := 1)")
    with db.connect("es_writer") as w:
        for _ in range(3):
            append(w, "M", new_id(), 0, [event("E")])
    with db.connect(alice) as al:
        ids = [r[0] for r in al.execute("SELECT id FROM api.claim_events('mail', 'shared', 10)").fetchall()]
    assert len(ids) == 3
    with db.connect(bob) as b:
        assert b.execute("SELECT api.ack_events('mail', 'shared', %s)", (ids[:1],)).fetchone()[0] == 0
        assert b.execute("SELECT api.nack_event('mail', 'shared', %s, 'hostile')", (ids[1],)).fetchone()[0] is False
        with raises_sqlstate("ZE013") as info:
            b.execute("SELECT * FROM api.claim_events('mial', 'x', 1)")
        assert "mail" not in (info.value.diag.message_hint or "")
    assert db.scalar("SELECT count(*) FROM api.parked_events") == 0, "nothing parked by a stranger"
    with db.connect(alice) as al:
        assert al.execute("SELECT api.ack_events('mail', 'shared', %s)", (ids[:2],)).fetchone()[0] == 2
    with db.connect("es_admin") as a:  # an admin may act for any consumer
        assert a.execute("SELECT api.ack_events('mail', 'shared', %s)", (ids[2:],)).fetchone()[0] == 1
        with raises_sqlstate("ZE013") as info:
            a.execute("SELECT * FROM api.claim_events('mial', 'x', 1)")
        assert "mail" in info.value.diag.message_hint


def test_a_subscription_reserved_for_a_role_is_claimed_by_that_role_only(db):
    alice, bob = login(db, ["eventstore_projector"]), login(db, ["eventstore_projector"])
    reader = login(db, ["eventstore_reader"])
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription('billing', ARRAY['B'])")
        a.execute("SELECT api.set_subscription_role('billing', %s)", (alice,))
        with raises_sqlstate("ZE003"):
            a.execute("SELECT api.set_subscription_role('billing', %s)", (reader,))
    with db.connect("es_writer") as w:
        append(w, "B", new_id(), 0, [event("E")])
    with db.connect(bob) as b:
        with raises_sqlstate("ZE017"):
            b.execute("SELECT * FROM api.claim_events('billing', 'b1', 10)")
        with raises_sqlstate("42501"):
            b.execute("SELECT api.set_subscription_role('billing', NULL)")
    with db.connect(alice) as al:
        assert len(al.execute("SELECT * FROM api.claim_events('billing', 'a1', 10)").fetchall()) == 1
    with db.connect("es_admin") as a:
        a.execute("SELECT api.set_subscription_role('billing', NULL)")
    with db.connect(bob) as b:
        assert b.execute("SELECT * FROM api.claim_events('billing', 'b1', 10)").fetchall() == []


# -- Medium 6: intervals are checked by their effect ------------------------------------------

MIXED = "-1 year 361 days"  # compares as 1 day; now() + it is four days in the past


def test_mixed_sign_intervals_are_refused_everywhere(db):
    # v2.1.0: accepted by every range check; apply_retention then deleted events appended
    # seconds before, and a lease of this kind ended before it began.
    with db.connect("es_writer") as w:
        append(w, "Kept", new_id(), 0, [event("E")])
        w.execute("CALL api.append_events_idempotent('Kept', %s, 0, %s::jsonb, %s, NULL)",
                  (new_id(), json.dumps([event("E")]), uuid.uuid4()))
    with db.connect("es_admin") as a:
        with raises_sqlstate("ZE003", "in_keep"):
            a.execute("SELECT api.set_retention('Kept', %s)", (MIXED,))
        with raises_sqlstate("ZE003", "in_lease"):
            a.execute("SELECT api.create_subscription('s', in_lease := '-1 year 360 days 12:00:00')")
        with raises_sqlstate("ZE003", "in_older_than"):
            a.execute("SELECT api.purge_idempotency_keys(%s)", (MIXED,))
        with raises_sqlstate("ZE003", "in_keep"):
            a.execute("SELECT api.set_retention('Kept', '100000000 years')")
        a.execute("SELECT api.set_retention('Kept', '1 mon')")  # plain values still pass
        a.execute("SELECT api.set_retention('Kept', NULL)")
    # A policy stored before this check existed cannot reach fresh events either.
    db.execute("INSERT INTO data.retention_policies (stream_type, keep, set_by) VALUES ('Kept', %s, 'old')", (MIXED,))
    with db.connect("es_admin") as a:
        assert a.execute("SELECT api.apply_retention_step()").fetchone()[0] == 0
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Kept'") == 2
    assert db.scalar("SELECT count(*) FROM data.idempotency_keys") == 1
    assert db.scalar("SELECT count(*) FROM data.subscriptions") == 0


# -- Low 8 and 9 --------------------------------------------------------------------------------

def test_an_audit_row_alone_lets_no_delete_through(db):
    # v2.1.0: any DELETE named by an audit row of the same transaction passed, and the owner
    # could write such a row by hand (41,269 events of a type without retention deleted).
    stream = new_id()
    with db.connect("es_writer") as w:
        append(w, "Fact", stream, 0, [event("E"), event("E")])
    with db.connect() as owner:
        with raises_sqlstate("ZE008"):
            with owner.transaction():
                owner.execute("INSERT INTO data.event_removals (kind, stream_type, before, removed_by) "
                              "VALUES ('retention', 'Fact', now() + interval '1 day', 'nobody')")
                owner.execute("DELETE FROM data.events WHERE stream_type = 'Fact'")
        with raises_sqlstate("ZE008"):
            with owner.transaction():
                owner.execute("INSERT INTO data.event_removals (kind, stream_type, stream_id, removed_by) "
                              "VALUES ('purge', 'Fact', %s, 'nobody')", (stream,))
                owner.execute("DELETE FROM data.events WHERE stream_type = 'Fact'")
        owner.execute("SELECT api.set_retention('Fact', '30 days')")
        with raises_sqlstate("ZE008"):  # a policy exists, but these events are not past it
            with owner.transaction():
                owner.execute("INSERT INTO data.event_removals (kind, stream_type, before, removed_by) "
                              "VALUES ('retention', 'Fact', now() + interval '1 day', 'nobody')")
                owner.execute("DELETE FROM data.events WHERE stream_type = 'Fact'")
        owner.execute("INSERT INTO data.event_removals (kind, stream_type, before, removed_by, transaction_id) "
                      "VALUES ('retention', 'Fact', now() - interval '40 days', 'mallory', '1')")
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Fact'") == 2
    assert db.execute("SELECT removed_by, transaction_id::text <> '1' FROM data.event_removals") == [("postgres", True)]
    # The sanctioned path still works: delete, then purge.
    with db.connect("es_writer") as w:
        w.execute("SELECT api.delete_stream('Fact', %s, 2)", (stream,))
    with db.connect("es_admin") as a:
        assert a.execute("SELECT api.purge_stream('Fact', %s)", (stream,)).fetchone()[0] == 3
    assert db.execute("SELECT removed_by FROM data.event_removals WHERE kind = 'purge'") == [("es_admin",)]
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Fact'") == 0


def test_ack_events_with_a_two_dimensional_array_is_ze003(db):
    # v2.1.0: 0A000 from deep inside.
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription('two')")
    with db.connect("es_projector") as c:
        with raises_sqlstate("ZE003", "one-dimensional"):
            c.execute("SELECT api.ack_events('two', 'c', ARRAY[[gen_random_uuid(), gen_random_uuid()]])")


# -- Low 10: a consumer behind a real pgbouncer in transaction pooling -------------------------

def test_the_consumer_handles_every_event_once_behind_pgbouncer_in_transaction_pooling(db, tmp_path):
    # v2.1.0: psycopg prepared the claim after five runs; behind transaction pooling the next
    # server connection did not know it (26000 / 42P05) and the consumer died: 1,205 of 4,002
    # events unhandled.
    bouncer = PgBouncer(db.cluster, users=["es_projector", "es_reader"], pool_size=2)
    procs = []
    try:
        with db.connect("es_admin") as a:
            a.execute("SELECT api.create_subscription('pooled', ARRAY['P'])")
        with db.connect("es_writer") as w:
            for _ in range(100):
                append(w, "P", new_id(), 0, [event("E")] * 10)
        expected = {r[0] for r in db.execute("SELECT id::text FROM data.events WHERE stream_type = 'P'")}
        for i in range(3):
            log = tmp_path / f"p{i}.jsonl"
            log.touch()
            procs.append((subprocess.Popen(
                [sys.executable, str(REPO / "examples" / "consumer.py"),
                 "--dsn", bouncer.conninfo(db.name, "es_projector"),
                 "--subscription", "pooled", "--consumer", f"p{i}", "--batch", "7", "--idle-wait", "0.2",
                 "--no-listen", "--handler", "tests.consumer_handlers:record"],
                cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), "CONSUMER_LOG": str(log)},
                stderr=subprocess.PIPE, text=True), log))

        def handled() -> list[str]:
            return [json.loads(line)["id"] for _, log in procs for line in log.read_text().splitlines() if line]

        deadline = time.monotonic() + 90
        while set(handled()) != expected and time.monotonic() < deadline:
            assert all(p.poll() is None for p, _ in procs), "a consumer died behind the pooler"
            time.sleep(0.2)
        # Readers through the pooler too: the whole log, page by page, every event once.
        with psycopg.connect(bouncer.conninfo(db.name, "es_reader"), autocommit=True, prepare_threshold=None) as r:
            seen, after = [], None
            while True:
                page = r.execute("SELECT id FROM api.get_all_events(%s, 100)", (after,)).fetchall()
                if not page:
                    break
                seen += [str(p[0]) for p in page]
                after = page[-1][0]
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=30) for p, _ in procs]
        errors = [p.stderr.read() for p, _ in procs]
        bouncer.stop()
    ids = handled()
    assert set(ids) == expected, f"unhandled: {len(expected - set(ids))}; {errors}"
    assert len(ids) == len(expected), "each event handled exactly once"
    assert codes == [0, 0, 0], errors
    assert set(seen) >= expected and len(seen) == len(set(seen))
