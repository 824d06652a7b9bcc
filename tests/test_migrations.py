"""Migration safety: each change alone, upgrade with data, released scripts never edited."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from harness.cluster import REPO
from harness.sqitch_check import check_database, check_released
from harness.sqitch_plan import parse_plan, script_path, tags
from tests.helpers import (append, create_customer, create_order, event, oracle_model, read_model,
                           run_projections_until_idle)


def change_ids() -> list[tuple[str, str]]:
    out = subprocess.run(["sqitch", "plan", "--no-headers", "--format", "format:%H %n"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]


# Changes whose verify script cannot fail once reverted: the group roles are kept while the
# template database uses them, and outside cron.database_name cron_jobs schedules nothing.
VERIFY_SURVIVES_REVERT = {"roles", "cron_jobs"}
# order_items_totals (after v1.5.0) gives a function of its own change that order_summaries created
# before it: its revert leaves that function in place.
VERIFY_SURVIVES_REVERT |= {"order_items_totals"}
# cron_extension's revert leaves the extension (other jobs of the server may use it).
VERIFY_SURVIVES_REVERT |= {"cron_extension"}
# Reworks that only add a requirement (after v1.5.0, found by tests/test_dependencies.py): their
# objects are those of the version before, so its revert leaves what their verify checks.
DEPENDENCY_ONLY_REWORKS = {"event_schemas@v1.5.0", "order_aggregate@v1.5.0", "order_commands@v1.5.0"}


@pytest.mark.slow
def test_every_change_deploys_verifies_and_reverts_alone_in_plan_order(cluster, empty_db):
    """Deploy to each change (verified as it goes), revert that one step (and check that the
    change's verify script now fails: the revert really removed it), deploy it again."""
    plan = parse_plan((REPO / "sqitch.plan").read_text())
    previous = None
    for index, (change_id, name) in enumerate(change_ids()):
        cluster.sqitch("deploy", "--to", change_id, dbname=empty_db.name)
        if previous is None:
            cluster.sqitch("revert", "-y", dbname=empty_db.name)
        else:
            cluster.sqitch("revert", "-y", "--to", previous, dbname=empty_db.name)
        if name not in VERIFY_SURVIVES_REVERT and not DEPENDENCY_ONLY_REWORKS & set(plan[index].requires):
            verify = cluster.psql(empty_db.name, "-q", "-f", str(REPO / script_path(plan, index, "verify")),
                                  check=False)
            assert verify.returncode != 0, f"{name}: its verify script still passes after its revert"
        cluster.sqitch("deploy", "--to", change_id, dbname=empty_db.name)
        previous = change_id
    cluster.sqitch("verify", dbname=empty_db.name)
    cluster.sqitch("revert", "-y", dbname=empty_db.name)
    assert empty_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('data', 'private', 'api')") == 0


def previous_release() -> str:
    plan = parse_plan((REPO / "sqitch.plan").read_text())
    released = tags(plan)
    assert len(released) >= 2 or (released and released[-1][1] < len(plan) - 1), "a previous release exists"
    # The release before HEAD: the last tag, unless HEAD is that tag.
    return released[-2][0] if released[-1][1] == len(plan) - 1 else released[-1][0]


@pytest.mark.slow
def test_upgrade_from_the_previous_release_keeps_data_and_projections(cluster, empty_db):
    tag = previous_release()
    cluster.sqitch("deploy", "--to", f"@{tag}", dbname=empty_db.name)
    db = empty_db
    with db.connect("es_writer") as w:
        customer = create_customer(w)
        orders = [create_order(w, customer, [{"product_id": "p", "quantity": 2, "price": 3}]) for _ in range(5)]
        w.execute("CALL api.append_events_idempotent('Order', %s, NULL, %s::jsonb, %s, NULL)",
                  (orders[0], '[{"event_type": "ItemAdded", "event_data": {"product_id": "q", "quantity": 1, "price": 1}}]',
                   uuid.uuid4()))
        append(w, "Audit", uuid.uuid4(), 0, [event("Checked")])
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    log_before = db.execute("SELECT id, event_type, event_data, schema_version FROM data.events ORDER BY id")
    model_before = read_model(db)
    applied_before = dict(db.execute("SELECT projection_name, events_applied FROM data.projection_checkpoints"))
    assert len(model_before) == 5

    out = cluster.sqitch("deploy", dbname=db.name).stdout
    assert "\n  + " in out, "the upgrade deployed the changes after the release"
    cluster.sqitch("verify", dbname=db.name)

    assert db.execute("SELECT id, event_type, event_data, schema_version FROM data.events ORDER BY id") == log_before, \
        "nothing lost or rewritten"
    assert read_model(db) == model_before
    assert dict(db.execute("SELECT projection_name, events_applied FROM data.projection_checkpoints")) == applied_before, \
        "checkpoints kept: projections continue, not restart"
    with db.connect("es_writer") as w:
        create_order(w, customer, [{"product_id": "r", "quantity": 1, "price": 5}])
    with db.connect("es_projector") as p:
        assert run_projections_until_idle(p) > 0
    assert len(read_model(db)) == 6
    assert read_model(db) == oracle_model(db)
    assert db.scalar("SELECT events_applied FROM data.projection_checkpoints WHERE projection_name = 'order_summaries'") \
        == applied_before["order_summaries"] + 1
    with db.connect("es_admin") as a:
        assert a.execute("SELECT api.purge_idempotency_keys('30 days')").fetchone()[0] == 0, "the new release's api works"
        # v1.4.0: a subscription from the beginning delivers the events stored before the upgrade.
        a.execute("SELECT api.create_subscription('after_upgrade')")
    with db.connect("es_projector") as p:
        claimed = p.execute("SELECT id FROM api.claim_events('after_upgrade', 'c', 10000)").fetchall()
    assert {r[0] for r in claimed} == {r[0] for r in db.execute("SELECT id FROM data.events")}


def test_released_deploy_scripts_are_unchanged():
    assert check_released() == []


def test_an_edited_released_script_is_caught(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(repo)], check=True)
    # events: released in @v1.0.0 and never reworked (a reworked change's file is unreleased
    # until the next tag).
    with (repo / "deploy" / "events.sql").open("a") as f:
        f.write("-- edited after release\n")
    problems = check_released(repo)
    assert len(problems) == 1 and problems[0].startswith("events: released in @v1.0.0"), problems
    assert "rework it with sqitch rework" in problems[0]


def test_a_script_edited_after_deploy_is_caught_in_the_database(cluster, empty_db, tmp_path):
    cluster.sqitch("deploy", dbname=empty_db.name)
    dsn = cluster.conninfo(empty_db.name)
    assert check_database(dsn) == []
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns(".venv", ".git"))
    with (repo / "deploy" / "cron_jobs.sql").open("a") as f:
        f.write("-- edited after deploy\n")
    assert check_database(dsn, repo) == ["cron_jobs: deploy/cron_jobs.sql differs from the script deployed"]
