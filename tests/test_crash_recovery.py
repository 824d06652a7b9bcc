"""The server dies mid-batch: after restart the projection resumes, nothing twice, nothing lost."""

from __future__ import annotations

import threading
import time

import pytest

from harness.tally_model import READ_MODEL_SQL, TALLIES_SQL

TALLIES = 10_000

LOAD = f"""
-- {TALLIES} tallies of three events each (opened with marks, a mark, closed or voided),
-- written set-based in one transaction, as a bulk import would.
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, created_at)
SELECT 'Tally', o.id, v.version, v.event_type, v.event_data, '2026-01-01'::timestamptz + o.n * interval '1 second'
FROM (SELECT n, md5('tally' || n)::uuid AS id FROM generate_series(1, {TALLIES}) AS n) AS o
CROSS JOIN LATERAL (VALUES
    (1, 'TallyOpened', jsonb_build_object('owner_id', md5('owner' || o.n % 97)::uuid,
                                          'marks', jsonb_build_array(jsonb_build_object('label', 'p', 'count', 1 + o.n % 3, 'weight', 2)))),
    (2, 'Marked', jsonb_build_object('label', 'q', 'count', 2, 'weight', 1.5)),
    (3, CASE WHEN o.n % 4 = 0 THEN 'TallyVoided' ELSE 'TallyClosed' END, '{{}}'::jsonb)
) AS v(version, event_type, event_data)
ORDER BY o.n, v.version;
UPDATE data.projections SET batch_size = 300 WHERE projection_name = 'tallies';
"""


@pytest.mark.slow
def test_kill_the_server_while_the_worker_is_mid_batch(new_cluster):
    cluster = new_cluster()
    cluster.create_database("store")
    cluster.deploy_with_tallies("store")
    cluster.psql("store", "-q", "-c", LOAD)

    worker_error: list = []

    def work():
        try:
            with cluster.connect("store") as conn:
                conn.execute("CALL private.projection_worker(600)")
        except Exception as exc:  # the crash ends it
            worker_error.append(exc)

    t = threading.Thread(target=work)
    t.start()
    deadline = time.monotonic() + 60
    applied = 0
    with cluster.connect("store") as watch:
        while applied < TALLIES * 3 // 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            applied = watch.execute("SELECT events_applied FROM data.projection_checkpoints "
                                    "WHERE projection_name = 'tallies'").fetchone()[0]
    assert 0 < applied < TALLIES * 3, "the worker has committed some batches and has more to do"
    cluster.crash()  # pg_ctl stop -m immediate: no shutdown checkpoint, batches in flight lost
    t.join()
    assert worker_error, "the worker was killed with the server"

    cluster.start()
    cluster.wait_ready()
    with cluster.connect("store") as conn:
        after_restart = conn.execute("SELECT events_applied FROM data.projection_checkpoints "
                                     "WHERE projection_name = 'tallies'").fetchone()[0]
        assert after_restart >= applied, "committed batches survived the crash"
        assert conn.execute("SELECT count(*) FROM tally.tallies").fetchone()[0] > 0
        conn.execute("CALL private.projection_worker(0)")
        while conn.execute("SELECT api.run_projections()").fetchone()[0]:
            pass
        resumed = sorted(conn.execute(READ_MODEL_SQL).fetchall())
        assert conn.execute("SELECT events_applied FROM data.projection_checkpoints "
                            "WHERE projection_name = 'tallies'").fetchone()[0] == TALLIES * 3, \
            "every event applied exactly once"
        assert resumed == sorted(conn.execute(TALLIES_SQL).fetchall())
        conn.execute("CALL api.rebuild_projection('tallies')")
        assert sorted(conn.execute(READ_MODEL_SQL).fetchall()) == resumed, "equals a rebuild"
