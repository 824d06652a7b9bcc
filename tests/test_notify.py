"""LISTEN/NOTIFY: a consumer wakes without polling, once the event is readable."""

from __future__ import annotations

import json
import uuid

from tests.helpers import append, event, new_id, raises_sqlstate, run_projections_until_idle


def test_a_listener_hears_of_an_append_once_it_is_readable(db):
    stream, other = uuid.uuid4(), uuid.uuid4()
    with db.connect("es_reader") as listener, db.connect("es_writer", autocommit=False) as writer, \
            db.connect("es_projector") as runner:
        listener.execute("LISTEN eventstore_events")
        append(writer, "Order", stream, 0, [event("OrderCreated"), event("ItemAdded")])
        run_projections_until_idle(runner)
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == [], "nothing before commit"
        writer.commit()
        append(writer, "Order", other, 0, [event("OrderCreated")])
        writer.commit()
        run_projections_until_idle(runner)
        notes = list(listener.notifies(timeout=5, stop_after=2))
        # Woken, the consumer finds the events: they are readable already.
        readable = listener.execute("SELECT stream_id FROM api.get_all_events()").fetchall()
    assert [n.channel for n in notes] == ["eventstore_events"] * 2
    assert [json.loads(n.payload) for n in notes] == [
        {"stream_type": "Order", "stream_id": str(stream), "version": 2},
        {"stream_type": "Order", "stream_id": str(other), "version": 1},
    ], "one per stream, in log order, with the stream's version"
    assert {r[0] for r in readable} == {stream, other}


def test_pausing_the_projection_turns_notifications_off(db):
    with db.connect("es_reader") as listener, db.connect("es_writer") as writer, db.connect("es_projector") as runner:
        listener.execute("LISTEN eventstore_events")
        runner.execute("SELECT api.pause_projection('notifications')")
        append(writer, "Order", uuid.uuid4(), 0, [event("OrderCreated")])
        run_projections_until_idle(runner)
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        runner.execute("SELECT api.resume_projection('notifications')")
        run_projections_until_idle(runner)
        assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1, "caught up after resume"


def test_a_stream_type_notify_could_not_carry_is_refused(db):
    # (What the Order example's commands refuse is tested in examples/orders/tests.)
    with db.connect("es_writer") as conn:
        with raises_sqlstate("ZE003", "7990"):  # v1.1.0: accepted; NOTIFY then failed on it for ever
            append(conn, "S" * 7990, new_id(), 0, [event("E")])
    with db.connect("es_projector") as conn:
        run_projections_until_idle(conn)
    assert db.scalar("SELECT count(*) FROM data.events") == 0
    assert db.scalar("SELECT count(*) FROM api.projection_status WHERE status <> 'running'") == 0
