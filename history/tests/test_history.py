"""The v3 plan (history/, frozen): each of its changes deploys, verifies and reverts alone, and a
database at each of its releases, with data, upgrades to v3.1.0 and adopts the v4 plan
(python -m eventstore adopt-baseline), ending with the catalog of a fresh v4 install and its
data intact. Run by scripts/test --all only (every test here is slow).

The lists of exceptions below are the history's: what its changes' reverts and verify scripts
could not show. They are frozen with it; the current plan's walk (tests/test_migrations.py)
needs none."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from eventstore.adopt import adopt_baseline
from harness.cluster import PROJECTS, REPO, TALLY_SQL
from harness.order_model import ORDER_SUMMARIES_SQL, READ_MODEL_SQL, READ_MODEL_SQL_BEFORE_V4_1
from harness.schema_snapshot import dump
from harness.sqitch_plan import RETIRED, combined_plan, read_plan, script_path, tags
from harness.tally_versions import REGISTER_V2
from harness.tally_versions import V2_SQL as V2
from tests.helpers import append, catalog_is_consistent, event, open_tally, run_projections_until_idle
from tests.helpers import oracle_model as tally_oracle
from tests.helpers import tally_model as model

# Upgrades carry the data of the releases: up to v1.1.0 the Order domain was part of the core
# (the example project has it since v2.0.0), so upgrades are tested with orders.

def order_schema(conn) -> str:
    """Where the example's commands are: schema orders since its change orders_schema, api before."""
    return "orders" if conn.execute("SELECT to_regnamespace('orders')").fetchone()[0] else "api"


def create_customer(conn) -> uuid.UUID:
    return conn.execute(f"CALL {order_schema(conn)}.create_customer('Customer', NULL, NULL)").fetchone()[0]


def create_order(conn, customer_id, items) -> uuid.UUID:
    return conn.execute(f"CALL {order_schema(conn)}.create_order(%s, %s::jsonb, NULL)",
                        (customer_id, json.dumps(items))).fetchone()[0]


def read_model(db) -> list[tuple]:
    moved = db.scalar("SELECT to_regnamespace('orders')") is not None
    return sorted(db.execute(READ_MODEL_SQL if moved else READ_MODEL_SQL_BEFORE_V4_1))


def customers(db) -> list[tuple]:
    moved = db.scalar("SELECT to_regnamespace('orders')") is not None
    return db.execute(f"SELECT * FROM {'orders' if moved else 'data'}.customers ORDER BY id")


def oracle_model(db) -> list[tuple]:
    return sorted(db.execute(ORDER_SUMMARIES_SQL))


def change_ids(project: str = "history") -> list[tuple[str, str]]:
    out = subprocess.run(["sqitch", "plan", "--no-headers", "--format", "format:%H %n"], cwd=PROJECTS[project],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]


# What a revert can change, as text: functions (with their source, settings and grants),
# relations, columns, triggers, event triggers, registrations. A revert must change something.
CATALOG = """
SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc || coalesce(array_to_string(p.proconfig, ','), '')
       || coalesce(p.proacl::text, ''))
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname IN ('api', 'private', 'registered', 'data')
UNION ALL
SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text || coalesce(c.relacl::text, '')
       || CASE WHEN c.relkind = 'v' THEN md5(pg_get_viewdef(c.oid)) ELSE '' END
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'private', 'registered', 'data')
UNION ALL
SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'private', 'registered', 'data') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || t.tgenabled::text
FROM pg_trigger AS t WHERE NOT t.tgisinternal
UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger
UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
"""


def catalog(db) -> set[str]:
    rows = {row[0] for row in db.execute(CATALOG)}
    for table in ("data.projections", "data.reducers", "data.event_upcasters"):
        if db.scalar("SELECT to_regclass(%s)", (table,)):
            rows |= {f"registration {table} {r[0]}" for r in db.execute(
                f"SELECT to_jsonb(t) - 'registered_at' - 'created_at' - 'updated_at' FROM {table} AS t")}
    return rows


