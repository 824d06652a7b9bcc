"""pg_dump, restore into another cluster: readers and projections keep working."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from harness.cluster import group_roles_sql
from tests.helpers import open_tally, oracle_model, read_model, run_projections_until_idle


@pytest.mark.slow
def test_after_a_restore_into_a_new_cluster_the_log_goes_on(cluster, db, new_cluster, tmp_path):
    # Move this cluster's transaction counter well ahead of what a new cluster will have.
    with db.connect() as conn:
        for _ in range(3000):
            conn.execute("SELECT pg_current_xact_id()")
    owner = uuid.uuid4()
    with db.connect("es_writer") as w:
        before = [open_tally(w, owner, [{"label": "p", "count": 1, "weight": 1}]) for _ in range(5)]
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    with db.connect("es_reader") as r:
        last_old_event = r.execute("SELECT id FROM api.get_all_events(NULL, 1000)").fetchall()[-1][0]
    old_xid = db.scalar("SELECT max(transaction_id)::text::bigint FROM data.events")
    dump = tmp_path / "store.dump"
    subprocess.run([str(cluster.bindir / "pg_dump"), "-Fc", "-f", str(dump), db.name], env=cluster.env(), check=True)

    other = new_cluster()
    other.execute("postgres", group_roles_sql())
    other.execute("postgres", "CREATE ROLE es_writer LOGIN IN ROLE eventstore_writer; "
                              "CREATE ROLE es_reader LOGIN IN ROLE eventstore_reader; "
                              "CREATE ROLE es_projector LOGIN IN ROLE eventstore_projector")
    other.create_database("restored")
    subprocess.run([str(other.bindir / "pg_restore"), "-d", "restored", str(dump)], env=other.env(), check=True)
    restored = type(db)(other, "restored")

    with restored.connect("es_reader") as r:
        assert len(r.execute("SELECT * FROM api.get_all_events()").fetchall()) == 5, "old events still readable"
    # Stored transaction ids are ahead of the new cluster's counter: without generations the
    # new events would sort before the old ones.
    assert other.execute("restored", "SELECT pg_current_xact_id()::text::bigint")[0][0] < old_xid
    with restored.connect("es_writer") as w:
        after = [open_tally(w, owner, [{"label": "q", "count": 2, "weight": 3}]) for _ in range(3)]
    with restored.connect("es_reader") as r:
        # A reader that had read up to the last old event gets exactly the new ones.
        rows = r.execute("SELECT stream_id FROM api.get_all_events(%s)", (last_old_event,)).fetchall()
        assert sorted(x[0] for x in rows) == sorted(after)
    with restored.connect("es_projector") as p:
        run_projections_until_idle(p)
    assert {row[0] for row in read_model(restored)} == set(before) | set(after)
    assert read_model(restored) == oracle_model(restored)
    # The new cluster writes generation 2, which sorts after everything restored.
    assert restored.execute("SELECT generation, count(*) FROM data.events GROUP BY 1 ORDER BY 1") == [(1, 5), (2, 3)]
    # And the cluster's sqitch registry came along: the bundle is up to date there.
    assert "Nothing to deploy" in other.sqitch("status", dbname="restored").stdout
