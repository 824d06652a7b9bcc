"""Hardening: each reproduction of the attack review, across real connections and roles.

Every test here failed on v1.1.0 (see the comment on each): privilege escalation through
registered code, read models a writer could wedge, maintenance that froze the store, status
that leaked query text, advisory lock keys any session could take, and input outside class ZE.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid

import psycopg
import pytest

from tests.helpers import append, event, new_id, race, raises_sqlstate, run_projections_until_idle


def login(db, groups: list[str], *, create_schema: bool = False) -> str:
    """A fresh login role in the given group roles (cluster-wide; dropped by the caller's db)."""
    name = f"hx_{uuid.uuid4().hex[:10]}"
    with db.connect() as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN" + (f" IN ROLE {', '.join(groups)}" if groups else ""))
        if create_schema:
            conn.execute(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    return name


def is_superuser(db, role: str) -> bool:
    return db.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,))


ESCALATE = """CREATE FUNCTION {schema}.{name}({args}) RETURNS {ret} LANGUAGE plpgsql AS $$
BEGIN EXECUTE 'ALTER ROLE {role} SUPERUSER'; RETURN {result}; END $$"""


# -- High 1: registered code runs with its registrant's rights ---------------------------------

def test_an_admin_cannot_register_a_temporary_function(db):
    # v1.1.0: accepted; reading an event then ran it as the bundle owner (superuser).
    admin = login(db, ["eventstore_admin"])
    with db.connect(admin) as conn:
        conn.execute(ESCALATE.format(schema="pg_temp", name="evil", args="j jsonb", ret="jsonb",
                                     role=admin, result="j"))
        with raises_sqlstate("ZE010", "temporary function"):
            conn.execute("SELECT api.register_upcaster('EvilType', 1, 'pg_temp.evil(jsonb)')")
        conn.execute(ESCALATE.format(schema="pg_temp", name="handler", args="e data.events[]", ret="void",
                                     role=admin, result=""))
        with raises_sqlstate("ZE010", "temporary function"):
            conn.execute("SELECT api.register_projection('evil', 'pg_temp.handler(data.events[])')")
    assert not is_superuser(db, admin)
    assert db.scalar("SELECT count(*) FROM data.event_upcasters WHERE event_type = 'EvilType'") == 0


def test_an_upcaster_runs_with_the_rights_of_its_registrant(db):
    # v1.1.0: the upcaster ran as the bundle owner inside every reader: the admin became superuser.
    admin = login(db, ["eventstore_admin", "eventstore_writer"], create_schema=True)
    with db.connect(admin) as conn:
        conn.execute(ESCALATE.format(schema=admin, name="evil", args="j jsonb", ret="jsonb", role=admin, result="j"))
        conn.execute("SELECT api.register_upcaster('EvilType', 1, %s::regprocedure)", (f"{admin}.evil(jsonb)",))
        append(conn, "Evil", new_id(), 0, [event("EvilType", {"a": 1}, {"version": 1})])
        with raises_sqlstate("42501"):
            conn.execute("SELECT * FROM api.get_all_events(NULL, 10)").fetchall()
    with db.connect("es_reader") as conn, raises_sqlstate("42501"):
        conn.execute("SELECT * FROM api.get_events_by_type(ARRAY['EvilType'])").fetchall()
    assert not is_superuser(db, admin)
    assert db.scalar("SELECT registered_by FROM data.event_upcasters WHERE event_type = 'EvilType'") == admin


def test_a_handler_run_by_the_worker_runs_with_the_rights_of_its_registrant(db):
    # v1.1.0: the pg_cron worker (the bundle owner) ran an admin's handler as itself.
    admin = login(db, ["eventstore_admin", "eventstore_writer"], create_schema=True)
    with db.connect(admin) as conn:
        conn.execute(ESCALATE.format(schema=admin, name="handler", args="e data.events[]", ret="void",
                                     role=admin, result=""))
        conn.execute("SELECT api.register_projection('evil', %s::regprocedure)", (f"{admin}.handler(data.events[])",))
        append(conn, "Evil", new_id(), 0, [event("Happened")])
    with db.connect() as conn:  # as pg_cron runs it: the bundle's owner, a superuser
        conn.execute("CALL private.projection_worker(0.5)")
    status, error = db.execute("SELECT status, error_message FROM api.projection_status "
                               "WHERE projection_name = 'evil'")[0]
    assert status == "failed" and error.startswith("42501"), (status, error)
    assert not is_superuser(db, admin)


