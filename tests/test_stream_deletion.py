"""Stream deletion across connections: a writer deletes a stream (tombstone, closed to
appends), readers of the stream see nothing, whole-log readers and consumers see the tombstone;
an admin purges it, past the append-only guard that still refuses everyone else, and a reader
whose cursor was on a purged event goes on."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.helpers import append, event, new_id, race, raises_sqlstate

REDUCER = """CREATE FUNCTION public.count_up(s jsonb, e data.events) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('n', coalesce((s ->> 'n')::int, 0) + 1) $$"""


@pytest.fixture
def doomed(db):
    db.execute(REDUCER)
    with db.connect("es_admin") as a:
        a.execute("SELECT api.register_reducer('Cart', 'public.count_up(jsonb, data.events)', 1, 100)")
        a.execute("SELECT api.create_subscription('carts', in_stream_types := ARRAY['Cart'])")
    stream, other = uuid.uuid4(), uuid.uuid4()
    with db.connect("es_writer") as w:
        append(w, "Cart", stream, 0, [event("ItemAdded", {"sku": "a"}), event("ItemAdded", {"sku": "b"})])
        append(w, "Cart", other, 0, [event("ItemAdded", {"sku": "c"})])
    return db, stream, other


def test_a_deleted_stream_reads_as_empty_and_whole_log_readers_see_its_tombstone(doomed):
    db, stream, other = doomed
    with db.connect("es_writer") as w:
        assert w.execute("SELECT api.delete_stream('Cart', %s, 2)", (stream,)).fetchone()[0] == 3
        with raises_sqlstate("ZE015"):
            append(w, "Cart", stream, 3, [event("ItemAdded")])
        with raises_sqlstate("ZE015"):
            append(w, "Cart", stream, None, [event("ItemAdded")])
    with db.connect("es_reader") as r:
        assert r.execute("SELECT count(*) FROM api.get_events('Cart', %s)", (stream,)).fetchone()[0] == 0
        assert r.execute("SELECT state, version FROM api.load_aggregate('Cart', %s)", (stream,)).fetchone() == ({}, 0)
        assert r.execute("SELECT version FROM api.load_aggregate('Cart', %s)", (other,)).fetchone()[0] == 1
        log = r.execute("SELECT stream_id, version, event_type FROM api.get_all_events(NULL, 100)").fetchall()
    assert (stream, 3, "$StreamDeleted") in log and (stream, 1, "ItemAdded") in log, "the log keeps everything"
    with db.connect("es_projector") as p:
        claimed = p.execute("SELECT stream_id, event_type FROM api.claim_events('carts', 'c1', 100)").fetchall()
    assert (stream, "$StreamDeleted") in claimed, "consumers hear of the deletion"


def test_purge_is_the_only_way_past_the_guard_and_cursors_on_purged_events_go_on(doomed):
    db, stream, other = doomed
    with db.connect("es_writer") as w:
        w.execute("SELECT api.delete_stream('Cart', %s, NULL)", (stream,))
        with raises_sqlstate("42501"):
            w.execute("SELECT api.purge_stream('Cart', %s)", (stream,))
        with raises_sqlstate("42501"):
            w.execute("INSERT INTO data.event_removals (kind, stream_type, stream_id, removed_by) "
                      "VALUES ('purge', 'Cart', %s, 'me')", (other,))
    with raises_sqlstate("ZE008"):
        db.execute("DELETE FROM data.events WHERE stream_id = %s", (stream,))  # the owner, outside a purge
    with db.connect("es_reader") as r:
        tombstone = r.execute("SELECT id FROM api.get_all_events(NULL, 100) WHERE event_type = '$StreamDeleted'").fetchone()[0]
    with db.connect("es_admin") as a:
        assert a.execute("SELECT api.purge_stream('Cart', %s)", (stream,)).fetchone()[0] == 3
    assert db.execute("SELECT kind, removed_by, events_removed FROM data.event_removals") == [("purge", "es_admin", 3)]
    with raises_sqlstate("ZE008"):
        db.execute("DELETE FROM data.events WHERE stream_id = %s", (other,))  # still refused after a purge
    with db.connect("es_writer") as w:
        append(w, "Cart", other, 1, [event("ItemAdded", {"sku": "d"})])
        assert append(w, "Cart", stream, 0, [event("ItemAdded", {"sku": "new"})]) == 1, "the id is free again"
    with db.connect("es_reader") as r:
        after = r.execute("SELECT stream_id, version FROM api.get_all_events(%s, 100)", (tombstone,)).fetchall()
    assert after == [(other, 2), (stream, 1)], "a reader whose cursor was purged continues after it"
    with db.connect("es_projector") as p:
        rows = p.execute("SELECT stream_id, version FROM api.claim_events('carts', 'c1', 100)").fetchall()
    assert (stream, 3) not in rows and (other, 2) in rows, "subscriptions go on without the purged events"


def test_a_delete_racing_an_append_leaves_one_winner(doomed):
    db, stream, _ = doomed

    def delete(barrier):
        with db.connect("es_writer") as w:
            barrier.wait()
            try:
                return w.execute("SELECT api.delete_stream('Cart', %s, 2)", (stream,)).fetchone()[0]
            except psycopg.Error as e:
                return e.sqlstate

    def add(barrier):
        with db.connect("es_writer") as w:
            barrier.wait()
            try:
                return append(w, "Cart", stream, 2, [event("ItemAdded", {"sku": "late"})])
            except psycopg.Error as e:
                return e.sqlstate

    deleted, added = race([delete, add])
    types = [r[0] for r in db.execute("SELECT event_type FROM data.events WHERE stream_id = %s ORDER BY version", (stream,))]
    if deleted == 3:
        assert added in ("ZE001", "ZE015") and types == ["ItemAdded", "ItemAdded", "$StreamDeleted"]
    else:
        assert (deleted, added) == ("ZE001", 3) and types == ["ItemAdded", "ItemAdded", "ItemAdded"]


def test_an_audit_row_alone_lets_no_delete_through(db):
    # v2.1.0: any DELETE named by an audit row of the same transaction passed, and the owner
    # could write such a row by hand (41,269 events of a type without retention deleted).
    stream = new_id()
    with db.connect("es_writer") as w:
        append(w, "Fact", stream, 0, [event("E"), event("E")])
    with db.connect() as owner:
        with raises_sqlstate("ZE008"):
            with owner.transaction():
                owner.execute("INSERT INTO data.event_removals (kind, stream_type, before, removed_by) "
                              "VALUES ('retention', 'Fact', now() + interval '1 day', 'nobody')")
                owner.execute("DELETE FROM data.events WHERE stream_type = 'Fact'")
        with raises_sqlstate("ZE008"):
            with owner.transaction():
                owner.execute("INSERT INTO data.event_removals (kind, stream_type, stream_id, removed_by) "
                              "VALUES ('purge', 'Fact', %s, 'nobody')", (stream,))
                owner.execute("DELETE FROM data.events WHERE stream_type = 'Fact'")
        owner.execute("SELECT api.set_retention('Fact', '30 days')")
        with raises_sqlstate("ZE008"):  # a policy exists, but these events are not past it
            with owner.transaction():
                owner.execute("INSERT INTO data.event_removals (kind, stream_type, before, removed_by) "
                              "VALUES ('retention', 'Fact', now() + interval '1 day', 'nobody')")
                owner.execute("DELETE FROM data.events WHERE stream_type = 'Fact'")
        owner.execute("INSERT INTO data.event_removals (kind, stream_type, before, removed_by, transaction_id) "
                      "VALUES ('retention', 'Fact', now() - interval '40 days', 'mallory', '1')")
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Fact'") == 2
    assert db.execute("SELECT removed_by, transaction_id::text <> '1' FROM data.event_removals") == [("postgres", True)]
    # The sanctioned path still works: delete, then purge.
    with db.connect("es_writer") as w:
        w.execute("SELECT api.delete_stream('Fact', %s, 2)", (stream,))
    with db.connect("es_admin") as a:
        assert a.execute("SELECT api.purge_stream('Fact', %s)", (stream,)).fetchone()[0] == 3
    assert db.execute("SELECT removed_by FROM data.event_removals WHERE kind = 'purge'") == [("es_admin",)]
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_type = 'Fact'") == 0
