"""Whole-log readers never skip an event that commits late."""

from __future__ import annotations

import random
import threading
import time
import uuid

from tests.helpers import append, event


def page_all(conn, after=None, limit=1000, types=None):
    """Read every page after ``after``; returns (events, last id)."""
    out = []
    while True:
        if types is None:
            rows = conn.execute("SELECT id, stream_id, version, event_type FROM api.get_all_events(%s, %s)",
                                (after, limit)).fetchall()
        else:
            rows = conn.execute("""SELECT id, stream_id, version, event_type
                                   FROM api.get_events_by_type(%s, %s, %s)""", (types, after, limit)).fetchall()
        if not rows:
            return out, after
        out.extend(rows)
        after = rows[-1][0]


def test_an_event_that_commits_late_is_read_exactly_once(db):
    late_stream, early_stream = uuid.uuid4(), uuid.uuid4()
    late = db.connect("es_writer", autocommit=False)
    try:
        # The late transaction appends first (its event id is the smaller uuidv7) ...
        append(late, "Order", late_stream, 0, [event("OrderCreated", {"who": "late"})])
        # ... another appends and commits while it stays open.
        with db.connect("es_writer") as other:
            append(other, "Order", early_stream, 0, [event("OrderCreated", {"who": "early"})])

        with db.connect("es_reader") as reader:
            before, cursor = page_all(reader, limit=1)
            # A reader paging by id in uuid order would return the committed event now and
            # skip the late one for ever; the horizon holds the committed one back instead.
            assert [r[1] for r in before] == []
            late.commit()
            after, cursor = page_all(reader, cursor, limit=1)
    finally:
        late.close()

    seen = [r[1] for r in before + after]
    assert sorted(seen) == sorted([late_stream, early_stream])
    assert len(seen) == len(set(seen)), "each event exactly once"
    assert seen == [late_stream, early_stream], "log order is transaction order"

    with db.connect("es_reader") as reader:
        by_type, _ = page_all(reader, limit=1, types=["OrderCreated"])
    assert [r[1] for r in by_type] == seen


def test_paging_while_writers_commit_out_of_order_returns_every_event_once(db):
    """Many writers with random delays between append and commit, one reader paging all the
    while with a small page: the reader ends with exactly the committed events."""
    stop = threading.Event()
    committed: list[uuid.UUID] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer(seed: int):
        rnd = random.Random(seed)
        try:
            with db.connect("es_writer", autocommit=False) as conn:
                for _ in range(15):
                    stream = uuid.uuid4()
                    append(conn, "Order", stream, 0, [event("OrderCreated"), event("ItemAdded")])
                    time.sleep(rnd.uniform(0, 0.05))
                    if rnd.random() < 0.15:
                        conn.rollback()  # rolled-back events must never appear
                    else:
                        conn.commit()
                        with lock:
                            committed.append(stream)
        except BaseException as exc:
            errors.append(exc)

    seen: list[tuple] = []

    def reader():
        try:
            with db.connect("es_reader") as conn:
                cursor = None
                while True:
                    done = stop.is_set()
                    rows, cursor = page_all(conn, cursor, limit=3)
                    seen.extend(rows)
                    if done:
                        return
                    time.sleep(0.01)
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    r = threading.Thread(target=reader)
    r.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    r.join()
    assert not errors, errors

    ids = [row[0] for row in seen]
    assert len(ids) == len(set(ids)), "no event read twice"
    streams = [row[1] for row in seen]
    assert sorted(set(streams)) == sorted(committed), "every committed stream, no rolled-back one"
    assert len(seen) == 2 * len(committed)
    # Within a stream the log order is the version order.
    by_stream: dict = {}
    for _, stream, version, _ in seen:
        by_stream.setdefault(stream, []).append(version)
    assert all(v == [1, 2] for v in by_stream.values())