def test_functions_others_could_change_are_refused(db):
    admin = login(db, ["eventstore_admin"], create_schema=True)
    other = login(db, ["eventstore_reader"], create_schema=True)
    with db.connect() as conn:
        conn.execute("CREATE SCHEMA open_to_all")
        conn.execute("GRANT CREATE, USAGE ON SCHEMA open_to_all TO PUBLIC")
        conn.execute("CREATE FUNCTION open_to_all.up(j jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT j'")
        conn.execute(f"GRANT USAGE ON SCHEMA {other} TO PUBLIC")
    with db.connect(other) as conn:
        conn.execute(f"CREATE FUNCTION {other}.up(j jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT j'")
    with db.connect(admin) as conn:
        with raises_sqlstate("ZE010", "others may create objects in its schema open_to_all (PUBLIC)"):
            conn.execute("SELECT api.register_upcaster('T', 1, 'open_to_all.up(jsonb)')")
        with raises_sqlstate("ZE010", f"owned by {other}"):
            conn.execute("SELECT api.register_upcaster('T', 1, %s::regprocedure)", (f"{other}.up(jsonb)",))


def test_a_registered_function_cannot_be_dropped_nor_its_invoker_subverted(db):
    admin = login(db, ["eventstore_admin", "eventstore_writer"], create_schema=True)
    with db.connect(admin) as conn:
        conn.execute(f"CREATE FUNCTION {admin}.up(j jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT j || '{{\"v2\": true}}' $$")
        conn.execute("SELECT api.register_upcaster('T', 1, %s::regprocedure)", (f"{admin}.up(jsonb)",))
        append(conn, "S", new_id(), 0, [event("T", {}, {"version": 1})])
        assert conn.execute("SELECT event_data FROM api.get_all_events(NULL, 10)").fetchone()[0] == {"v2": True}
        # v1.1.0: dropped, leaving a registration every whole-log reader failed on (42601).
        with raises_sqlstate("2BP01"):
            conn.execute(f"DROP FUNCTION {admin}.up(jsonb)")
        with raises_sqlstate("ZE010", "a registration runs it"):
            conn.execute(f"DROP FUNCTION {admin}.up(jsonb) CASCADE")
        # Its owner would make the invoker SECURITY INVOKER (to run as the bundle owner): it
        # cannot even name it (schema registered), and were it done, it would not run.
        invoker = db.scalar("SELECT upcaster_invoker::text FROM data.event_upcasters WHERE event_type = 'T'")
        with raises_sqlstate("42501", "schema registered"):
            conn.execute(f"ALTER FUNCTION {invoker} SECURITY INVOKER")
        db.execute(f"ALTER FUNCTION {invoker} SECURITY INVOKER")
        with raises_sqlstate("ZE010", "no longer SECURITY DEFINER"):
            conn.execute("SELECT * FROM api.get_all_events(NULL, 10)").fetchall()


# -- High 2: a writer cannot stop read models --------------------------------------------------

def test_a_stream_type_notify_could_not_carry_is_refused(db):
    # (What the Order example's commands refuse is tested in examples/orders/tests.)
    with db.connect("es_writer") as conn:
        with raises_sqlstate("ZE003", "7990"):  # v1.1.0: accepted; NOTIFY then failed on it for ever
            append(conn, "S" * 7990, new_id(), 0, [event("E")])
    with db.connect("es_projector") as conn:
        run_projections_until_idle(conn)
    assert db.scalar("SELECT count(*) FROM data.events") == 0
    assert db.scalar("SELECT count(*) FROM api.projection_status WHERE status <> 'running'") == 0


