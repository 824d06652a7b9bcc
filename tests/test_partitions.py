"""Partition maintenance never blocks appends or reads, and a reader whose cursor sat in a
retired month continues after it."""

from __future__ import annotations

import os
import threading
import time
import uuid

from tests.helpers import append, event, new_id, raises_sqlstate


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
