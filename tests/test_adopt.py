"""python -m eventstore adopt-baseline: a store deployed with the v3 plan (history/) takes up the
v4 plan with sqitch's own commands (revert --log-only, deploy --log-only), and only where the
registry and the catalog are v3.1.0's; refused, it changes nothing. Each test starts from a clone
of one database at v3.1.0 (the core and the Order example, with an event and a customer)."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from eventstore.adopt import AdoptionRefused, adopt_baseline
from harness.cluster import PROJECTS, REPO
from tests.helpers import append, event

pytestmark = pytest.mark.slow
ORDERS = [PROJECTS["orders"]]
REGISTRY = "SELECT project, change_id FROM sqitch.changes ORDER BY 1, 2"


@pytest.fixture(scope="module")
def v3_template(cluster, template_db):
    name = f"v3_{uuid.uuid4().hex[:8]}"
    cluster.create_database(name)
    cluster.sqitch("deploy", "--no-verify", dbname=name, project="history")
    cluster.sqitch("deploy", "--no-verify", dbname=name, project="orders-history")
    with cluster.connect(name, "es_writer") as w:
        append(w, "Audit", uuid.uuid4(), 0, [event("Checked")])
        w.execute("CALL api.create_customer('Ann', NULL, NULL)")
    yield name
    cluster.drop_database(name)


@pytest.fixture
def v3_db(cluster, v3_template):
    name = f"v3db_{uuid.uuid4().hex[:8]}"
    cluster.create_database(name, template=v3_template)
    yield name
    cluster.drop_database(name)


def test_a_store_at_v3_1_adopts_the_plan_and_goes_on(cluster, v3_db):
    conninfo = cluster.conninfo(v3_db)
    said = adopt_baseline(conninfo, ORDERS)
    assert "+ baseline_wiring @v4.0.0" in said and "+ baseline @v4.0.0" in said, said
    # The plan goes on from v4.0.0 as it does for any store deployed at that release.
    assert "+ event_tags" in cluster.sqitch("deploy", dbname=v3_db).stdout
    assert "Nothing to deploy" in cluster.sqitch("deploy", dbname=v3_db).stdout
    # The example goes on from its first release: into its own schema, with its data.
    assert "+ orders_schema" in cluster.sqitch("deploy", dbname=v3_db, project="orders").stdout
    assert cluster.execute(v3_db, "SELECT count(*) FROM orders.customers") == [(1,)]
    cluster.sqitch("verify", dbname=v3_db)
    cluster.sqitch("verify", dbname=v3_db, project="orders")
    assert adopt_baseline(conninfo, ORDERS) == "already adopted: nothing to do\n"
    assert cluster.execute(v3_db, "SELECT count(*) FROM api.get_all_events() WHERE stream_type = 'Audit'") == [(1,)]
    # The registry knows the new dependencies: the example's baseline holds the core's wiring.
    refused = cluster.sqitch("revert", "-y", "--to", "code@v4.0.0", dbname=v3_db, check=False)
    assert refused.returncode != 0 and "required by currently deployed" in refused.stderr, refused.stderr


def test_a_catalog_that_is_not_v3_1s_is_refused_and_nothing_changes(cluster, v3_db):
    """Deliberate break: one function made otherwise (its body), one index gone."""
    with cluster.connect(v3_db) as conn:
        registry = conn.execute(REGISTRY).fetchall()
        definition = conn.execute("SELECT pg_get_functiondef('api.get_stream_version(text, uuid)'::regprocedure)").fetchone()[0]
        conn.execute(definition.replace("$function$", "$function$ -- changed by hand\n", 1))
        conn.execute("DROP INDEX data.removed_events_log_idx")
    with pytest.raises(AdoptionRefused) as refused:
        adopt_baseline(cluster.conninfo(v3_db), ORDERS)
    assert "not v3.1.0's: 2 object(s)" in str(refused.value)
    assert "routine api.get_stream_version(text,uuid)" in str(refused.value)
    assert "index CREATE INDEX removed_events_log_idx" in str(refused.value)
    with cluster.connect(v3_db) as conn:
        assert conn.execute(REGISTRY).fetchall() == registry


def test_an_older_release_is_sent_to_the_history_plan_first(cluster, empty_db):
    cluster.sqitch("deploy", "--no-verify", "--to", "@v3.0.0", dbname=empty_db.name, project="history")
    with pytest.raises(AdoptionRefused, match="older than v3.1.0: upgrade it with the history plan first"):
        adopt_baseline(cluster.conninfo(empty_db.name))


def test_a_project_that_requires_the_stores_changes_must_be_named(cluster, v3_db):
    with cluster.connect(v3_db) as conn:
        registry = conn.execute(REGISTRY).fetchall()
    with pytest.raises(AdoptionRefused, match="deployed projects require the store's history changes: orders"):
        adopt_baseline(cluster.conninfo(v3_db))
    r = subprocess.run([sys.executable, "-m", "eventstore", "adopt-baseline", cluster.conninfo(v3_db)], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 2 and "adopt-baseline refused, nothing changed" in r.stderr, r.stdout + r.stderr
    with cluster.connect(v3_db) as conn:
        assert conn.execute(REGISTRY).fetchall() == registry


def test_a_run_cut_short_is_finished_by_running_it_again(cluster, v3_db):
    """The history reverted from the registry (as a run stopped after its reverts leaves it): the
    next run records the new plans."""
    cluster.sqitch("revert", "--log-only", "-y", dbname=v3_db, project="orders-history")
    cluster.sqitch("revert", "--log-only", "-y", dbname=v3_db, project="history")
    said = adopt_baseline(cluster.conninfo(v3_db), ORDERS)
    assert "- roles" not in said and "+ baseline_wiring @v4.0.0" in said, said
    cluster.deploy_all(v3_db)
    cluster.sqitch("verify", dbname=v3_db)
    cluster.sqitch("verify", dbname=v3_db, project="orders")
