"""api.append_events_idempotent: at most once per key, across connections."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from tests.helpers import append, event, new_id, race, raises_sqlstate


def call_idempotent(conn, stream, expected, events, key):
    return conn.execute("CALL api.append_events_idempotent(%s, %s, %s, %s::jsonb, %s, NULL)",
                        ("Order", stream, expected, json.dumps(events), key)).fetchone()[0]


def test_eight_connections_with_one_key_append_once(db):
    stream, key = uuid.uuid4(), uuid.uuid4()
    def run(barrier):
        with db.connect("es_writer") as conn:
            barrier.wait()
            return call_idempotent(conn, stream, None, [event("OrderCreated")], key)

    results = race([run] * 8)
    assert results == [1] * 8, "every call reports the version the one append reached"
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_id = %s", (stream,)) == 1
    assert db.execute("SELECT stream_id, first_version, new_version FROM data.idempotency_keys "
                      "WHERE idempotency_key = %s", (key,)) == [(stream, 1, 1)]
    assert db.scalar("SELECT metadata->>'idempotency_key' FROM data.events WHERE stream_id = %s",
                     (stream,)) == str(key)


def test_a_retry_after_other_appends_reports_the_original_version(db):
    stream, key = uuid.uuid4(), uuid.uuid4()
    with db.connect("es_writer") as conn:
        assert call_idempotent(conn, stream, 0, [event("OrderCreated"), event("ItemAdded")], key) == 2
        assert call_idempotent(conn, stream, 2, [event("ItemAdded")], uuid.uuid4()) == 3
        # The retry carries the stale expected version 0: it is not re-checked.
        assert call_idempotent(conn, stream, 0, [event("OrderCreated"), event("ItemAdded")], key) == 2
    assert db.scalar("SELECT count(*) FROM data.events WHERE stream_id = %s", (stream,)) == 3


def test_a_key_used_for_another_stream_is_refused(db):
    key = uuid.uuid4()
    with db.connect("es_writer") as conn:
        call_idempotent(conn, uuid.uuid4(), 0, [event("OrderCreated")], key)
        with raises_sqlstate("ZE007", "was used for stream"):
            call_idempotent(conn, uuid.uuid4(), 0, [event("OrderCreated")], key)


def test_a_failed_append_does_not_burn_the_key(db):
    stream, key = uuid.uuid4(), uuid.uuid4()
    with db.connect("es_writer") as conn:
        with raises_sqlstate("ZE001"):
            call_idempotent(conn, stream, 5, [event("OrderCreated")], key)
        assert call_idempotent(conn, stream, 0, [event("OrderCreated")], key) == 1


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


@pytest.mark.slow  # a cluster of its own (its synchronous_standby_names changes)
def test_a_replayed_key_waits_for_a_synchronous_standby_like_any_write(new_cluster, template_db):
    """An append's answer acknowledges it, so a call that replays a key must not answer before
    a synchronous standby has what it acknowledges. PostgreSQL waits for a standby only at the
    commit of a transaction that wrote WAL (a transaction id alone is not enough): the replay
    writes a row version of its key. Here the append is made while no standby is required, then
    synchronous_standby_names names one that never comes: the replay waits (it is answered once
    the requirement is lifted), as a new append does."""
    import threading
    import time

    from tests.conftest import deploy_template

    cluster = new_cluster()
    cluster.create_database("store")
    deploy_template(cluster, "store")
    stream, key = uuid.uuid4(), uuid.uuid4()
    call = "CALL api.append_events_idempotent('K', %s, 0, '[{\"event_type\": \"E\", \"event_data\": {}}]', %s, NULL)"
    with cluster.connect("store") as conn:
        assert conn.execute(call, (stream, key)).fetchone()[0] == 1
        # Every hint bit and page image of the key's row written out: nothing incidental left
        # for the replay to log.
        conn.execute("SELECT * FROM data.idempotency_keys")
        conn.execute("CHECKPOINT")
        conn.execute("SELECT * FROM data.idempotency_keys")
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = 'never_connects'")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    answers: list = []

    def replay() -> None:
        with cluster.connect("store") as conn:
            answers.append(conn.execute(call, (stream, key)).fetchone()[0])

    waiting = threading.Thread(target=replay, daemon=True)
    waiting.start()
    waiting.join(3)
    try:
        assert waiting.is_alive() and answers == [], f"answered with no synchronous standby: {answers}"
    finally:
        with cluster.connect("store") as conn:
            conn.execute("ALTER SYSTEM RESET synchronous_standby_names")
            conn.execute("SELECT pg_reload_conf()")
    waiting.join(10)
    assert answers == [1], "answered once the requirement is lifted"