def test_a_skip_holds_through_rebuilds_and_resets_and_snapshots_go_on(db):
    bad = new_id()
    good = new_id()
    with db.connect("es_writer") as conn:
        append(conn, "Tally", bad, 0, [event("TallyOpened", {"owner_id": "not-a-uuid",
                                                             "marks": [{"label": "p", "count": "x"}]})])
        append(conn, "Tally", bad, 1, [event("TallyClosed")] * 99)  # a snapshot is due at 100
        append(conn, "Tally", good, 0, [event("TallyOpened", {"owner_id": str(new_id()), "marks": []})])
        append(conn, "Tally", good, 1, [event("TallyClosed")] * 99)
    with db.connect("es_projector") as conn:
        run_projections_until_idle(conn)
        rows = dict(conn.execute("SELECT projection_name, status FROM api.projection_status").fetchall())
        # v1.1.0: snapshots failed too, and stopped for every stream.
        assert rows["snapshots"] == "running" and rows["notifications"] == "running"
        assert rows["tallies"] == "failed"
        conn.execute("SELECT api.resume_projection('tallies', true)")
        run_projections_until_idle(conn)
        # v1.1.0: the rebuild failed on the skipped event every time (ZE012).
        conn.execute("CALL api.rebuild_projection('tallies')")
        conn.execute("SELECT api.reset_projection('tallies')")
        run_projections_until_idle(conn)
        assert conn.execute("SELECT status FROM api.projection_status WHERE projection_name = 'tallies'"
                            ).fetchone()[0] == "running"
    assert db.execute("SELECT tally_id FROM tally.tallies") == [(good,)]
    assert db.scalar("SELECT count(*) FROM data.projection_skips WHERE projection_name = 'tallies'") == 1
    assert db.execute("SELECT stream_id, version FROM data.snapshots WHERE stream_type = 'Tally'") == [(good, 100)]


# -- Medium 3: partition maintenance never freezes the store ----------------------------------

def test_partition_maintenance_behind_an_idle_reader_does_not_block_appends_or_reads(db):
    stream = new_id()
    with db.connect("es_writer") as conn:
        append(conn, "S", stream, 0, [event("E")])
    reader = db.connect("es_reader", autocommit=False)
    reader.execute("SELECT * FROM api.get_events('S', %s)", (stream,)).fetchall()  # left open
    errors: list = []

    def maintain():
        try:
            with db.connect("es_admin") as conn:
                conn.execute("CALL api.ensure_event_partitions(14)")
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=maintain)
    t.start()
    try:
        time.sleep(1.0)  # maintenance is now retrying its lock
        # v1.1.0: both queued behind the maintenance's ACCESS EXCLUSIVE request, for ever.
        with db.connect("es_writer", options="-c statement_timeout=20s") as conn:
            append(conn, "S", stream, 1, [event("E")])
        with db.connect("es_reader", options="-c statement_timeout=20s") as conn:
            assert len(conn.execute("SELECT * FROM api.get_all_events(NULL, 100)").fetchall()) == 2
        assert t.is_alive(), "maintenance should still be waiting for the reader"
    finally:
        reader.rollback()
        reader.close()
        t.join(120)
    assert not errors, errors
    assert db.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'data.events'::regclass") >= 16


# -- Medium 4: a registration that breaks readers is refused; a stuck projection says why -----

def test_a_schema_version_that_stored_events_cannot_reach_is_refused(db):
    with db.connect("es_writer") as conn:
        append(conn, "S", new_id(), 0, [event("Shipped", {"carrier": "x"})])
    with db.connect("es_admin") as conn:
        # v1.1.0: accepted; every whole-log reader then failed with ZE010 (no upcaster 1 -> 2).
        with raises_sqlstate("ZE010", "no upcaster leads from version 1 to 2"):
            conn.execute("""SELECT api.register_event_schema('Shipped', 2, '{"type": "object"}')""")
        conn.execute("""SELECT api.register_event_schema('Shipped', 1, '{"type": "object"}')""")
    with db.connect("es_reader") as conn:
        assert len(conn.execute("SELECT * FROM api.get_all_events(NULL, 10)").fetchall()) == 1


