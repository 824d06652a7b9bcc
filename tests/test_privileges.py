"""Least privilege, as real login roles see it."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import append, event, raises_sqlstate

APPEND = "CALL api.append_events('Order', %s, 0, '[{\"event_type\": \"OrderCreated\", \"event_data\": {}}]', NULL)"


@pytest.mark.parametrize("role", ["es_reader", "es_projector"])
def test_readers_and_projectors_cannot_append(db, role):
    with db.connect(role) as conn:
        with raises_sqlstate("42501", "permission denied"):
            conn.execute(APPEND, (uuid.uuid4(),))


@pytest.mark.parametrize("role", ["es_reader", "es_writer", "es_projector", "es_admin"])
def test_no_role_reads_tables_directly(db, role):
    # Admins may name types of schema data (handler signatures), no table.
    denied = "permission denied for table events" if role == "es_admin" else "permission denied for schema data"
    with db.connect(role) as conn:
        with raises_sqlstate("42501", denied):
            conn.execute("SELECT count(*) FROM data.events")
        with raises_sqlstate("42501", "permission denied for schema private"):
            conn.execute("SELECT private.uuidv7()")


@pytest.mark.parametrize("role", ["es_reader", "es_writer", "es_projector", "es_admin"])
def test_every_role_reads_through_api(db, role):
    stream = uuid.uuid4()
    with db.connect("es_writer") as conn:
        append(conn, "Order", stream, 0, [event("OrderCreated")])
    with db.connect(role) as conn:
        assert conn.execute("SELECT count(*) FROM api.get_events('Order', %s)", (stream,)).fetchone()[0] == 1
        assert conn.execute("SELECT api.get_stream_version('Order', %s)", (stream,)).fetchone()[0] == 1


def test_only_admins_maintain_partitions(db):
    with db.connect("es_writer") as conn:
        with raises_sqlstate("42501"):
            conn.execute("CALL api.ensure_event_partitions(1)")
    with db.connect("es_admin") as conn:
        conn.execute("CALL api.ensure_event_partitions(1)")


def test_a_role_outside_the_groups_reaches_nothing(db, cluster):
    with cluster.connect("postgres") as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE es_stranger LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    with db.connect("es_stranger") as conn:
        with raises_sqlstate("42501", "permission denied for schema api"):
            conn.execute("SELECT * FROM api.get_all_events()")


def test_status_hides_other_users_query_text_and_shows_prepared_transactions(db):
    # The transaction holding the horizon is an appender (docs/read-horizon.md): a superuser's,
    # whose last query text carries a secret.
    secret = db.connect(autocommit=False)
    secret.execute("""CALL api.append_events('S', gen_random_uuid(), 0,
                      '[{"event_type": "E", "event_data": {"password": "TopSecret123"}}]', NULL)""")
    try:
        with db.connect("es_reader") as conn:
            pid, q = conn.execute("SELECT oldest_xact_pid, oldest_xact_query FROM api.projection_status LIMIT 1"
                                  ).fetchone()
            # v1.1.0: the reader saw the superuser's query text.
            assert (pid, q) == (secret.info.backend_pid, "<insufficient privilege>")
        with db.connect() as conn:
            assert "TopSecret123" in conn.execute(
                "SELECT oldest_xact_query FROM api.projection_status LIMIT 1").fetchone()[0]
    finally:
        secret.rollback()
        secret.close()
    prepared = db.connect(autocommit=False)
    prepared.execute("""CALL api.append_events('S', gen_random_uuid(), 0, '[{"event_type": "E", "event_data": {}}]', NULL)""")
    prepared.execute("PREPARE TRANSACTION 'orphan-of-a-test'")
    prepared.close()
    try:
        with db.connect("es_reader") as conn:
            pid, database, query = conn.execute(
                "SELECT oldest_xact_pid, oldest_xact_database, oldest_xact_query "
                "FROM api.projection_status LIMIT 1").fetchone()
        # v1.1.0: every oldest_xact_* was NULL while it held every reader back.
        assert (pid, database, query) == (None, db.name, "PREPARED TRANSACTION 'orphan-of-a-test'")
    finally:
        db.execute("ROLLBACK PREPARED 'orphan-of-a-test'")
