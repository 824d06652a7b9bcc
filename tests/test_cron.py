"""Real pg_cron jobs, really running, in cron.database_name (database "eventstore")."""

from __future__ import annotations

import subprocess
import time

import pytest

from harness.cluster import CRON_DATABASE, TALLY_SQL
from tests.conftest import Database
from tests.helpers import open_tally

JOBS = {"eventstore-projections", "eventstore-partitions", "eventstore-cron-history", "eventstore-idempotency-keys",
        "eventstore-retention"}


@pytest.fixture(scope="module")
def cron_db(cluster, template_db):
    out = cluster.sqitch("deploy", dbname=CRON_DATABASE)
    assert "scheduled eventstore-projections" in out.stdout + out.stderr
    cluster.psql(CRON_DATABASE, "-q", "-f", str(TALLY_SQL))
    return Database(cluster, CRON_DATABASE)


def jobs(db) -> dict:
    return {name: (schedule, command) for name, schedule, command in
            db.execute("SELECT jobname, schedule, command FROM cron.job WHERE database = current_database()")}


@pytest.mark.slow
def test_deploy_schedules_the_jobs_for_pg_cron_1_4(cron_db):
    assert cron_db.scalar("SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'").startswith("1.4")
    assert jobs(cron_db) == {
        # 1.4 has no second schedules: a minutely job whose worker loops just under a minute
        "eventstore-projections": ("* * * * *", "CALL private.projection_worker(59)"),
        "eventstore-partitions": ("17 3 * * *", "CALL api.ensure_event_partitions(3)"),
        "eventstore-cron-history": ("47 3 * * *",
                                    "DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days' "
                                    "AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'eventstore-%')"),
        "eventstore-idempotency-keys": ("27 4 * * *", "SELECT api.purge_idempotency_keys('30 days')"),
        "eventstore-retention": ("37 4 * * *", "CALL api.apply_retention()"),
    }
    # One list drives them (private.cron_jobs), and the deploy scheduled exactly that list.
    listed = {n: (s, c) for n, s, c in cron_db.execute("SELECT * FROM private.cron_jobs(ARRAY[1, 4])")}
    assert listed == jobs(cron_db)


@pytest.mark.slow
def test_the_history_purge_keeps_other_jobs_history(cron_db):
    other = cron_db.scalar("SELECT cron.schedule('someone-elses-job', '0 0 1 1 *', 'SELECT 1')")
    ours = cron_db.scalar("SELECT jobid FROM cron.job WHERE jobname = 'eventstore-partitions'")
    try:
        for job in (other, ours):
            cron_db.execute("""INSERT INTO cron.job_run_details (jobid, runid, command, status, start_time, end_time)
                               VALUES (%s, nextval('cron.runid_seq'), 'x', 'succeeded', now() - interval '9 days',
                                       now() - interval '9 days')""", (job,))
        purge = jobs(cron_db)["eventstore-cron-history"][1]
        cron_db.execute(purge)
        left = {r[0] for r in cron_db.execute("SELECT jobid FROM cron.job_run_details WHERE end_time < now() - interval '8 days'")}
        assert other in left and ours not in left
    finally:
        cron_db.execute("SELECT cron.unschedule(%s)", (other,))


@pytest.mark.slow
def test_a_scheduled_job_projects_an_event_without_any_manual_call(cron_db):
    with cron_db.connect("es_writer") as w:
        tally = open_tally(w, marks=[{"label": "p", "count": 4, "weight": 2.5}])
    deadline = time.monotonic() + 75
    row = None
    while time.monotonic() < deadline:
        row = cron_db.execute("SELECT status, total_count, total_weight FROM tally.tallies WHERE tally_id = %s",
                              (tally,))
        if row:
            break
        time.sleep(0.5)
    assert row and row[0][0] == "open" and row[0][1] == 4 and float(row[0][2]) == 10.0, \
        "the tally reached the read model through the pg_cron job within 75 s"
    runs = cron_db.execute("""SELECT d.status FROM cron.job_run_details AS d JOIN cron.job AS j USING (jobid)
                              WHERE j.jobname = 'eventstore-projections'""")
    assert runs and {r[0] for r in runs} <= {"running", "succeeded"}, runs


@pytest.mark.slow
def test_revert_removes_the_jobs_and_deploy_brings_them_back(cluster, cron_db):
    # The application on the store (the tests' fixture domain) goes first: its functions take
    # the store's row type.
    cron_db.execute("DELETE FROM data.projections WHERE projection_name = 'tallies'; "
                    "DELETE FROM data.reducers WHERE stream_type = 'Tally'; "
                    "SELECT private.drop_unused_invokers(); DROP SCHEMA tally CASCADE")
    # Reverting the change that schedules them (baseline_wiring) leaves no job of the store.
    cluster.sqitch("revert", "-y", "--to", "code@v4.0.0", dbname=CRON_DATABASE)
    assert not JOBS & set(jobs(cron_db))
    cluster.deploy_with_tallies(CRON_DATABASE)
    assert set(jobs(cron_db)) == JOBS
    # Deployed again, every month made before has its TRUNCATE guard back.
    assert cron_db.scalar("""SELECT count(*) FROM pg_inherits AS i WHERE i.inhparent = 'data.events'::regclass
                             AND NOT EXISTS (SELECT FROM pg_trigger AS t WHERE t.tgrelid = i.inhrelid
                                             AND t.tgname = 'events_refuse_truncate' AND t.tgenabled = 'A')""") == 0