# Changes whose revert leaves what their verify checks, so that only the catalog shows it:
# - the group roles are kept while the template database uses them, and outside
#   cron.database_name cron_jobs schedules nothing; cron_extension's revert leaves the extension
#   (other jobs of the server may use it): their reverts change nothing this test can see.
NOTHING_TO_SEE = {"roles", "cron_jobs", "cron_extension"}
# - helpers taken out of api.append_events into changes of their own (after v1.5.0): the
#   earlier append_events made them and still calls them, so their reverts leave them.
NOTHING_TO_SEE |= {"check_event_batch", "announced_before_xid", "raise_append_conflict"}
# - pgcrypto_extension's revert leaves the extension (other code of the database may use it).
NOTHING_TO_SEE |= {"pgcrypto_extension"}
# - reworks that change no object (after v1.5.0): event_schemas only adds a requirement (found
#   by tests/test_dependencies.py); append_events leaves its helpers to changes of their own.
#   Their objects are those of the version before; their reverts change nothing.
DEPENDENCY_ONLY_REWORKS = {"event_schemas@v1.5.0", "append_events@v1.5.0"}
# - reworks for their verify alone (after v3.0.0): code renamed an object the change had made
#   (private.events_as_read, private.conservative_horizon, private.cursor_position,
#   private.log_refs) and sqitch runs only the latest instance's verify, which checks the new
#   name. They deploy and revert nothing; code's revert gives the old names back.
DEPENDENCY_ONLY_REWORKS |= {"events_upcast@v3.0.0", "event_upcasters@v3.0.0", "log_order@v3.0.0",
                            "log_position@v3.0.0", "subscription_claims@v3.0.0"}
# - reworks that change what a function does, not its signature, columns or grants: their
#   verify scripts check shape and privileges only (they run no business logic and read no
#   source), so after the revert they pass; the revert must still change the catalog (the
#   function's source).
BEHAVIOUR_ONLY_REWORKS = {  # the instance each reworks, as its requires name it
    "append_events@v1.1.0", "append_events@v1.2.0", "append_events_idempotent@v1.1.0",
    "append_events_idempotent@v1.2.0", "automatic_snapshots@v1.1.0", "event_notifications@v1.1.0",
    "event_schemas@v1.1.0", "event_upcasters@v1.1.0", "get_all_events@v1.2.0", "get_events_by_type@v1.1.0",
    "get_events_by_type@v1.2.0", "get_stream_version@v1.1.0", "idempotency_key_retention@v1.1.0",
    "projection_admin@v1.1.0", "projection_runner@v1.2.0", "projection_runner@v1.3.0",
    "projection_status@v1.1.0", "projection_status@v1.2.0", "reducers@v1.1.0", "snapshots@v1.1.0",
    # after v2.0.0: personal data sealed on append, deleted streams, the sanctioned purge
    "append_events@v2.0.0", "raise_append_conflict@v2.0.0", "get_events@v2.0.0", "snapshots@v2.0.0",
    "events_append_only@v2.0.0",
    # after v2.1.0: snapshots refused after an erasure, intervals checked by their effect
    "automatic_snapshots@v2.1.0", "idempotency_key_retention@v2.1.0",
    # ZE001 and ZE002 carry their facts in DETAIL as JSON
    "raise_append_conflict@v2.1.0", "check_event_batch@v2.1.0",
}
# - the Order example's reworks after v3.0.0 (it reaches the store only through api): each
#   changes what a function calls (and customers a column default), which its verify does
#   not look at; the catalog shows the revert.
ORDERS_BEHAVIOUR_ONLY_REWORKS = {"customers@v2.1.0", "order_commands@v2.1.0", "get_customer_orders@v2.1.0",
                                 "order_summaries@v2.1.0"}
