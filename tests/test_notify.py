"""LISTEN/NOTIFY: an append wakes a consumer without polling."""

from __future__ import annotations

import json
import uuid

from tests.helpers import append, event


def test_an_append_notifies_listeners_at_commit(db):
    stream = uuid.uuid4()
    with db.connect("es_reader") as listener, db.connect("es_writer", autocommit=False) as writer:
        listener.execute("LISTEN eventstore_events")
        append(writer, "Order", stream, 0, [event("OrderCreated"), event("ItemAdded")])
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == [], "nothing before commit"
        writer.commit()
        notes = list(listener.notifies(timeout=5, stop_after=1))
    assert len(notes) == 1
    assert notes[0].channel == "eventstore_events"
    assert json.loads(notes[0].payload) == {"stream_type": "Order", "stream_id": str(stream), "version": 2}


def test_notifications_can_be_turned_off(db):
    with db.connect("es_reader") as listener, db.connect("es_writer") as writer:
        listener.execute("LISTEN eventstore_events")
        writer.execute("SET eventstore.notify = off")
        append(writer, "Order", uuid.uuid4(), 0, [event("OrderCreated")])
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        writer.execute("RESET eventstore.notify")
        append(writer, "Order", uuid.uuid4(), 0, [event("OrderCreated")])
        assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1
