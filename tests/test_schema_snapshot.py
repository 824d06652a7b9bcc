"""The database's shape after a fresh deploy is the committed schema/eventstore.sql.

The deploy here runs the plan's scripts through psql (eventstore.bundle.deploy without sqitch:
a second, not fifteen); tests/test_python_client.py proves, in the full run, that it leaves the
same schema as `sqitch deploy`, to the line of this dump."""

from __future__ import annotations

import difflib

from eventstore.bundle import deploy
from harness.schema_snapshot import SNAPSHOT, dump


def test_a_fresh_deploy_matches_the_committed_schema_snapshot(cluster, empty_db):
    deploy(cluster.conninfo(empty_db.name), without_sqitch=True)
    actual = dump(cluster, empty_db.name)
    expected = SNAPSHOT.read_text()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        "schema/eventstore.sql (committed)", "fresh deploy", n=2))
    assert actual == expected, (
        "the database's shape changed; if on purpose, run scripts/schema-snapshot and commit "
        "schema/eventstore.sql with the change:\n" + diff[:6000])
