"""Small helpers shared by the tests."""

from __future__ import annotations

import contextlib
import json
import uuid

import psycopg
import pytest


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


def new_id() -> uuid.UUID:
    return uuid.uuid4()