# - code (every function, procedure and view, from sql/): its revert gives back the objects it
#   changed as the release before had them (tests/test_layout.py proves the catalog equal); its
#   verify checks that each object exists with its grants, which the release before also had
#   unless this code adds an object.
BEHAVIOUR_ONLY_CHANGES = {"code"}
# - functions taken out of a change into one of their own that also changes what they do:
#   the revert gives back the function as the first change made it.
BEHAVIOUR_ONLY_CHANGES |= {"log_position"}
# - the core's v1.x Order changes (retired in v2.0.0: their verify accepts all or none of their
#   objects) and order_domain_moved (its verify accepts the Order objects gone or all there).
RETIRED_OR_MOVED = RETIRED | {"order_domain_moved"}


def walk(cluster, db, project: str, plan, verify_may_pass) -> None:
    """Deploy to each change (verified as it goes), revert that one step: the catalog must
    change and, unless the change is listed, its verify script must now fail (the revert
    really removed it). The next step's deploy deploys it again (verified) with the next
    change: two sqitch runs a change instead of three."""
    previous = None
    changes = [c for c in plan if c.project == project]
    for (change_id, name), change in zip(change_ids(project), changes, strict=True):
        assert change.name == name
        cluster.sqitch("deploy", "--to", change_id, dbname=db.name, project=project)
        before = catalog(db)
        if previous is None:
            cluster.sqitch("revert", "-y", dbname=db.name, project=project)
        else:
            cluster.sqitch("revert", "-y", "--to", previous, dbname=db.name, project=project)
        if name in NOTHING_TO_SEE or DEPENDENCY_ONLY_REWORKS & set(change.requires):
            pass
        else:
            assert catalog(db) != before, f"{project}:{name}: its revert changed nothing"
            if not verify_may_pass(change):
                verify = cluster.psql(db.name, "-q", "-f", str(REPO / script_path(plan, change.index, "verify")),
                                      check=False)
                assert verify.returncode != 0, f"{project}:{name}: its verify script still passes after its revert"
        previous = change_id
    cluster.sqitch("deploy", dbname=db.name, project=project)  # the last change, again
    cluster.sqitch("verify", dbname=db.name, project=project)


@pytest.mark.slow
def test_every_change_deploys_verifies_and_reverts_alone_in_plan_order(cluster, empty_db):
    plan = combined_plan(history=True)
    def verify_may_pass(change) -> bool:
        return (change.name in RETIRED_OR_MOVED | BEHAVIOUR_ONLY_CHANGES
                or bool(BEHAVIOUR_ONLY_REWORKS & set(change.requires)))

    walk(cluster, empty_db, "history", plan, verify_may_pass)
    assert not empty_db.scalar("SELECT count(*) FROM pg_proc WHERE proname IN ('order_reducer', 'create_order')"), \
        "a fresh deploy of the core has no Order domain"
    walk(cluster, empty_db, "orders-history", plan,
         lambda change: bool(ORDERS_BEHAVIOUR_ONLY_REWORKS & set(change.requires)))
    cluster.sqitch("revert", "-y", dbname=empty_db.name, project="orders-history")
    cluster.sqitch("revert", "-y", dbname=empty_db.name, project="history")
    assert empty_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('data', 'private', 'api')") == 0


RELEASES = [tag for tag, _ in tags(read_plan("history"))]
REGISTRATIONS = """SELECT projection_name, handler, reset_handler, event_types, stream_types, batch_size, version_of,
                          version FROM data.projections ORDER BY projection_name"""


