"""Reads from a real hot standby (pg_basebackup -R, streaming replication) of the test cluster.

The whole-log readers on a standby use the conservative horizon (every transaction the primary
has running, as the standby's snapshots see them): paging there yields every event exactly once,
late commits included. Writes fail with PostgreSQL's read-only error, 25006.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time

import pytest

from harness.cluster import free_port
from tests.helpers import (
    append,
    close_tally,
    event,
    mark,
    new_id,
    open_tally,
    raises_sqlstate,
    run_projections_until_idle,
)


def wait_for_replay(primary_db, standby, dbname: str, timeout: float = 30) -> None:
    lsn = primary_db.scalar("SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + timeout
    with standby.connect(dbname) as s:
        while not s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise AssertionError("the standby did not catch up")
            time.sleep(0.05)


@pytest.fixture
def standby(cluster, db):
    # Not under pytest's tmp_path: the postgres OS user must reach it.
    s = cluster.make_standby(tempfile.mkdtemp(prefix="eventstore-standby-"), free_port(58432))
    try:
        yield s
    finally:
        s.stop()


@pytest.mark.slow
def test_paging_the_log_on_a_standby_yields_every_event_once_with_late_commits(db, standby):
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            with db.connect("es_writer", autocommit=False) as w:
                while not stop.is_set():
                    append(w, "S", new_id(), 0, [event("E"), event("E")])
                    if rnd.random() < 0.3:
                        time.sleep(rnd.uniform(0.05, 0.3))  # commits late: newer events commit first
                    w.commit()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    seen: list = []
    after = None
    with standby.connect(db.name, user="es_reader") as r:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:  # page on the standby while the primary writes
            rows = r.execute("SELECT id FROM api.get_all_events(%s, 50)", (after,)).fetchall()
            seen += [row[0] for row in rows]
            after = rows[-1][0] if rows else after
            time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join()
        assert not errors, errors
        wait_for_replay(db, standby, db.name)
        while rows := r.execute("SELECT id FROM api.get_all_events(%s, 1000)", (after,)).fetchall():
            seen += [row[0] for row in rows]
            after = rows[-1][0]
    committed = {row[0] for row in db.execute("SELECT id FROM data.events")}
    assert len(committed) > 100
    assert len(seen) == len(set(seen)), "no event twice"
    assert set(seen) == committed, "every committed event, read on the standby"


@pytest.mark.slow
def test_stream_reads_aggregates_and_read_models_on_a_standby(db, standby):
    with db.connect("es_writer") as w:
        owner = new_id()
        tally = open_tally(w, owner, [{"label": "p", "count": 2, "weight": 3}])
        mark(w, tally, "q", 1, 4)
        close_tally(w, tally)
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    wait_for_replay(db, standby, db.name)

    queries = [
        ("es_reader", "SELECT id, version, event_type FROM api.get_events('Tally', %s)", (tally,)),
        ("es_reader", "SELECT api.get_stream_version('Tally', %s)", (tally,)),
        ("es_reader", "SELECT id FROM api.get_events_by_type(ARRAY['Marked'])", None),
        ("es_reader", "SELECT state FROM api.load_aggregate('Tally', %s)", (tally,)),
        ("es_reader", "SELECT tally_id, status, total_weight FROM tally.owner_tallies(%s)", (owner,)),
        ("es_reader", "SELECT projection_name, events_behind FROM api.projection_status", None),
    ]
    with db.connect("es_reader") as primary, standby.connect(db.name, user="es_reader") as replica:
        for _, sql, params in queries:
            assert replica.execute(sql, params).fetchall() == primary.execute(sql, params).fetchall(), sql


@pytest.mark.slow
@pytest.mark.parametrize("role, sql", [
    ("es_writer", "CALL api.append_events('S', gen_random_uuid(), 0, '[{\"event_type\": \"E\", \"event_data\": {}}]', NULL)"),
    ("es_writer", "CALL api.append_events_idempotent('S', gen_random_uuid(), 0, "
                  "'[{\"event_type\": \"E\", \"event_data\": {}}]', gen_random_uuid(), NULL)"),
    ("es_projector", "SELECT api.run_projections()"),
    ("es_projector", "SELECT * FROM api.claim_events('sub', 'c')"),
    ("es_admin", "SELECT api.create_subscription('other')"),
])
def test_writes_on_a_standby_fail_with_the_read_only_error(db, standby, role, sql):
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription('sub')")
    with db.connect("es_writer") as w:
        append(w, "S", new_id(), 0, [event("E")])  # work for the projections and the claim
    wait_for_replay(db, standby, db.name)
    with standby.connect(db.name, user=role) as c, raises_sqlstate("25006"):
        c.execute(sql)