def test_a_projection_that_cannot_read_an_event_is_failed_with_it_and_can_skip_it(db):
    admin = login(db, ["eventstore_admin"], create_schema=True)
    with db.connect(admin) as conn:
        conn.execute(f"""CREATE FUNCTION {admin}.up(j jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
            BEGIN IF j ? 'boom' THEN RAISE EXCEPTION 'cannot upcast %', j; END IF; RETURN j; END $$""")
        conn.execute("SELECT api.register_upcaster('T', 1, %s::regprocedure)", (f"{admin}.up(jsonb)",))
    with db.connect("es_writer") as conn:
        append(conn, "S", new_id(), 0, [event("T", {"boom": 1}, {"version": 1})])
        append(conn, "S", new_id(), 0, [event("Other")])
    boom = db.scalar("SELECT id FROM data.events WHERE event_type = 'T'")
    with db.connect("es_projector") as conn:
        run_projections_until_idle(conn)
        status, failed, error = conn.execute(
            "SELECT status, failed_event_id, error_message FROM api.projection_status "
            "WHERE projection_name = 'notifications'").fetchone()
        # v1.1.0: 'running', no error, a WARNING in the log five times a second.
        assert (status, failed) == ("failed", boom) and "cannot upcast" in error
        conn.execute("SELECT api.resume_projection('notifications', true)")
        run_projections_until_idle(conn)
        assert conn.execute("SELECT status, events_applied FROM api.projection_status "
                            "WHERE projection_name = 'notifications'").fetchone() == ("running", 1)


def test_a_claim_that_cannot_read_an_event_delivered_again_parks_it_and_hands_out_the_rest(db):
    """The subscription side of the same: events claimed, nacked, then an upcaster that fails on
    one of them. The claim that delivers them again reads them one by one (private.
    read_deliveries_one_by_one): the unreadable one is parked with the error, the later event
    of its stream waits behind it, the other stream's event is handed out."""
    admin = login(db, ["eventstore_admin"], create_schema=True)
    with db.connect(admin) as conn:
        conn.execute("SELECT api.create_subscription('unread')")
    x, y = new_id(), new_id()
    with db.connect("es_writer") as conn:
        append(conn, "S", x, 0, [event("T", {"boom": 1}, {"version": 1}), event("Other")])
        append(conn, "S", y, 0, [event("Other")])
    boom = db.scalar("SELECT id FROM data.events WHERE event_type = 'T'")
    with db.connect("es_projector") as conn:
        first = [r[0] for r in conn.execute("SELECT id FROM api.claim_events('unread', 'c', 10)").fetchall()]
        assert len(first) == 3
        for event_id in first:
            conn.execute("SELECT api.nack_event('unread', 'c', %s, 'later')", (event_id,))
    with db.connect(admin) as conn:
        conn.execute(f"""CREATE FUNCTION {admin}.up(j jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
            BEGIN IF j ? 'boom' THEN RAISE EXCEPTION 'cannot upcast %', j; END IF; RETURN j; END $$""")
        conn.execute("SELECT api.register_upcaster('T', 1, %s::regprocedure)", (f"{admin}.up(jsonb)",))
    with db.connect("es_projector") as conn:
        again = conn.execute("SELECT stream_id FROM api.claim_events('unread', 'c', 10)").fetchall()
    assert again == [(y,)], "only the other stream's event is handed out"
    parked = db.execute("SELECT id, last_error FROM api.parked_events WHERE subscription_name = 'unread'")
    assert [p[0] for p in parked] == [boom] and parked[0][1].startswith("unreadable: P0001: cannot upcast")


# -- Medium 5: status shows readers only what they may see -------------------------------------

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


# -- Medium 6: batches are bounded by bytes ---------------------------------------------------

@pytest.mark.slow
def test_a_batch_is_bounded_by_bytes(db):
    blob = os.urandom(5 * 1024 * 1024).hex()  # 10 MiB of text that does not compress
    with db.connect("es_writer") as conn:
        append(conn, "Big", new_id(), 0, [event("Big", {"blob": blob})] * 3)
    with db.connect("es_projector") as conn:
        # v1.1.0: all three (30 MiB) in one array; 110 of them failed for ever.
        assert conn.execute("SELECT api.run_projection('notifications')").fetchone()[0] == 2
        assert conn.execute("SELECT api.run_projection('notifications')").fetchone()[0] == 1


# -- Medium 7: advisory lock keys ------------------------------------------------------------

