"""An event once appended is never destroyed by DDL, not even by the owner: the event triggers
guard data.events and its partitions."""

from __future__ import annotations

import pytest

from tests.helpers import append, event, new_id, raises_sqlstate


@pytest.mark.parametrize("ddl", [
    "ALTER TABLE data.events DISABLE TRIGGER events_refuse_update_delete",
    "ALTER TABLE data.events ENABLE REPLICA TRIGGER events_refuse_update_delete",
    "ALTER TABLE data.events DETACH PARTITION data.events_default",
    "DROP TABLE data.events_default",
    "DROP TABLE data.events CASCADE",
])
def test_the_owner_cannot_destroy_events_by_ddl(db, ddl):
    with db.connect("es_writer") as conn:
        append(conn, "S", new_id(), 0, [event("E")])
    with db.connect() as conn, raises_sqlstate("ZE008"):
        conn.execute(ddl)
    with db.connect() as conn, raises_sqlstate("ZE008"):
        month = conn.execute("SELECT relname FROM pg_class WHERE relname ~ '^events_[0-9]{4}_[0-9]{2}$' "
                             "ORDER BY relname DESC LIMIT 1").fetchone()[0]
        conn.execute(f"DROP TABLE data.{month}")
    assert db.scalar("SELECT count(*) FROM data.events") == 1