def test_stream_reads_return_versions_in_order_from_a_version(db):
    stream = uuid.uuid4()
    with db.connect("es_writer") as conn:
        append(conn, "Order", stream, 0, [event("A"), event("B"), event("C")])
    with db.connect("es_reader") as conn:
        rows = conn.execute("SELECT version, event_type FROM api.get_events('Order', %s, 1)", (stream,)).fetchall()
        assert rows == [(2, "B"), (3, "C")]
        assert conn.execute("SELECT count(*) FROM api.get_events('Order', %s)", (uuid.uuid4(),)).fetchone()[0] == 0


def test_a_page_reads_only_what_it_returns(db):
    """A page of the log is a Merge Append of ordered index scans that stops at the limit,
    not a sort of everything after the cursor (which made rebuilds quadratic)."""
    db.execute("""INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, created_at)
                  SELECT 'Order', md5(n::text)::uuid, 1, 'OrderCreated', '{}',
                         now() - (n % 3) * interval '40 days'   -- spread over several partitions
                  FROM generate_series(1, 30000) AS n""")
    db.execute("ANALYZE data.events")
    with db.connect() as conn:
        conn.execute("BEGIN")
        fetched = ("SELECT sum(idx_tup_fetch) FROM pg_stat_xact_user_tables "
                   "WHERE schemaname = 'data' AND relname LIKE 'events%'")
        before = conn.execute(fetched).fetchone()[0] or 0
        rows = conn.execute("SELECT * FROM private.log_events(0, '0', 0, 10)").fetchall()
        after = conn.execute(fetched).fetchone()[0]
        conn.execute("ROLLBACK")
    assert len(rows) == 10
    assert after - before < 100, f"a page of 10 fetched {after - before} index tuples"


def test_stored_log_numbers_of_concurrent_transactions_are_the_numbering_and_read_once(db):
    """Writers whose transactions append once or several times (one event or a batch), some
    rolled back, while a reader pages api.read_log by number: every stored number is the one
    private.log_number works out, each transaction's numbers one block, and the reader gets
    every committed event once, in number order."""
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(seed: int):
        rnd = random.Random(seed)
        try:
            with db.connect("es_writer", autocommit=False) as conn:
                for _ in range(8):
                    for _ in range(rnd.randint(1, 3)):
                        append(conn, "Numbered", uuid.uuid4(), 0, [event("N")] * rnd.choice((1, 1, 3, 20)))
                        time.sleep(rnd.uniform(0, 0.005))
                    conn.rollback() if rnd.random() < 0.15 else conn.commit()
        except BaseException as exc:
            errors.append(exc)

    seen: list[tuple] = []

    def reader():
        try:
            with db.connect("es_reader") as conn:
                after = None
                while True:
                    done = stop.is_set()
                    while rows := conn.execute("SELECT log_number, id FROM api.read_log(%s, 7, ARRAY['Numbered'])",
                                               (after,)).fetchall():
                        seen.extend(rows)
                        # More than the writers can append: numbers that do not follow the log
                        # order send a reader round in circles.
                        assert len(seen) <= 4 * 8 * 3 * 20, "the reader read events again"
                        after = rows[-1][0]
                    if done:
                        return
                    time.sleep(0.005)
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    r = threading.Thread(target=reader)
    r.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    r.join()
    assert not errors, errors

    stored = db.execute("""SELECT e.log_number, e.id,
                                  private.log_number(e.generation, e.transaction_id, e.global_position, e.created_at),
                                  private.log_block(e.generation, e.transaction_id)
                           FROM data.events AS e WHERE e.stream_type = 'Numbered' ORDER BY e.log_number""")
    assert stored, "the writers committed something"
    assert [(n, i) for n, i, _, _ in stored] == [(n, i) for n, i, f, _ in stored if n == f], \
        "every stored number is the numbering's"
    blocks: dict = {}
    for number, _, _, block in stored:
        blocks.setdefault(block, []).append(number)
    assert all(block < numbers[0] and numbers[-1] < block + 2 ** 32 for block, numbers in blocks.items()), \
        "a transaction's numbers lie in its block"
    assert {numbers[0] - block for block, numbers in blocks.items()} == {1}, "each block starts at 1"
    assert seen == [(n, i) for n, i, _, _ in stored], "the reader got every committed event once, in number order"
