"""The v3 plan, frozen in history/ (docs/design.md, "Layout"): what v4's baseline was written
from, and what a database older than v4 upgrades with before it adopts the v4 plan.

    python -m harness.history catalog    writes history/catalog-v3.1.0.txt from a fresh v3.1.0

The catalog file is what ``python -m eventstore adopt-baseline`` requires of a database (every
object of a fresh v3.1.0, as v3.1.0 made it). Written once with the release; the slow test in
tests/test_history.py proves it still describes a fresh install of the history plan.
"""

from __future__ import annotations

import sys

from eventstore.adopt import CATALOG_FILE, catalog_lines
from harness.cluster import REPO, Cluster, throwaway_cluster

HISTORY = REPO / "history"
ORDERS_HISTORY = REPO / "examples" / "orders" / "history"


def fresh_catalog(cluster: Cluster, dbname: str) -> list[str]:
    with cluster.connect(dbname) as conn:
        return sorted(catalog_lines(conn))


def main() -> int:
    c = throwaway_cluster("eventstore-history-", 58632, cron_database=False)
    try:
        c.create_database("history")
        c.sqitch("deploy", "--no-verify", dbname="history", project="history")
        (HISTORY / CATALOG_FILE).write_text("\n".join(fresh_catalog(c, "history")) + "\n")
    finally:
        c.stop()
    print(f"wrote history/{CATALOG_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
