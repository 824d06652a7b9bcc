"""Bad input: a clear error with its documented SQLSTATE, and nothing written."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers import append, event, new_id, raises_sqlstate

GOOD = {"event_type": "OrderCreated", "event_data": {"customer_id": "c1"}}
STREAM = uuid.UUID("018f0000-0000-7000-8000-000000000001")

# (case, stream_type, stream_id, expected_version, in_events (JSON text or None), sqlstate, message)
APPEND_CASES = [
    ("events is an object", "Order", STREAM, 0, "{}", "ZE002", "must be a JSON array"),
    ("events is a string", "Order", STREAM, 0, '"x"', "ZE002", "must be a JSON array"),
    ("events is NULL", "Order", STREAM, 0, None, "ZE002", "got NULL"),
    ("events is empty", "Order", STREAM, 0, "[]", "ZE002", "empty array"),
    ("element is a number", "Order", STREAM, 0, "[1]", "ZE002", "event 1 of in_events is not a JSON object"),
    ("element is an array", "Order", STREAM, 0, "[[]]", "ZE002", "is not a JSON object"),
    ("no event_type", "Order", STREAM, 0, '[{"event_data": {}}]', "ZE002", "no non-empty string event_type"),
    ("empty event_type", "Order", STREAM, 0, '[{"event_type": "", "event_data": {}}]', "ZE002", "event_type"),
    ("event_type a number", "Order", STREAM, 0, '[{"event_type": 5, "event_data": {}}]', "ZE002", "event_type"),
    ("no event_data", "Order", STREAM, 0, '[{"event_type": "A"}]', "ZE002", "event_data that is not a JSON object"),
    ("event_data an array", "Order", STREAM, 0, '[{"event_type": "A", "event_data": []}]', "ZE002", "event_data"),
    ("event_data a string", "Order", STREAM, 0, '[{"event_type": "A", "event_data": "x"}]', "ZE002", "event_data"),
    ("metadata an array", "Order", STREAM, 0, '[{"event_type": "A", "event_data": {}, "metadata": []}]', "ZE002",
     "metadata that is not a JSON object"),
    ("metadata null", "Order", STREAM, 0, '[{"event_type": "A", "event_data": {}, "metadata": null}]', "ZE002",
     "metadata"),
    ("unknown key", "Order", STREAM, 0, '[{"event_type": "A", "event_data": {}, "eventType": "A"}]', "ZE002",
     "unknown keys eventType"),
    ("second event bad", "Order", STREAM, 0, json.dumps([GOOD, {"event_type": "B"}]), "ZE002", "event 2 of in_events"),
    ("negative expected version", "Order", STREAM, -1, json.dumps([GOOD]), "ZE003", "in_expected_version"),
    ("empty stream type", "", STREAM, 0, json.dumps([GOOD]), "ZE003", "in_stream_type"),
    ("NULL stream type", None, STREAM, 0, json.dumps([GOOD]), "ZE003", "in_stream_type"),
    ("NULL stream id", "Order", None, 0, json.dumps([GOOD]), "ZE003", "in_stream_id"),
    ("wrong expected version", "Order", STREAM, 3, json.dumps([GOOD]), "ZE001", "expected 3, actual 0"),
]


def assert_nothing_written(db):
    counts = db.execute("""SELECT (SELECT count(*) FROM data.events),
                                  (SELECT count(*) FROM data.event_streams),
                                  (SELECT count(*) FROM data.idempotency_keys)""")[0]
    assert counts == (0, 0, 0), f"rows written by a failed call: {counts}"


@pytest.mark.parametrize("case,stream_type,stream_id,expected,events,sqlstate,message", APPEND_CASES,
                         ids=[c[0] for c in APPEND_CASES])
def test_append_events_refuses(refusing_db, case, stream_type, stream_id, expected, events, sqlstate, message):
    with refusing_db.connect("es_writer") as conn:
        with raises_sqlstate(sqlstate, message):
            conn.execute("CALL api.append_events(%s, %s, %s, %s::jsonb, NULL)",
                         (stream_type, stream_id, expected, events))
    assert_nothing_written(refusing_db)


@pytest.mark.parametrize("case,stream_type,stream_id,expected,events,sqlstate,message", APPEND_CASES,
                         ids=[c[0] for c in APPEND_CASES])
def test_append_events_idempotent_refuses(refusing_db, case, stream_type, stream_id, expected, events, sqlstate, message):
    with refusing_db.connect("es_writer") as conn:
        with raises_sqlstate(sqlstate, message):
            conn.execute("CALL api.append_events_idempotent(%s, %s, %s, %s::jsonb, %s, NULL)",
                         (stream_type, stream_id, expected, events, uuid.uuid4()))
    assert_nothing_written(refusing_db)


def test_append_events_idempotent_refuses_a_null_key(refusing_db):
    with refusing_db.connect("es_writer") as conn:
        with raises_sqlstate("ZE003", "in_idempotency_key"):
            conn.execute("CALL api.append_events_idempotent('Order', %s, 0, %s::jsonb, NULL, NULL)",
                         (STREAM, json.dumps([GOOD])))
    assert_nothing_written(refusing_db)


def test_error_detail_shows_the_offending_event(refusing_db):
    with refusing_db.connect("es_writer") as conn:
        with raises_sqlstate("ZE002") as info:
            conn.execute("CALL api.append_events('Order', %s, 0, %s::jsonb, NULL)",
                         (STREAM, json.dumps([GOOD, {"event_type": "ItemAdded", "event_data": 7}])))
        assert '"event_data": 7' in info.value.diag.message_detail
    assert_nothing_written(refusing_db)


READ_CASES = [
    ("get_all_events limit 0", "SELECT * FROM api.get_all_events(NULL, 0)", "ZE003", "in_limit"),
    ("get_all_events limit NULL", "SELECT * FROM api.get_all_events(NULL, NULL)", "ZE003", "in_limit"),
    ("get_all_events unknown cursor", f"SELECT * FROM api.get_all_events('{uuid.uuid4()}')", "ZE004", "no event has id"),
    ("get_events_by_type no types", "SELECT * FROM api.get_events_by_type('{}')", "ZE003", "in_event_types"),
    ("get_events_by_type NULL types", "SELECT * FROM api.get_events_by_type(NULL)", "ZE003", "in_event_types"),
    ("get_events_by_type unknown cursor",
     f"SELECT * FROM api.get_events_by_type('{{A}}', '{uuid.uuid4()}')", "ZE004", "no event has id"),
    ("get_events negative version", f"SELECT * FROM api.get_events('Order', '{STREAM}', -1)", "ZE003",
     "in_from_version"),
    ("get_events NULL stream", "SELECT * FROM api.get_events('Order', NULL)", "ZE003", "in_stream_id"),
]


@pytest.mark.parametrize("case,sql,sqlstate,message", READ_CASES, ids=[c[0] for c in READ_CASES])
def test_readers_refuse(refusing_db, case, sql, sqlstate, message):
    with refusing_db.connect("es_reader") as conn:
        with raises_sqlstate(sqlstate, message):
            conn.execute(sql).fetchall()
    assert_nothing_written(refusing_db)


def test_events_cannot_be_changed_even_by_the_owner(db):
    with db.connect("es_writer") as conn:
        conn.execute("CALL api.append_events('Order', %s, 0, %s::jsonb, NULL)", (STREAM, json.dumps([GOOD])))
    with db.connect("postgres") as conn:
        for sql in ("UPDATE data.events SET event_type = 'X'",
                    "DELETE FROM data.events",
                    "TRUNCATE data.events",
                    "TRUNCATE data.events_default"):
            with raises_sqlstate("ZE008", "append-only"):
                conn.execute(sql)
        partition = conn.execute("SELECT tableoid::regclass::text FROM data.events").fetchone()[0]
        for sql in (f"DELETE FROM {partition}", f"TRUNCATE {partition}"):
            with raises_sqlstate("ZE008", "append-only"):
                conn.execute(sql)
        conn.execute("SET session_replication_role = replica")
        with raises_sqlstate("ZE008"):
            conn.execute("DELETE FROM data.events")
    assert db.scalar("SELECT count(*) FROM data.events") == 1


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


MIXED = "-1 year 361 days"  # compares as 1 day; now() + it is four days in the past


def test_mixed_sign_intervals_are_refused_everywhere(db):
    # v2.1.0: accepted by every range check; apply_retention then deleted events appended
    # seconds before, and a lease of this kind ended before it began.
    with db.connect("es_writer") as w:
        append(w, "Kept", new_id(), 0, [event("E")])
        w.execute("CALL api.append_events_idempotent('Kept', %s, 0, %s::jsonb, %s, NULL)",
                  (new_id(), json.dumps([event("E")]), uuid.uuid4()))
    with db.connect("es_admin") as a:
        with raises_sqlstate("ZE003", "in_keep"):
            a.execute("SELECT api.set_retention('Kept', %s)", (MIXED,))
        with raises_sqlstate("ZE003", "in_lease"):
            a.execute("SELECT api.create_subscription('s', in_lease := '-1 year 360 days 12:00:00')")
        with raises_sqlstate("ZE003", "in_older_than"):
            a.execute("SELECT api.purge_idempotency_keys(%s)", (MIXED,))
        with raises_sqlstate("ZE003", "in_keep"):
            a.execute("SELECT api.set_retention('Kept', '100000000 years')")
        a.execute("SELECT api.set_retention('Kept', '1 mon')")  # plain values still pass
        a.execute("SELECT api.set_retention('Kept', NULL)")
    # A policy stored before this check existed cannot reach fresh events either.
    db.execute("INSERT INTO data.retention_policies (stream_type, keep, set_by) VALUES ('Kept', %s, 'old')", (MIXED,))
    with db.connect("es_admin") as a:
        assert a.execute("SELECT api.apply_retention_step()").fetchone()[0] == 0
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Kept'") == 2
    assert db.scalar("SELECT count(*) FROM data.idempotency_keys") == 1
    assert db.scalar("SELECT count(*) FROM data.subscriptions") == 0
