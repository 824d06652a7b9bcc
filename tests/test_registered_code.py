"""Registered code is a privilege boundary: what an admin registers runs with its registrant's
rights, through invokers no one else can change or drop."""

from __future__ import annotations

from tests.helpers import append, event, login, new_id, raises_sqlstate


def is_superuser(db, role: str) -> bool:
    return db.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,))


ESCALATE = """CREATE FUNCTION {schema}.{name}({args}) RETURNS {ret} LANGUAGE plpgsql AS $$
BEGIN EXECUTE 'ALTER ROLE {role} SUPERUSER'; RETURN {result}; END $$"""


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
