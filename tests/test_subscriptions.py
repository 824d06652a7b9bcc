"""Subscriptions across real connections and real consumer processes (examples/consumer.py).

The guarantees of docs/guide/consumers.md: every matching committed event is delivered until
acknowledged (late commits included); per-stream order; a consumer killed with SIGKILL loses
nothing; a poison event is parked and holds back only its own stream; LISTEN wakes consumers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import psycopg
import pytest

import eventstore as es
from tests.helpers import append, event, login, new_id, raises_sqlstate

REPO = Path(__file__).resolve().parent.parent


def start_consumer(db, tmp_path: Path, name: str, subscription: str = "sub", batch: int = 10,
                   idle_wait: float = 0.5, **env: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.jsonl"
    log.touch()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "examples" / "consumer.py"),
         "--dsn", db.cluster.conninfo(db.name, user="es_projector"),
         "--subscription", subscription, "--consumer", name, "--batch", str(batch),
         "--idle-wait", str(idle_wait), "--handler", "tests.consumer_handlers:record"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), "CONSUMER_LOG": str(log), **env})
    return proc, log


def records(*logs: Path) -> list[dict]:
    out = []
    for log in logs:
        out += [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return sorted(out, key=lambda r: r["at"])


def wait_until(predicate, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def all_event_ids(db, stream_type: str | None = None) -> set[str]:
    sql = "SELECT id::text FROM data.events" + (" WHERE stream_type = %s" if stream_type else "")
    return {r[0] for r in db.execute(sql, (stream_type,) if stream_type else None)}


def assert_stream_order(recs: list[dict]) -> None:
    """When a version of a stream is first handled, every earlier version was handled before."""
    handled: dict[str, set[int]] = defaultdict(set)
    for r in recs:
        if r["version"] > 1:
            assert r["version"] - 1 in handled[r["stream_id"]], \
                f"stream {r['stream_id']}: version {r['version']} handled before version {r['version'] - 1}"
        handled[r["stream_id"]].add(r["version"])


def test_consumers_share_every_event_once_in_stream_order_with_late_commits(db, tmp_path):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub', ARRAY['S'])")
    procs = [start_consumer(db, tmp_path, f"c{i}") for i in range(3)]
    streams = [new_id() for _ in range(40)]

    def writer(part: list) -> None:
        with db.connect("es_writer") as w:
            for round_ in range(5):
                for s in part:
                    append(w, "S", s, None, [event("E", {"round": round_}), event("E", {"round": round_})])

    late = db.connect("es_writer", autocommit=False)  # appends first, commits after the others
    late_stream = new_id()
    append(late, "S", late_stream, 0, [event("Late")])
    threads = [threading.Thread(target=writer, args=(streams[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.connect("es_writer") as w:
        append(w, "Other", new_id(), 0, [event("NotSubscribed")])
    time.sleep(1)  # the consumers poll meanwhile: the late transaction holds everything newer back
    late.commit()
    late.close()

    expected = all_event_ids(db, "S")
    assert len(expected) == 40 * 10 + 1
    logs = [log for _, log in procs]
    wait_until(lambda: {r["id"] for r in records(*logs)} >= expected, what="every event handled")
    for proc, _ in procs:
        assert stop(proc) == 0, "SIGTERM: a clean stop"

    recs = records(*logs)
    ids = [r["id"] for r in recs]
    assert set(ids) == expected, "every subscribed event, nothing else"
    assert len(ids) == len(set(ids)), "no lease expired: each event exactly once"
    assert_stream_order(recs)
    # Which consumer handles what depends on who polls first (one may drain all 401 events
    # before the others wake): not asserted here, where it would pass or fail on timing. That
    # concurrent consumers get disjoint streams is tested deterministically in
    # tests/pgtap/subscription_claims.sql (c1 and c2 claiming in turn).
    with db.connect("es_admin") as admin:
        row = admin.execute("SELECT events_behind, in_flight, waiting, parked FROM api.subscription_status").fetchone()
        assert row == (0, 0, 0, 0)
    assert db.scalar("SELECT count(*) FROM data.subscription_events") == 0, "acknowledged events are forgotten"


def test_a_consumer_killed_mid_batch_loses_nothing(db, tmp_path):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub', in_lease := '2 seconds')")
    with db.connect("es_writer") as w:
        for _ in range(20):
            append(w, "S", new_id(), 0, [event("E"), event("E"), event("E")])
    expected = all_event_ids(db)

    slow, slow_log = start_consumer(db, tmp_path, "slow", batch=30, CONSUMER_DELAY="0.2")
    wait_until(lambda: len(records(slow_log)) >= 3, what="the slow consumer to be mid-batch")
    slow.send_signal(signal.SIGKILL)
    slow.wait(timeout=10)
    killed = {r["id"] for r in records(slow_log)}  # handled, never acknowledged (ack is per batch)
    assert killed and len(killed) < 30, "killed in the middle of its batch"

    others = [start_consumer(db, tmp_path, f"c{i}") for i in range(2)]
    logs = [log for _, log in others]
    wait_until(lambda: {r["id"] for r in records(*logs)} >= expected, what="every event handled by the others")
    for proc, _ in others:
        assert stop(proc) == 0

    recs = records(*logs)
    redelivered = {r["id"] for r in recs if r["attempt"] == 2}
    assert killed <= redelivered, "what the killed consumer held came again, attempt 2, after its lease"
    assert {r["id"] for r in recs if r["attempt"] > 1} <= redelivered
    assert_stream_order(records(slow_log, *logs))


def test_a_poison_event_is_parked_and_holds_back_only_its_stream(db):
    poisoned, healthy = new_id(), new_id()
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub', in_max_attempts := 3)")
    with db.connect("es_writer") as w:
        append(w, "S", poisoned, 0, [event("Fine"), event("Poison"), event("Fine")])
        append(w, "S", healthy, 0, [event("Fine"), event("Fine")])

    handled = []

    def handler(e: es.RecordedEvent) -> None:
        if e.event_type == "Poison":
            raise RuntimeError("no way")
        handled.append((e.stream_id, e.version))

    with es.EventStore.connect(db.cluster.conninfo(db.name, user="es_projector"), max_size=1) as store:
        consumer = es.Consumer(store, "sub", handler, consumer_id="inproc", batch=10, transactional=False)
        for _ in range(6):  # more rounds than attempts
            consumer.step()
    assert sorted(handled) == sorted([(poisoned, 1), (healthy, 1), (healthy, 2)])
    with db.connect("es_admin") as admin:
        parked = admin.execute("SELECT stream_id, version, attempts, last_error FROM api.parked_events").fetchall()
        assert parked == [(poisoned, 2, 3, "RuntimeError: no way")]
        assert admin.execute("SELECT parked, waiting FROM api.subscription_status").fetchone() == (1, 1)
        poison_id = admin.execute("SELECT id FROM api.parked_events").fetchone()[0]
        admin.execute("SELECT api.skip_parked('sub', %s)", (poison_id,))
    assert db.scalar("SELECT event_id FROM data.subscription_skips") == poison_id
    with db.connect("es_projector") as p:
        rows = p.execute("SELECT stream_id, version, attempt FROM api.claim_events('sub', 'inproc')").fetchall()
        assert rows == [(poisoned, 3, 1)], "the stream flows on past the skipped event"


@pytest.mark.slow
def test_a_consumer_that_crashes_on_an_event_does_not_crash_the_next_for_ever(db, tmp_path):
    """An expired lease is a failed attempt: after max_attempts crashes the event is parked."""
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub', in_max_attempts := 2, in_lease := '1 second')")
    with db.connect("es_writer") as w:
        append(w, "S", new_id(), 0, [event("Crash")])
        append(w, "S", new_id(), 0, [event("Fine")])
    exits = []
    for i in range(4):
        proc, log = start_consumer(db, tmp_path, f"c{i}", batch=1, CONSUMER_CRASH="Crash")
        try:
            proc.wait(timeout=8)
            exits.append(proc.returncode)
        except subprocess.TimeoutExpired:
            wait_until(lambda: any(r["event_type"] == "Fine" for r in records(log)), what="the fine event")
            assert stop(proc) == 0
            break
        time.sleep(1.1)  # its lease runs out
    assert exits == [3, 3], "two crashes (max_attempts 2), then the event is parked and the third lives"
    with db.connect("es_admin") as admin:
        row = admin.execute("SELECT attempts, last_error FROM api.parked_events").fetchone()
        assert row[0] == 2 and "expired" in row[1]


def test_an_ack_after_the_lease_expired_acknowledges_nothing(db):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub', in_lease := '1 second')")
    with db.connect("es_writer") as w:
        append(w, "S", new_id(), 0, [event("E")])
    with db.connect("es_projector") as a, db.connect("es_projector") as b:
        (eid, attempt), = a.execute("SELECT id, attempt FROM api.claim_events('sub', 'a')").fetchall()
        assert attempt == 1
        assert b.execute("SELECT count(*) FROM api.claim_events('sub', 'b')").fetchone()[0] == 0, "leased to a"
        time.sleep(1.2)
        assert b.execute("SELECT id, attempt FROM api.claim_events('sub', 'b')").fetchall() == [(eid, 2)]
        assert a.execute("SELECT api.ack_events('sub', 'a', %s)", ([eid],)).fetchone()[0] == 0, "a's lease is gone"
        assert b.execute("SELECT api.ack_events('sub', 'b', %s)", ([eid],)).fetchone()[0] == 1
        assert b.execute("SELECT count(*) FROM api.claim_events('sub', 'b')").fetchone()[0] == 0, "acknowledged: never again"


def test_a_late_commit_is_delivered_not_passed(db):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub')")
    late = db.connect("es_writer", autocommit=False)
    append(late, "S", new_id(), 0, [event("Late")])
    with db.connect("es_writer") as w:
        append(w, "S", new_id(), 0, [event("Early")])
    with db.connect("es_projector") as p:
        assert p.execute("SELECT event_type FROM api.claim_events('sub', 'c')").fetchall() == [], \
            "the committed event waits behind the open appender"
        with db.connect("es_admin") as admin:
            holder = admin.execute("SELECT oldest_xact_pid, events_held_back FROM api.subscription_status").fetchone()
            assert holder == (late.info.backend_pid, 1), "status names who holds the horizon"
        late.commit()
        late.close()
        assert p.execute("SELECT event_type FROM api.claim_events('sub', 'c')").fetchall() == [("Late",), ("Early",)]


def test_listen_wakes_a_consumer_when_events_are_readable(db):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub')")
    stream = new_id()
    with db.connect("es_projector") as listener:
        listener.execute("LISTEN eventstore_events")
        with db.connect("es_writer") as w:
            append(w, "S", stream, 0, [event("E")])
        with db.connect("es_projector") as worker:
            worker.execute("SELECT api.run_projections()")  # what the pg_cron worker does
        notes = list(listener.notifies(timeout=10, stop_after=1))
        assert notes and json.loads(notes[0].payload)["stream_id"] == str(stream)
        assert listener.execute("SELECT stream_id FROM api.claim_events('sub', 'c')").fetchall() == [(stream,)]


def test_bad_input_changes_nothing(db):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub')")
    with db.connect("es_writer") as w:
        append(w, "S", new_id(), 0, [event("E")])
    with db.connect("es_projector") as p:
        with raises_sqlstate("ZE013"):
            p.execute("SELECT * FROM api.claim_events('nope', 'c')")
        with raises_sqlstate("ZE003"):
            p.execute("SELECT * FROM api.claim_events('sub', '')")
        with raises_sqlstate("ZE003"):
            p.execute("SELECT * FROM api.claim_events('sub', 'c', -1)")
        (eid,), = p.execute("SELECT id FROM api.claim_events('sub', 'c')").fetchall()
        with raises_sqlstate("ZE004"):
            p.execute("SELECT api.ack_events('sub', 'c', %s)", ([eid, new_id()],))
        with raises_sqlstate("ZE004"):
            p.execute("SELECT api.nack_event('sub', 'c', %s, 'x')", (new_id(),))
        with raises_sqlstate("ZE003"):
            p.execute("SELECT api.nack_event('sub', NULL, %s, 'x')", (eid,))
        with raises_sqlstate("42501"):
            p.execute("SELECT api.create_subscription('mine')")
        assert p.execute("SELECT api.ack_events('sub', 'c', %s)", ([eid],)).fetchone()[0] == 1, \
            "the failed calls left the lease as it was"


@pytest.mark.parametrize("role", ["es_reader", "es_writer"])
def test_only_projectors_claim(db, role):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('sub')")
    with db.connect(role) as c, raises_sqlstate("42501"):
        c.execute("SELECT * FROM api.claim_events('sub', 'c')")


def test_a_claim_that_cannot_read_an_event_delivered_again_parks_it_and_hands_out_the_rest(db):
    """The subscription side of the same: events claimed, nacked, then an upcaster that fails on
    one of them. The claim that delivers them again reads them one by one (private.
    read_deliveries_one_by_one): the unreadable one is parked with the error, the later event
    of its stream waits behind it, the other stream's event is handed out."""
    admin = login(db, ["eventstore_admin"], create_schema=True)
    with db.connect(admin) as conn:
        conn.execute("SELECT api.create_subscription('unread')")
    x, y = new_id(), new_id()
    with db.connect("es_writer") as conn:
        append(conn, "S", x, 0, [event("T", {"boom": 1}, {"version": 1}), event("Other")])
        append(conn, "S", y, 0, [event("Other")])
    boom = db.scalar("SELECT id FROM data.events WHERE event_type = 'T'")
    with db.connect("es_projector") as conn:
        first = [r[0] for r in conn.execute("SELECT id FROM api.claim_events('unread', 'c', 10)").fetchall()]
        assert len(first) == 3
        for event_id in first:
            conn.execute("SELECT api.nack_event('unread', 'c', %s, 'later')", (event_id,))
    with db.connect(admin) as conn:
        conn.execute(f"""CREATE FUNCTION {admin}.up(j jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
            BEGIN IF j ? 'boom' THEN RAISE EXCEPTION 'cannot upcast %', j; END IF; RETURN j; END $$""")
        conn.execute("SELECT api.register_upcaster('T', 1, %s::regprocedure)", (f"{admin}.up(jsonb)",))
    with db.connect("es_projector") as conn:
        again = conn.execute("SELECT stream_id FROM api.claim_events('unread', 'c', 10)").fetchall()
    assert again == [(y,)], "only the other stream's event is handed out"
    parked = db.execute("SELECT id, last_error FROM api.parked_events WHERE subscription_name = 'unread'")
    assert [p[0] for p in parked] == [boom] and parked[0][1].startswith("unreadable: P0001: cannot upcast")


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


def test_ack_events_with_a_two_dimensional_array_is_ze003(db):
    # v2.1.0: 0A000 from deep inside.
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription('two')")
    with db.connect("es_projector") as c:
        with raises_sqlstate("ZE003", "one-dimensional"):
            c.execute("SELECT api.ack_events('two', 'c', ARRAY[[gen_random_uuid(), gen_random_uuid()]])")
