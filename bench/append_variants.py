"""What a candidate change of the append path would buy, before it is made (issue 22): the
same appends as ``bench append``'s comparison with v1.1.0 (8 clients, a new stream per call,
the standard metadata, 1 and 100 events per call) on this tree and on a copy of it with one
change made in SQL, alternating. Each variant is a ratio variant / HEAD; none is a proposal by
itself (dropping an index gives up what it serves). A variant is SQL run in the copy, or an
edit of api.append_events' text (old -> new) applied to the copy."""

from __future__ import annotations

import os

from bench.append_throughput import append_standard
from bench.common import alternate, fresh_database, pgbench, report
from harness.cluster import REPO

SETUP = ""
APPEND = REPO / "sql" / "api" / "append_events.sql"
VARIANTS: dict[str, str | tuple[str, str]] = {
    "no correlation index": "DROP INDEX data.events_correlation_idx",
    "correlation index on the id alone": (
        "DROP INDEX data.events_correlation_idx; "
        "CREATE INDEX events_correlation_idx ON data.events ((metadata ->> 'correlation_id')) "
        "WHERE metadata ? 'correlation_id'"),
    "no created_at index": "DROP INDEX data.events_created_idx",
    "created_at BRIN": ("DROP INDEX data.events_created_idx; "
                        "CREATE INDEX events_created_idx ON data.events USING brin (created_at)"),
    "no ORDER BY ord": ("        ORDER BY e.ord;", "        ;"),
    "no personal-data lookup": ("l_personal boolean := EXISTS (SELECT FROM data.personal_data);",
                                "l_personal boolean := false;"),
    "id default gen_random_uuid()": "ALTER TABLE data.events ALTER COLUMN id SET DEFAULT gen_random_uuid()",
}


def run(cluster, template, rounds: int, seconds: float, clients: int = 8, **_) -> dict:
    def measure(script: str, on: str):
        def go() -> float:
            with fresh_database(cluster, on) as db:
                return pgbench(cluster, db, script, clients, seconds)
        return go

    only = os.environ.get("BENCH_VARIANTS")
    results = {}
    for i, (name, change) in enumerate(VARIANTS.items()):
        if only and name not in only.split(","):
            continue
        variant = f"bench_variant_{i}"
        cluster.create_database(variant, template=template)
        if isinstance(change, tuple):
            text = APPEND.read_text()
            assert change[0] in text, f"{name}: the text to replace is not in {APPEND.name}"
            cluster.psql(variant, "-q", "-c", text.replace(change[0], change[1]))
        else:
            cluster.psql(variant, "-q", "-c", change)
        for events in (1, 100):
            print(f" {name}, {events} event(s) per call, calls/s:", flush=True)
            r = alternate(rounds, measure(append_standard(events), template), measure(append_standard(events), variant),
                          "HEAD", name)
            report(f"{name} / HEAD, {events} event(s) per call", r["ratio"], "reported")
            results[(name, events)] = r["ratio"]
        cluster.drop_database(variant)
    return results