def test_a_foreign_session_cannot_stop_a_projection_and_stream_lock_holders_are_shown(db):
    nobody = login(db, [])
    with db.connect() as conn:
        conn.execute(f"GRANT CONNECT ON DATABASE {db.name} TO {nobody}")
    stream = new_id()
    with db.connect("es_writer") as conn:
        append(conn, "Tally", stream, 0, [event("Happened")])
    squatter = db.connect(nobody)
    squatter.execute("SELECT pg_advisory_lock(hashtext('eventstore.projection'), hashtext('notifications'))")
    squatter.execute("SELECT pg_advisory_lock(hashtext('eventstore.projection'), hashtext('tallies'))")
    squatter.execute("SELECT pg_advisory_lock(hashtext('Tally'), hashtext(%s))", (str(stream),))
    try:
        with db.connect("es_projector", options="-c statement_timeout=20s") as conn:
            # v1.1.0: 0 for ever, status running; the rebuild hung.
            assert conn.execute("SELECT api.run_projection('notifications')").fetchone()[0] == 1
            conn.execute("CALL api.rebuild_projection('tallies')")
        errors: list = []

        def blocked_append():
            try:
                with db.connect("es_writer", options="-c statement_timeout=20s") as conn:
                    append(conn, "Tally", stream, 1, [event("Happened")])
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=blocked_append)
        t.start()
        deadline = time.time() + 10
        rows = []
        while time.time() < deadline and not rows:
            with db.connect("es_reader") as conn:
                rows = conn.execute("SELECT holder_pid, holder_user, holder_is_writer FROM api.append_lock_waits"
                                    ).fetchall()
            time.sleep(0.1)
        assert rows == [(squatter.info.backend_pid, nobody, False)]
    finally:
        squatter.close()
    t.join(30)
    assert not errors, errors


# -- Medium 8: plain appends never get 40001 from idempotent ones -----------------------------

def test_plain_appends_racing_idempotent_appends_never_get_40001(db):
    stream = new_id()
    with db.connect("es_writer") as conn:
        append(conn, "S", stream, 0, [event("E")])
    failures: list = []

    def plain(barrier):
        with db.connect("es_writer") as conn:
            barrier.wait()
            for _ in range(50):
                try:
                    append(conn, "S", stream, None, [event("Plain")])
                except psycopg.Error as exc:
                    failures.append(exc.sqlstate)

    def idempotent(barrier):
        with db.connect("es_writer") as conn:
            barrier.wait()
            for _ in range(50):
                conn.execute("CALL api.append_events_idempotent('S', %s, NULL, %s::jsonb, %s, NULL)",
                             (stream, json.dumps([event("Idem")]), uuid.uuid4()))

    race([plain, plain, plain, idempotent, idempotent, idempotent])  # an idempotent call's error fails the test
    # v1.1.0: 17-37 of 300 plain calls failed with 40001.
    assert failures == []
    assert db.scalar("SELECT current_version FROM data.event_streams WHERE stream_id = %s", (stream,)) == 301


# -- Low 9, 10: bad input is ZE, and never runs away ------------------------------------------

BAD_INPUT = [
    ("ZE002", "CALL api.append_events('S', gen_random_uuid(), 0, "
              """'[{"event_type": "%s", "event_data": {}}]', NULL)""" % ("E" * 3000)),
    ("ZE003", "CALL api.append_events('%s', gen_random_uuid(), 0, "
              """'[{"event_type": "E", "event_data": {}}]', NULL)""" % ("S" * 3000)),
    ("ZE010", """SELECT api.register_event_schema('T', 1, '{"minLength": 1e20}')"""),
    ("ZE010", """SELECT api.register_event_schema('T', 1, '{"pattern": "^(a+)+\\\\1$"}')"""),
    ("ZE003", "SELECT api.register_upcaster('T', 2147483647, 'pg_catalog.jsonb_strip_nulls(jsonb)')"),
    ("ZE003", "SELECT * FROM api.get_events_by_type(ARRAY[['A'], ['B']])"),
    ("ZE003", "SELECT api.purge_idempotency_keys('300000 years')"),
    ("ZE003", "SELECT api.get_stream_version(NULL, NULL)"),
    ("ZE003", "SELECT api.run_projections(0)"),
]


