"""State folded in the database equals the fold of every event, with snapshots or without."""

from __future__ import annotations

import random
import uuid

import pytest

from tests.helpers import append, event, run_projections_until_idle

REDUCERS = """
CREATE FUNCTION public.acc_v1(s jsonb, e data.events) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'count', COALESCE((s ->> 'count')::integer, 0) + 1,
        'sum', COALESCE((s ->> 'sum')::integer, 0)
               + CASE e.event_type WHEN 'Added' THEN (e.event_data ->> 'n')::integer
                                   WHEN 'Removed' THEN -(e.event_data ->> 'n')::integer ELSE 0 END,
        'last', e.event_type) $$;
-- Version 2 also keeps the largest n seen: its results differ, so old snapshots must not be used.
CREATE FUNCTION public.acc_v2(s jsonb, e data.events) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT public.acc_v1(s, e) || jsonb_build_object(
        'max', GREATEST(COALESCE((s ->> 'max')::integer, 0), COALESCE((e.event_data ->> 'n')::integer, 0))) $$;
"""


def fold(events, version: int) -> dict:
    state: dict = {}
    for event_type, n in events:
        state = {"count": state.get("count", 0) + 1,
                 "sum": state.get("sum", 0) + {"Added": n, "Removed": -n}.get(event_type, 0),
                 "last": event_type, **({"max": max(state.get("max", 0), n)} if version == 2 else {})}
    return state


@pytest.mark.parametrize("seed", range(3))
def test_loaded_state_equals_the_fold_of_all_events(db, seed):
    rnd = random.Random(seed)
    db.execute(REDUCERS)
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.register_reducer('Acc', 'public.acc_v1(jsonb, data.events)', 1, 7)")
    streams = {uuid.uuid4(): [] for _ in range(4)}

    def check(version):
        with db.connect("es_reader") as r:
            for stream, events in streams.items():
                state, v = r.execute("SELECT state, version FROM api.load_aggregate('Acc', %s)", (stream,)).fetchone()
                assert (state, v) == (fold(events, version) or {}, len(events))

    with db.connect("es_writer") as w, db.connect("es_projector") as p:
        for round_ in range(12):
            for stream, events in streams.items():
                batch = [(rnd.choice(["Added", "Removed", "Renamed"]), rnd.randint(0, 9))
                         for _ in range(rnd.randint(1, 6))]
                append(w, "Acc", stream, len(events), [event(t, {"n": n}) for t, n in batch])
                events.extend(batch)
            if round_ % 3 == 0:
                run_projections_until_idle(p)  # automatic snapshots
            check(1)
        assert db.scalar("SELECT count(*) FROM data.snapshots WHERE stream_type = 'Acc' AND reducer_version = 1") > 0

        # A new reducer version: every v1 snapshot is ignored, and replaced.
        with db.connect("es_admin") as admin:
            admin.execute("SELECT api.register_reducer('Acc', 'public.acc_v2(jsonb, data.events)', 2, 7)")
        check(2)
        assert db.scalar("SELECT count(*) FROM data.snapshots WHERE stream_type = 'Acc' AND reducer_version = 1") == 0, \
            "loads that folded past the interval replaced the stale snapshots"
        for stream, events in streams.items():
            batch = [("Added", rnd.randint(0, 9)) for _ in range(8)]
            append(w, "Acc", stream, len(events), [event(t, {"n": n}) for t, n in batch])
            events.extend(batch)
        run_projections_until_idle(p)
        check(2)


def test_automatic_snapshots_come_at_the_interval_and_are_used(db):
    db.execute(REDUCERS)
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.register_reducer('Acc', 'public.acc_v1(jsonb, data.events)', 1, 4)")
    stream = uuid.uuid4()
    with db.connect("es_writer") as w, db.connect("es_projector") as p:
        for i in range(11):
            append(w, "Acc", stream, i, [event("Added", {"n": 1})])
            run_projections_until_idle(p)
            assert db.scalar("SELECT version FROM data.snapshots WHERE stream_id = %s", (stream,)) == \
                (None if i + 1 < 4 else (i + 1) // 4 * 4)
    # Prove the loader starts from the snapshot: doctor it and see the doctored count.
    db.execute("UPDATE data.snapshots SET state = jsonb_set(state, '{count}', '100') WHERE stream_id = %s", (stream,))
    with db.connect("es_reader") as r:
        state, version = r.execute("SELECT state, version FROM api.load_aggregate('Acc', %s)", (stream,)).fetchone()
    assert (state["count"], version) == (103, 11)


def test_the_snapshot_loader_returns_snapshot_and_pending_events(db):
    stream = uuid.uuid4()
    with db.connect("es_writer") as w:
        append(w, "Note", stream, 0, [event("Written", {"t": "a"}), event("Written", {"t": "b"})])
    with db.connect("es_reader") as r:
        assert r.execute("SELECT state, version, pending_events FROM api.get_aggregate_state('Note', %s)",
                         (stream,)).fetchone() == ({}, 0, [
                             {"version": 1, "event_type": "Written", "event_data": {"t": "a"}},
                             {"version": 2, "event_type": "Written", "event_data": {"t": "b"}}])
    db.execute("CALL private.save_snapshot('Note', %s, 1, '{\"text\": \"a\"}', pg_current_snapshot())", (stream,))
    with db.connect("es_reader") as r:
        assert r.execute("SELECT state, version, pending_events FROM api.get_aggregate_state('Note', %s)",
                         (stream,)).fetchone() == ({"text": "a"}, 1, [
                             {"version": 2, "event_type": "Written", "event_data": {"t": "b"}}])
