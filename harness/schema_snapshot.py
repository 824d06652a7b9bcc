"""The committed schema snapshot: a normalised `pg_dump --schema-only` of a fresh deploy.

CI diffs it (tests/test_schema_snapshot.py), so every change to the database's shape
(tables, columns, indexes, functions, grants, comments) shows up in review as a diff of
schema/eventstore.sql. After changing the bundle on purpose:

    scripts/schema-snapshot        (rewrites schema/eventstore.sql; commit it with the change)

Normalised away: pg_dump's comments and SET lines, the owner, the sqitch registry, and the
month of the dated partitions (data.events_2026_11 -> data.events_YYYY_MM), which depends on
the day of the deploy.
"""

from __future__ import annotations

import re
import subprocess
import sys

from harness.cluster import REPO, Cluster, throwaway_cluster

SNAPSHOT = REPO / "schema" / "eventstore.sql"


def normalise(dump: str) -> str:
    out = []
    for line in dump.splitlines():
        # \restrict lines (pg_dump 15.14+) carry a random key per dump.
        if line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")):
            continue
        line = re.sub(r"events_\d{4}_\d{2}", "events_YYYY_MM", line)
        line = re.sub(r"'\d{4}-\d{2}-01 00:00:00\+00'", "'YYYY-MM-01 00:00:00+00'", line)
        line = re.sub(r"Events created in \d{4}-\d{2} \(UTC\)", "Events created in YYYY-MM (UTC)", line)
        out.append(line.rstrip())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
    return text


# The monthly partitions of data.events (events_2026_11, ...): their constraints and the names of
# their indexes are those of the code that made them, so that a store whose first months were
# made by older code differs from a fresh install there alone (a v3.1.0 store adopted by v4).
MONTHLY_PARTITIONS = "data.events_[0-9]*"


def dump(cluster: Cluster, dbname: str, *, monthly_partitions: bool = True) -> str:
    """The normalised schema; without ``monthly_partitions`` (comparing stores made by different
    code), the monthly partitions left out: the parent, its indexes and its default partition
    say what every month has."""
    leave_out = [] if monthly_partitions else [f"--exclude-table={MONTHLY_PARTITIONS}"]
    r = subprocess.run([str(cluster.bindir / "pg_dump"), "--schema-only", "--no-owner", "--exclude-schema=sqitch",
                        "--exclude-schema=cron", *leave_out, "-d", dbname], env=cluster.env(), check=True,
                       capture_output=True, text=True)
    return normalise(r.stdout)


def main() -> int:
    c = throwaway_cluster("eventstore-snapshot-", 58432, cron_database=False)
    try:
        c.create_database("snapshot")
        c.sqitch("deploy", dbname="snapshot")
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(dump(c, "snapshot"))
    finally:
        c.stop()
    print(f"wrote {SNAPSHOT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