# The dump of cron.database_name carries the pg_cron extension and its job table: restored into
# another database of the same cluster, CREATE EXTENSION pg_cron fails there. docs/operations.md: "Copying a
# database within the cluster" leaves them out with a restore list, then schedules the copy's
# projection worker from cron.database_name.
CRON_ENTRIES = (" pg_cron", "TABLE DATA cron ", "SEQUENCE SET cron ")


@pytest.mark.slow
def test_a_copy_in_another_database_of_the_cluster_restores_and_its_projections_run(cluster, cron_db, tmp_path):
    stream_type = "CopyProbe"
    cron_db.execute("CALL api.append_events(%s, gen_random_uuid(), 0, "
                    """'[{"event_type": "Probed", "event_data": {}}]', NULL)""", (stream_type,))
    dump = tmp_path / "eventstore.dump"
    env = cluster.env()
    subprocess.run([str(cluster.bindir / "pg_dump"), "-Fc", "-f", str(dump), CRON_DATABASE], env=env, check=True)
    copy = "eventstore_copy"
    cluster.create_database(copy)
    try:
        # As dumped: the restore fails on the extension, and a single transaction restores nothing.
        plain = subprocess.run([str(cluster.bindir / "pg_restore"), "-d", copy, "--single-transaction",
                                "--exit-on-error", str(dump)], env=env, capture_output=True, text=True)
        assert plain.returncode != 0 and "pg_cron" in plain.stderr
        listing = subprocess.run([str(cluster.bindir / "pg_restore"), "-l", str(dump)], env=env, check=True,
                                 capture_output=True, text=True).stdout
        entries = [line for line in listing.splitlines() if not any(c in line for c in CRON_ENTRIES)]
        assert len(entries) < len(listing.splitlines()), "the dump has pg_cron entries to leave out"
        (tmp_path / "restore.list").write_text("\n".join(entries) + "\n")
        subprocess.run([str(cluster.bindir / "pg_restore"), "-d", copy, "--single-transaction", "--exit-on-error",
                        "-L", str(tmp_path / "restore.list"), str(dump)], env=env, check=True)
        copied = Database(cluster, copy)
        assert copied.scalar("SELECT count(*) FROM data.events WHERE stream_type = %s", (stream_type,)) == 1
        cron_db.execute("SELECT cron.schedule_in_database('eventstore-projections-copy', '* * * * *', "
                        "'CALL private.projection_worker(20)', %s)", (copy,))
        try:
            # The next minute, then one worker run. pg_cron 1.4's scheduler can miss a change to
            # cron.job made while the cluster runs heavy DDL (this restore, the deploys and reverts of
            # the tests before): seen here, it kept running a job unscheduled minutes before and
            # started none of the new ones until the next change to cron.job. docs/operations.md ("Copying a
            # database within the cluster") says to touch the job then; so does this test, each
            # minute and a half without a run (no row in cron.job_run_details).
            deadline = time.time() + 240
            touched = time.time()
            while time.time() < deadline:
                behind = copied.scalar("SELECT max(events_behind) + count(*) FILTER (WHERE status <> 'running') "
                                       "FROM api.projection_status")
                applied = copied.scalar("SELECT events_applied FROM api.projection_status "
                                        "WHERE projection_name = 'notifications'")
                if behind == 0 and applied > 0:
                    break
                if time.time() - touched > 90 and not cron_db.scalar(
                        "SELECT count(*) FROM cron.job_run_details AS d JOIN cron.job AS j USING (jobid) "
                        "WHERE j.jobname = 'eventstore-projections-copy'"):
                    cron_db.execute("SELECT cron.alter_job(jobid, active := true) FROM cron.job "
                                    "WHERE jobname = 'eventstore-projections-copy'")
                    touched = time.time()
                time.sleep(2)
            if not (behind == 0 and applied > 0):  # what the copy's job and projections say, to find why
                runs = cron_db.execute("""SELECT d.status, d.return_message, d.start_time, d.end_time
                                          FROM cron.job_run_details AS d JOIN cron.job AS j USING (jobid)
                                          WHERE j.jobname = 'eventstore-projections-copy'""")
                status = copied.execute("SELECT projection_name, status, events_behind, events_held_back, "
                                        "horizon_fallback, oldest_xact_query, error_message FROM api.projection_status")
                raise AssertionError(f"the copy's projections ran under pg_cron: runs {runs}, status {status}")
        finally:
            cron_db.execute("SELECT cron.unschedule('eventstore-projections-copy')")
    finally:
        cluster.drop_database(copy)  # WITH (FORCE): a worker may still be connected
