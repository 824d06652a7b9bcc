"""Migration safety of the current plan: each change deploys, verifies and reverts alone, and
its revert really takes out what its verify checks; released scripts are never edited (the v3
plan in history/ included); a script edited after a database deployed it is caught there.

The v3 plan's own walk and the upgrades from each of its releases are history/tests."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from harness.cluster import PROJECTS, REPO
from harness.sqitch_check import check_database, check_released
from harness.sqitch_plan import combined_plan, script_path

# What a revert can change, as text: routines (source, settings, grants), relations, columns,
# triggers, event triggers, schemas, registrations (of the core and of the Order example).
CATALOG = """
SELECT 'routine ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc || coalesce(array_to_string(p.proconfig, ','), '')
       || coalesce(p.proacl::text, ''))
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname IN ('api', 'private', 'registered', 'data', 'orders')
UNION ALL
SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text || coalesce(c.relacl::text, '')
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'private', 'registered', 'data', 'orders')
UNION ALL
SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname IN ('api', 'private', 'registered', 'data', 'orders') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname FROM pg_trigger AS t WHERE NOT t.tgisinternal
UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger
UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
"""


def catalog(db) -> set[str]:
    rows = {row[0] for row in db.execute(CATALOG)}
    if db.scalar("SELECT to_regclass('data.projections')"):
        rows |= {f"projection {r[0]}" for r in db.execute("SELECT projection_name FROM data.projections")}
    return rows


def change_ids(project: str) -> list[tuple[str, str]]:
    out = subprocess.run(["sqitch", "plan", "--no-headers", "--format", "format:%H %n"], cwd=PROJECTS[project],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]


@pytest.mark.slow
def test_every_change_deploys_verifies_and_reverts_alone_in_plan_order(cluster, empty_db):
    """Deploy to each change (verified as it goes), revert that one step: the catalog must change
    and its verify script must fail (the revert took out what it checks). No exceptions: each
    change verifies what it owns."""
    db = empty_db
    plan = combined_plan()
    for project in ("eventstore", "orders"):
        previous = None
        changes = [c for c in plan if c.project == project]
        for (change_id, name), change in zip(change_ids(project), changes, strict=True):
            assert change.name == name
            cluster.sqitch("deploy", "--to", change_id, dbname=db.name, project=project)
            before = catalog(db)
            cluster.sqitch("revert", "-y", *(["--to", previous] if previous else []), dbname=db.name, project=project)
            assert catalog(db) != before, f"{project}:{name}: its revert changed nothing"
            verify = cluster.psql(db.name, "-q", "-f", str(REPO / script_path(plan, change.index, "verify")),
                                  check=False)
            assert verify.returncode != 0, f"{project}:{name}: its verify script still passes after its revert"
            cluster.sqitch("deploy", "--to", change_id, dbname=db.name, project=project)
            previous = change_id
        cluster.sqitch("verify", dbname=db.name, project=project)
    cluster.sqitch("revert", "-y", dbname=db.name, project="orders")
    cluster.sqitch("revert", "-y", dbname=db.name)
    assert db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('data', 'private', 'api', 'registered')") == 0
    assert db.scalar("SELECT count(*) FROM pg_event_trigger") == 0


def test_released_deploy_scripts_are_unchanged():
    assert check_released() == []


def test_an_edited_released_script_is_caught(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(repo)], check=True)
    # baseline: released in @v4.0.0; events: released in the v3 plan's @v1.0.0, now in history/.
    for path in ("deploy/baseline.sql", "history/deploy/events.sql"):
        with (repo / path).open("a") as f:
            f.write("-- edited after release\n")
    problems = check_released(repo)
    assert len(problems) == 2, problems
    assert problems[0].startswith("baseline: released in @v4.0.0") and "rework it with sqitch rework" in problems[0]
    assert problems[1].startswith("events: released in @v1.0.0") and "the v3 plan is frozen" in problems[1]


@pytest.mark.slow
def test_a_script_edited_after_deploy_is_caught_in_the_database(cluster, empty_db, tmp_path):
    cluster.sqitch("deploy", dbname=empty_db.name)
    dsn = cluster.conninfo(empty_db.name)
    assert check_database(dsn) == []
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns(".venv", ".git"))
    with (repo / "deploy" / "baseline_wiring.sql").open("a") as f:
        f.write("-- edited after deploy\n")
    assert check_database(dsn, repo) == ["baseline_wiring: deploy/baseline_wiring.sql differs from the script deployed"]


@pytest.mark.slow
def test_an_upgrade_with_data_keeps_every_log_number(cluster, empty_db):
    """A store at v4.0.0, where log numbers were worked out on each read, with transactions of one
    append and of several, and one whose first events were purged: after the upgrade each event
    stores the number api.read_log gave it before, and api.read_log gives the same pairs."""
    db = empty_db
    cluster.deploy_release(db.name, "v4.0.0")
    one = '[{"event_type": "E", "event_data": {}}]'
    three = "[" + ", ".join(['{"event_type": "E", "event_data": {}}'] * 3) + "]"
    purged, kept = uuid.uuid4(), uuid.uuid4()
    with db.connect(autocommit=False) as conn:
        for expected, batch in ((None, one), (None, three)):
            conn.execute("CALL api.append_events('Numbered', %s, %s, %s::jsonb, NULL)", (uuid.uuid4(), expected, batch))
        conn.commit()
        conn.execute("CALL api.append_events('Numbered', %s, 0, %s::jsonb, NULL)", (uuid.uuid4(), three))
        conn.commit()
        conn.execute("CALL api.append_events('Numbered', %s, 0, %s::jsonb, NULL)", (purged, three))
        conn.execute("CALL api.append_events('Numbered', %s, 0, %s::jsonb, NULL)", (kept, three))
        conn.commit()
        conn.execute("SELECT api.delete_stream('Numbered', %s, 3)", (purged,))
        conn.execute("SELECT api.purge_stream('Numbered', %s)", (purged,))
        conn.commit()
    assert db.scalar("SELECT count(*) FROM data.removed_events") == 4, "the first events of a transaction purged (and the deletion)"
    read = "SELECT id, log_number FROM api.read_log(NULL, 1000, ARRAY['Numbered'])"
    before = db.execute(read)
    assert len(before) == 10

    cluster.deploy_all(db.name)
    assert db.execute(read) == before, "a reader's log numbers are the ones it was given before the upgrade"
    assert db.execute("SELECT id, log_number FROM data.events WHERE stream_type = 'Numbered' ORDER BY log_number") \
        == before, "each event stores its number"
