"""Small helpers shared by the tests."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid

import psycopg
import pytest


# plpgsql_check findings for every PL/pgSQL function of the bundle (tests/test_plpgsql_check.py,
# tests/test_dependencies.py): (function, level, message, line).
PLPGSQL_CHECK = """
SELECT p.oid::regprocedure::text, t.level, t.message, t.lineno
FROM pg_proc AS p
JOIN pg_namespace AS n ON n.oid = p.pronamespace
JOIN pg_language AS l ON l.oid = p.prolang
CROSS JOIN LATERAL plpgsql_check_function_tb(
    p.oid, relid => COALESCE((SELECT g.tgrelid FROM pg_trigger AS g WHERE g.tgfoid = p.oid LIMIT 1), 0)) AS t
WHERE n.nspname IN ('api', 'private', 'registered', 'data')
  AND l.lanname = 'plpgsql'
  AND p.prorettype <> 'event_trigger'::regtype
  -- a trigger function is checked against the table of its trigger
  AND (p.prorettype <> 'trigger'::regtype OR EXISTS (SELECT FROM pg_trigger AS g WHERE g.tgfoid = p.oid))
ORDER BY 1, 4
"""


def event(event_type: str, data: dict | None = None, metadata: dict | None = None) -> dict:
    e = {"event_type": event_type, "event_data": data if data is not None else {}}
    if metadata is not None:
        e["metadata"] = metadata
    return e


def append(conn: psycopg.Connection, stream_type: str, stream_id, expected, events) -> int:
    """CALL api.append_events; returns io_new_version."""
    row = conn.execute(
        "CALL api.append_events(%s, %s, %s, %s::jsonb, NULL)",
        (stream_type, stream_id, expected, json.dumps(events) if not isinstance(events, str) else events),
    ).fetchone()
    return row[0]


@contextlib.contextmanager
def raises_sqlstate(sqlstate: str, match: str | None = None):
    """Expect a database error with exactly this SQLSTATE (and message substring)."""
    with pytest.raises(psycopg.Error) as info:
        yield info
    assert info.value.sqlstate == sqlstate, f"expected SQLSTATE {sqlstate}, got {info.value.sqlstate}: {info.value}"
    if match is not None:
        assert match in str(info.value), f"{match!r} not in {str(info.value)!r}"


def race(workers, timeout: float = 120) -> list:
    """Run each ``worker(barrier)`` in a thread of its own; they wait on the shared barrier to
    start together. Returns their results in order; the first error of any of them is raised
    here (a failing thread must fail the test), and a thread still running after ``timeout``
    seconds too."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)
    errors: list[BaseException] = []

    def run(i, worker):
        try:
            results[i] = worker(barrier)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
            barrier.abort()  # the others must not wait for this one for ever

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racing thread did not finish"
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]
    return results


def new_id() -> uuid.UUID:
    return uuid.uuid4()


# -- The fixture domain (harness/tally.sql) ------------------------------------------------

def open_tally(conn, owner_id=None, marks=(), tally_id=None) -> uuid.UUID:
    """Opens a tally (stream type Tally, as es_writer); returns its id."""
    return conn.execute("SELECT tally.open(%s, %s::jsonb, %s)",
                        (owner_id or uuid.uuid4(), json.dumps(list(marks)), tally_id)).fetchone()[0]


def mark(conn, tally_id, label: str = "a", count: int = 1, weight: float = 1.0) -> int:
    return conn.execute("SELECT tally.mark(%s, %s, %s::integer, %s::numeric)",
                        (tally_id, label, count, weight)).fetchone()[0]


def close_tally(conn, tally_id) -> int:
    return conn.execute("SELECT tally.close(%s)", (tally_id,)).fetchone()[0]


def void_tally(conn, tally_id, reason=None) -> int:
    return conn.execute("SELECT tally.void(%s, %s)", (tally_id, reason)).fetchone()[0]


def run_projections_until_idle(conn, batch_size=None, limit: int = 10000) -> int:
    """Call api.run_projections() until it applies nothing; returns the events applied."""
    total = 0
    for _ in range(limit):
        n = conn.execute("SELECT api.run_projections(%s)", (batch_size,)).fetchone()[0]
        if n == 0:
            return total
        total += n
    raise AssertionError("projections never caught up")


def read_model(db) -> list[tuple]:
    from harness.tally_model import READ_MODEL_SQL
    return sorted(db.execute(READ_MODEL_SQL))


def oracle_model(db) -> list[tuple]:
    from harness.tally_model import TALLIES_SQL
    return sorted(db.execute(TALLIES_SQL))