@pytest.mark.slow
@pytest.mark.parametrize("tag", RELEASES)
def test_a_release_with_data_upgrades_adopts_v4_and_equals_a_fresh_install(cluster, empty_db, tag):
    """Each release, with Order data: upgraded with the history plan to v3.1.0 (from v1.x the core
    keeps the Order objects, order_domain_moved, and the example project adopts them), then
    adopt-baseline and the v4 plan: the catalog of a fresh v4 install, nothing lost."""
    split = int(tag[1:].split(".")[0]) >= 2  # from v2.0.0 on, the Order example is a project of its own
    # The release as it was (its verify scripts run in the walk above; the upgrade below verifies).
    cluster.sqitch("deploy", "--no-verify", "--to", f"@{tag}", dbname=empty_db.name, project="history")
    if split:
        cluster.sqitch("deploy", "--no-verify", "--to", f"@{tag}", dbname=empty_db.name, project="orders-history")
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
    subscriptions = tag >= "v1.4"  # a subscription with events in flight across the upgrade
    if subscriptions:
        with db.connect("es_admin") as a:
            a.execute("SELECT api.create_subscription('before_upgrade', ARRAY['Audit'], in_lease := '1 hour')")
        with db.connect("es_projector") as p:
            in_flight = [r[0] for r in p.execute("SELECT id FROM api.claim_events('before_upgrade', 'c', 10)").fetchall()]
        assert len(in_flight) == 1
    log_before = db.execute("SELECT id, event_type, event_data, schema_version FROM data.events ORDER BY id")
    model_before = read_model(db)
    applied_before = dict(db.execute("SELECT projection_name, events_applied FROM data.projection_checkpoints"))
    customers_before = customers(db)
    assert len(model_before) == 5

    out = cluster.sqitch("deploy", dbname=db.name, project="history")
    assert ("\n  + " in out.stdout) == (tag != RELEASES[-1]), "the upgrade deployed the changes after the release"
    assert ("the Order domain holds data: its objects are kept" in out.stderr) != split
    cluster.sqitch("deploy", dbname=db.name, project="orders-history")
    said = adopt_baseline(cluster.conninfo(db.name), [PROJECTS["orders"]])
    assert "+ baseline" in said and "- roles" in said, said
    cluster.deploy_all(db.name)  # what came after v4.0.0, if anything
    cluster.sqitch("verify", dbname=db.name)
    cluster.sqitch("verify", dbname=db.name, project="orders")
    assert customers(db) == customers_before
    # The catalog is a fresh v4 install's (core and example), to the line of pg_dump, but for the
    # monthly partitions (made by the code of their time), and so are the registrations.
    fresh = f"fresh_{uuid.uuid4().hex[:8]}"
    cluster.create_database(fresh)
    try:
        cluster.deploy_all(fresh)
        if subscriptions:  # a subscription has a sequence of its own (its read guard): the same one
            cluster.execute(fresh, "SELECT api.create_subscription('before_upgrade', ARRAY['Audit'], in_lease := '1 hour')")
        assert dump(cluster, db.name, monthly_partitions=False) == dump(cluster, fresh, monthly_partitions=False), \
            "an upgraded and adopted store has the catalog of a fresh install"
        assert db.execute(REGISTRATIONS) == cluster.execute(fresh, REGISTRATIONS)
    finally:
        cluster.drop_database(fresh)

    assert db.execute("SELECT id, event_type, event_data, schema_version FROM data.events ORDER BY id") == log_before, \
        "nothing lost or rewritten"
    assert read_model(db) == model_before
    applied_after = dict(db.execute("SELECT projection_name, events_applied FROM data.projection_checkpoints"))
    assert {name: applied_after[name] for name in applied_before} == applied_before, \
        "checkpoints kept: projections continue, not restart"
    # after v3.0.0: every projection registered before is its own version 1, live (the Order
    # example then registers a version 2 of order_summaries beside it: orders:order_summaries_v2).
    versions = {name: (version_of, version) for name, version_of, version in
                db.execute("SELECT projection_name, version_of, version FROM data.projections")}
    assert {name: versions.get(name) for name in applied_before} == {
        name: (name.partition("@")[0], int(name.partition("@")[2] or 1)) for name in applied_before}
    assert db.execute("SELECT projection_name, live FROM api.projection_status WHERE version > 1") == [
        ("order_summaries@2", False)]
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
        # after v2.0.0: personal data and deletion work on what was stored before.
        assert a.execute("SELECT api.forget_subject(%s)", (str(customer),)).fetchone()[0] is False, \
            "no key: its events were stored before personal data existed"
    with db.connect("es_writer") as w:
        version = w.execute("SELECT api.get_stream_version('Order', %s)", (orders[1],)).fetchone()[0]
        assert w.execute("SELECT api.delete_stream('Order', %s, %s)", (orders[1], version)).fetchone()[0] == version + 1
        assert not w.execute("SELECT * FROM api.get_events('Order', %s)", (orders[1],)).fetchall()
    with db.connect("es_projector") as p:
        claimed = p.execute("SELECT id FROM api.claim_events('after_upgrade', 'c', 10000)").fetchall()
        if subscriptions:  # after v2.1.0: a lease taken before the upgrade (no claiming role known) acks
            assert p.execute("SELECT api.ack_events('before_upgrade', 'c', %s)", (in_flight,)).fetchone()[0] == 1
    assert {r[0] for r in claimed} == {r[0] for r in db.execute("SELECT id FROM data.events")}
    if subscriptions:
        assert db.scalar("SELECT count(*) FROM data.subscriptions WHERE read_guard IS NULL") == 0, \
            "every subscription has its read guard"


