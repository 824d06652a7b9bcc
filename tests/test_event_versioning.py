"""Schema validation on append and upcasting on read, across connections and roles."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers import append, event, new_id, raises_sqlstate, run_projections_until_idle

# (keyword, schema, accepted event_data, refused event_data, the path and reason in the error)
KEYWORDS = [
    ("type", {"type": "object", "properties": {"n": {"type": "integer"}}}, {"n": 2}, {"n": "2"},
     "at $.n: expected integer, got string"),
    ("required", {"type": "object", "required": ["customer_id"]}, {"customer_id": "c"}, {"customer": "c"},
     "at $: required property customer_id is missing"),
    ("properties", {"properties": {"address": {"properties": {"zip": {"type": "string"}}}}},
     {"address": {"zip": "0150"}}, {"address": {"zip": 150}}, "at $.address.zip: expected string, got number"),
    ("enum", {"properties": {"status": {"enum": ["open", "closed"]}}}, {"status": "open"}, {"status": "pending"},
     'at $.status: "pending" is not one of ["open", "closed"]'),
    ("items", {"properties": {"lines": {"type": "array", "items": {"required": ["sku"]}}}},
     {"lines": [{"sku": "a"}, {"sku": "b"}]}, {"lines": [{"sku": "a"}, {"qty": 1}]},
     "at $.lines[1]: required property sku is missing"),
    ("additionalProperties", {"properties": {"a": {}}, "additionalProperties": False}, {"a": 1}, {"a": 1, "b": 2},
     "at $.b: no value is allowed here"),
    ("additionalProperties schema", {"additionalProperties": {"type": "number"}}, {"x": 1, "y": 2.5}, {"x": "1"},
     "at $.x: expected number, got string"),
    ("const", {"properties": {"v": {"const": 1}}}, {"v": 1}, {"v": 2}, "at $.v: expected 1, got 2"),
    ("minimum", {"properties": {"q": {"minimum": 1}}}, {"q": 1}, {"q": 0}, "at $.q: 0 is less than the minimum 1"),
    ("maximum", {"properties": {"q": {"maximum": 9}}}, {"q": 9}, {"q": 10}, "at $.q: 10 is more than the maximum 9"),
    ("minLength", {"properties": {"s": {"minLength": 2}}}, {"s": "ab"}, {"s": "a"},
     "at $.s: a string of 1 characters is outside minLength 2"),
    ("pattern", {"properties": {"s": {"pattern": "^[A-Z]{3}$"}}}, {"s": "EUR"}, {"s": "eur"},
     'at $.s: "eur" does not match the pattern ^[A-Z]{3}$'),
    ("minItems", {"properties": {"l": {"minItems": 1}}}, {"l": [1]}, {"l": []},
     "at $.l: an array of 0 items is outside minItems 1"),
]


@pytest.mark.parametrize("keyword,schema,good,bad,message", KEYWORDS, ids=[k[0] for k in KEYWORDS])
def test_each_keyword_accepts_and_refuses(db, keyword, schema, good, bad, message):
    event_type = "Checked" + uuid.uuid4().hex[:6]
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.register_event_schema(%s, 1, %s::jsonb)", (event_type, json.dumps(schema)))
    with db.connect("es_writer") as w:
        assert append(w, "Thing", uuid.uuid4(), 0, [event(event_type, good)]) == 1
        with raises_sqlstate("ZE006", message) as info:
            append(w, "Thing", uuid.uuid4(), 0, [event(event_type, bad)])
        assert f"({event_type} version 1)" in str(info.value), "the error names the type and version"
    assert db.scalar("SELECT count(*) FROM data.events WHERE event_type = %s", (event_type,)) == 1


def test_a_batch_with_one_bad_event_writes_nothing(db):
    with db.connect("es_admin") as admin:
        admin.execute("""SELECT api.register_event_schema('Paid', 1, '{"required": ["amount"]}')""")
    stream = uuid.uuid4()
    with db.connect("es_writer") as w:
        with raises_sqlstate("ZE006", "event 3 of in_events (Paid version 1)"):
            append(w, "Bill", stream, 0, [event("Issued"), event("Paid", {"amount": 1}), event("Paid", {})])
    assert db.execute("SELECT count(*) FROM data.events") == [(0,)]
    assert db.execute("SELECT count(*) FROM data.event_streams") == [(0,)]


def test_types_without_a_schema_are_not_checked_and_the_version_is_recorded(db):
    with db.connect("es_admin") as admin:
        admin.execute("""SELECT api.register_event_schema('Shipped', 1, '{"required": ["carrier"]}');
                         SELECT api.register_event_schema('Shipped', 2, '{"required": ["carrier", "tracking"]}')""")
    with db.connect("es_writer") as w:
        s = uuid.uuid4()
        append(w, "Parcel", s, 0, [event("Anything", {"free": ["form"]}),
                                   event("Shipped", {"carrier": "x", "tracking": "1"}),
                                   event("Shipped", {"carrier": "x"}, {"version": 1})])
    assert db.execute("SELECT event_type, schema_version FROM data.events ORDER BY version") == [
        ("Anything", 1), ("Shipped", 2), ("Shipped", 1)]


def test_a_v1_event_reads_as_v3_through_every_reader(db):
    stream = uuid.uuid4()
    with db.connect("es_writer") as w:
        append(w, "Account", stream, 0, [event("Opened", {"name": "Ann Lee"}, {"version": 1})])
    # Upcasters, a reducer and a projection registered after the event was stored.
    db.execute("""
        CREATE FUNCTION public.opened_v1(d jsonb) RETURNS jsonb LANGUAGE sql AS
            $$ SELECT d - 'name' || jsonb_build_object('first', split_part(d ->> 'name', ' ', 1),
                                                       'last', split_part(d ->> 'name', ' ', 2)) $$;
        CREATE FUNCTION public.opened_v2(d jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT d || '{"tier": "basic"}' $$;
        CREATE FUNCTION public.account(s jsonb, e data.events) RETURNS jsonb LANGUAGE sql AS $$ SELECT e.event_data $$;
        CREATE TABLE public.seen (event_data jsonb);
        -- The handler runs with the rights of the role that registers it (docs/security.md).
        GRANT INSERT ON public.seen TO es_admin;
        CREATE FUNCTION public.remember(es data.events[]) RETURNS void LANGUAGE sql AS
            $$ INSERT INTO public.seen SELECT e.event_data FROM unnest(es) AS e $$;""")
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.register_upcaster('Opened', 1, 'public.opened_v1(jsonb)')")
        admin.execute("SELECT api.register_upcaster('Opened', 2, 'public.opened_v2(jsonb)')")
        admin.execute("SELECT api.register_reducer('Account', 'public.account(jsonb, data.events)', 1, NULL)")
        admin.execute("SELECT api.register_projection('seen', 'public.remember(data.events[])')")
        with raises_sqlstate("ZE010", "leaves 3 -> 4 missing"):
            admin.execute("SELECT api.register_upcaster('Opened', 4, 'public.opened_v2(jsonb)')")
    v3 = {"first": "Ann", "last": "Lee", "tier": "basic"}
    with db.connect("es_reader") as r:
        assert r.execute("SELECT event_data FROM api.get_events('Account', %s)", (stream,)).fetchone()[0] == v3
        assert r.execute("SELECT event_data FROM api.get_all_events()").fetchone()[0] == v3
        assert r.execute("SELECT event_data FROM api.get_events_by_type(ARRAY['Opened'])").fetchone()[0] == v3
        assert r.execute("SELECT state FROM api.load_aggregate('Account', %s)", (stream,)).fetchone()[0] == v3
        pending = r.execute("SELECT pending_events FROM api.get_aggregate_state('Account', %s)", (stream,)).fetchone()[0]
        assert pending[0]["event_data"] == v3
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    assert db.execute("SELECT event_data FROM public.seen") == [(v3,)]
    assert db.scalar("SELECT event_data FROM data.events") == {"name": "Ann Lee"}, "the stored event is untouched"


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


def test_a_metadata_version_written_as_a_decimal_is_that_version(db):
    with db.connect("es_writer") as conn:
        # v1.1.0: 22P02 (invalid input syntax for type integer: "1.0").
        append(conn, "S", new_id(), 0, [event("E", {}, {"version": 1.0})])
    assert db.scalar("SELECT schema_version FROM data.events") == 1