@pytest.mark.parametrize("sqlstate,sql", BAD_INPUT, ids=[s[:40] for _, s in BAD_INPUT])
def test_bad_input_gets_its_ze_code_and_writes_nothing(refusing_db, sqlstate, sql):
    db = refusing_db
    before = db.scalar("SELECT (SELECT count(*) FROM data.events)"
                       " + (SELECT count(*) FROM data.event_schemas) + (SELECT count(*) FROM data.event_upcasters)")
    with db.connect() as conn, raises_sqlstate(sqlstate):
        conn.execute(sql)
    after = db.scalar("SELECT (SELECT count(*) FROM data.events)"
                      " + (SELECT count(*) FROM data.event_schemas) + (SELECT count(*) FROM data.event_upcasters)")
    assert after == before


def test_a_metadata_version_written_as_a_decimal_is_that_version(db):
    with db.connect("es_writer") as conn:
        # v1.1.0: 22P02 (invalid input syntax for type integer: "1.0").
        append(conn, "S", new_id(), 0, [event("E", {}, {"version": 1.0})])
    assert db.scalar("SELECT schema_version FROM data.events") == 1


# -- Low 11: the owner cannot destroy events by DDL -------------------------------------------

@pytest.mark.parametrize("ddl", [
    "ALTER TABLE data.events DISABLE TRIGGER events_refuse_update_delete",
    "ALTER TABLE data.events ENABLE REPLICA TRIGGER events_refuse_update_delete",
    "ALTER TABLE data.events DETACH PARTITION data.events_default",
    "DROP TABLE data.events_default",
    "DROP TABLE data.events CASCADE",
])
def test_the_owner_cannot_destroy_events_by_ddl(db, ddl):
    with db.connect("es_writer") as conn:
        append(conn, "S", new_id(), 0, [event("E")])
    with db.connect() as conn, raises_sqlstate("ZE008"):
        conn.execute(ddl)
    with db.connect() as conn, raises_sqlstate("ZE008"):
        month = conn.execute("SELECT relname FROM pg_class WHERE relname ~ '^events_[0-9]{4}_[0-9]{2}$' "
                             "ORDER BY relname DESC LIMIT 1").fetchone()[0]
        conn.execute(f"DROP TABLE data.{month}")
    assert db.scalar("SELECT count(*) FROM data.events") == 1


# -- Low 13: a cursor in a retired month continues ---------------------------------------------

def uuidv7_at(ts_ms: int) -> uuid.UUID:
    b = ts_ms.to_bytes(6, "big") + os.urandom(10)
    b = b[:6] + bytes([0x70 | (b[6] & 0x0F)]) + b[7:8] + bytes([0x80 | (b[8] & 0x3F)]) + b[9:]
    return uuid.UUID(bytes=b)


def test_a_reader_whose_cursor_was_retired_continues_after_it(db):
    old = [uuidv7_at(1736899200000 + i) for i in range(3)]  # 2025-01-15
    with db.connect() as conn:
        conn.execute("SELECT private.create_event_partition('2025-01-01')")
        with conn.transaction():
            for i, eid in enumerate(old, 1):
                conn.execute("INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data,"
                             " created_at) VALUES (%s, 'Old', '00000000-0000-0000-0000-000000000001', %s, 'E', '{}',"
                             " '2025-01-15 12:00:00+00')", (eid, i))
    with db.connect("es_writer") as conn:
        append(conn, "New", new_id(), 0, [event("E")] * 3)
    with db.connect("es_reader") as conn:
        page = conn.execute("SELECT id FROM api.get_all_events(NULL, 2)").fetchall()
        assert [r[0] for r in page] == old[:2]
    with db.connect("es_admin") as conn:
        conn.execute("CALL api.detach_event_partitions('2025-02-01')")
    with db.connect("es_reader") as conn:
        # v1.1.0: ZE004 for ever.
        rest = conn.execute("SELECT stream_type FROM api.get_all_events(%s, 100)", (old[1],)).fetchall()
    assert [r[0] for r in rest] == ["New"] * 3
    with db.connect("es_reader") as conn, raises_sqlstate("ZE004"):
        conn.execute("SELECT * FROM api.get_all_events(%s, 100)", (uuidv7_at(1000),)).fetchall()
