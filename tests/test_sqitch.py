"""Real sqitch deploys, verifies and reverts."""

from __future__ import annotations

from tests.helpers import raises_sqlstate


def test_deploy_verify_revert_deploy_round_trip(cluster, empty_db):
    name = empty_db.name
    out = cluster.sqitch("deploy", dbname=name).stdout
    assert "+ append_events" in out
    cluster.sqitch("verify", dbname=name)
    assert empty_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('data', 'private', 'api')") == 3

    reverted = cluster.sqitch("revert", "-y", dbname=name)
    assert "- roles" in reverted.stdout
    assert empty_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('data', 'private', 'api')") == 0
    # The group roles are cluster-wide and still used by the template: kept.
    assert empty_db.scalar("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'eventstore\\_%'") == 4

    cluster.sqitch("deploy", dbname=name)
    cluster.sqitch("verify", dbname=name)
    status = cluster.sqitch("status", dbname=name).stdout
    assert "Nothing to deploy (up-to-date)" in status


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