@pytest.mark.slow
def test_an_upgrade_without_order_data_drops_the_order_domain_and_its_revert_gives_it_back(cluster, empty_db):
    db = empty_db
    order_objects = """SELECT count(*) FROM pg_proc WHERE proname IN ('create_order', 'order_reducer', 'create_customer')"""
    # the last release with the Order domain in the core
    cluster.sqitch("deploy", "--to", "@v1.5.0", dbname=db.name, project="history")
    with db.connect("es_writer") as w:
        append(w, "Audit", uuid.uuid4(), 0, [event("Checked")])
    assert db.scalar(order_objects) == 3
    cluster.sqitch("deploy", dbname=db.name, project="history")
    assert db.scalar(order_objects) == 0
    assert not db.execute("SELECT 1 FROM data.projections WHERE projection_name = 'order_summaries'")
    cluster.sqitch("revert", "-y", "--to", "order_domain_moved^", dbname=db.name, project="history")
    assert db.scalar(order_objects) == 3, "the revert gives the v1.x Order domain back"
    with db.connect("es_writer") as w:
        create_order(w, create_customer(w), [{"product_id": "p", "quantity": 1, "price": 1}])
    cluster.sqitch("deploy", dbname=db.name, project="history")
    assert db.scalar(order_objects) == 3, "now it holds data: kept"
    cluster.sqitch("deploy", dbname=db.name, project="orders-history")
    cluster.sqitch("verify", dbname=db.name, project="orders-history")


@pytest.mark.slow
def test_reverting_projection_versions_keeps_each_live_version(cluster, empty_db):
    """sqitch revert of the v3 plan's change projection_versions keeps each projection's live
    version (v2 here) registered and running under its name; the versions that were not live go."""
    db = empty_db
    cluster.sqitch("deploy", "--no-verify", dbname=db.name, project="history")
    cluster.psql(db.name, "-q", "-f", str(TALLY_SQL))
    db.execute(V2)
    with db.connect("es_writer") as w:
        for _ in range(10):
            open_tally(w, marks=[{"label": "a", "count": 1, "weight": 1}])
    db.execute(REGISTER_V2)
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    db.execute("SELECT api.promote_projection('tallies', 2)")
    db.execute("DROP VIEW tally.tallies_read")  # it calls api.projection_live_version, which the revert drops
    db.cluster.sqitch("revert", "-y", "--to", "generation_stamps", dbname=db.name, project="history")
    assert db.execute("SELECT projection_name FROM data.projections WHERE projection_name LIKE 'tallies%'") == [
        ("tallies",)]
    assert db.scalar("SELECT handler::text FROM data.projections WHERE projection_name = 'tallies'") == \
        "tally.apply_events_v2(data.events[])"
    with db.connect("es_writer") as w:
        open_tally(w, marks=[{"label": "a", "count": 1, "weight": 1}])
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    assert model(db, "tally.tallies_v2") == tally_oracle(db)
    db.cluster.sqitch("deploy", dbname=db.name, project="history")
    assert db.execute("SELECT projection_name, version_of, version FROM data.projections "
                      "WHERE version_of = 'tallies'") == [("tallies", "tallies", 1)]
    catalog_is_consistent(db)
