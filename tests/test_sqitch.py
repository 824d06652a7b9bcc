"""Real sqitch deploys, verifies and reverts."""

from __future__ import annotations

import pytest

from tests.helpers import raises_sqlstate


@pytest.mark.slow
def test_deploy_verify_revert_deploy_round_trip(cluster, empty_db):
    name = empty_db.name
    out = cluster.sqitch("deploy", dbname=name).stdout
    assert [line.split()[1] for line in out.splitlines() if line.startswith("  + ")] == [
        "baseline", "code", "baseline_wiring", "event_tags", "event_log_numbers", "code",
        "event_log_numbers_wiring"], out
    cluster.sqitch("verify", dbname=name)
    assert empty_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('data', 'private', 'api')") == 3

    reverted = cluster.sqitch("revert", "-y", dbname=name)
    assert "- baseline .." in reverted.stdout
    assert empty_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('data', 'private', 'api')") == 0
    # The group roles are cluster-wide and still used by the template: kept.
    assert empty_db.scalar("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'eventstore\\_%'") == 4

    cluster.sqitch("deploy", dbname=name)
    cluster.sqitch("verify", dbname=name)
    status = cluster.sqitch("status", dbname=name).stdout
    assert "Nothing to deploy (up-to-date)" in status


@pytest.mark.slow
def test_deploy_where_pg_cron_cannot_be_created(cluster, empty_db):
    """pg_cron lives in cron.database_name only: any other database deploys without it."""
    with empty_db.connect() as conn:
        with raises_sqlstate("P0001", "can only create extension in database"):
            conn.execute("CREATE EXTENSION pg_cron")
    out = cluster.sqitch("deploy", dbname=empty_db.name)
    assert "pg_cron runs in database eventstore" in out.stdout + out.stderr, "deploy says why nothing is scheduled"
    assert "cron.schedule_in_database('eventstore-projections'" in out.stdout + out.stderr, "and what to run"
    cluster.sqitch("verify", dbname=empty_db.name)
    assert empty_db.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'") == 0
    with empty_db.connect("es_writer") as conn:
        conn.execute("""CALL api.append_events('Order', gen_random_uuid(), 0,
                        '[{"event_type": "OrderCreated", "event_data": {}}]', NULL)""")


def test_sqitch_check_takes_the_readmes_target_uris():
    from harness.sqitch_check import libpq_dsn

    assert libpq_dsn("db:pg://admin@db.example:5433/eventstore") == "postgresql://admin@db.example:5433/eventstore"
    assert libpq_dsn("db:pg:eventstore") == "dbname=eventstore"
    assert libpq_dsn("db:pg:") == ""
    assert libpq_dsn("host=/tmp port=5432 dbname=x") == "host=/tmp port=5432 dbname=x"
    assert libpq_dsn("postgresql://u@h/d") == "postgresql://u@h/d"


def test_scripts_other_than_the_two_commands_install_nothing(tmp_path):
    """scripts/install-deps --check (what bench, schema-snapshot and sqitch-check run) says what
    is missing and exits 1 instead of installing."""
    import shutil
    import subprocess

    from harness.cluster import REPO

    repo = tmp_path / "repo"  # the scripts as they are in this tree, without a .venv
    shutil.copytree(REPO / "scripts", repo / "scripts")
    shutil.copy(REPO / "requirements-dev.txt", repo)
    r = subprocess.run(["bash", "scripts/install-deps", "--check"], cwd=repo, capture_output=True, text=True)
    assert r.returncode == 1 and "missing the Python virtualenv .venv" in r.stderr, r.stdout + r.stderr
    assert not (repo / ".venv").exists(), "nothing installed"
    for script in ("bench", "schema-snapshot", "sqitch-check"):
        assert "scripts/install-deps --check" in (repo / "scripts" / script).read_text(), script


def test_pyproject_version_follows_the_release_tags():
    import re

    from harness.cluster import REPO
    from harness.sqitch_plan import parse_plan, tags

    newest = tags(parse_plan((REPO / "sqitch.plan").read_text()))[-1][0]
    version = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert f"v{version}" == newest, f"pyproject.toml says {version}, the newest release tag is @{newest}"
