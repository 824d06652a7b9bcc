"""Streams that carry versions of their own (api.append_versioned, api.read_versioned) across
connections, against what any writer can append to them with api.append_events."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers import append, event

APPEND = "SELECT api.append_versioned('App', %s::jsonb)"


def versioned(stream, *versions: int) -> str:
    return json.dumps([{"stream_id": str(stream), "events": [
        {"event_type": "Happened", "event_data": {"v": v}, "metadata": {"originator_version": v}} for v in versions]}])


def own_versions(conn, stream, *args) -> list[int]:
    return [r[0] for r in conn.execute("SELECT version FROM api.read_versioned('App', %s, %s, %s)",
                                       (stream, *args)).fetchall()]


@pytest.mark.parametrize("bad", ["abc", 1.5, 1e20, 12345678901, {"x": 1}, [1], True, ""])
def test_an_originator_version_that_is_no_integer_breaks_no_read_of_its_stream(db, bad):
    """Before, one such event (any writer can append it) made every read_versioned and
    append_versioned of its stream fail with 22P02 or 22003."""
    stream = uuid.uuid4()
    with db.connect("es_writer") as w:
        w.execute(APPEND, (versioned(stream, 1, 2, 3),))
        append(w, "App", stream, 3, [event("Noted", {}, {"originator_version": bad})])  # store version 4
        with db.connect("es_reader") as r:
            assert own_versions(r, stream, None, None) == [1, 2, 3, 4], "its store version stands for it"
            assert own_versions(r, stream, 2, None) == [3, 4]
        w.execute(APPEND, (versioned(stream, 5),))  # the next after the store version 4
        with db.connect("es_reader") as r:
            assert own_versions(r, stream, 3, None) == [4, 5]


def test_bounds_past_the_integer_range_read_everything_or_nothing(db):
    """Before, in_up_to_version = -2147483648 on a stream starting at its own version 10
    overflowed (22003)."""
    stream = uuid.uuid4()
    with db.connect("es_writer") as w:
        w.execute(APPEND, (versioned(stream, 10, 11, 12),))
    with db.connect("es_reader") as r:
        assert own_versions(r, stream, None, -2147483648) == []
        assert own_versions(r, stream, 2147483647, None) == []
        assert own_versions(r, stream, -2147483648, 2147483647) == [10, 11, 12]
        assert own_versions(r, stream, 10, 11) == [11]
