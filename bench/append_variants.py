"""What a candidate change of the append path would buy, before it is made (issue 22): the
same appends as ``bench append``'s comparison with v1.1.0 (8 clients, a new stream per call,
the standard metadata, 1 and 100 events per call) on this tree and on a copy of it with one
change made in SQL, alternating. Each variant is a ratio variant / HEAD; none is a proposal by
itself (dropping an index gives up what it serves)."""

from __future__ import annotations

from bench.append_throughput import append_standard
from bench.common import alternate, fresh_database, pgbench, report

SETUP = ""
VARIANTS = {
    "no correlation index": "DROP INDEX data.events_correlation_idx",
    "no created_at index": "DROP INDEX data.events_created_idx",
    "id default gen_random_uuid()": "ALTER TABLE data.events ALTER COLUMN id SET DEFAULT gen_random_uuid()",
}


def run(cluster, template, rounds: int, seconds: float, clients: int = 8, **_) -> dict:
    def measure(script: str, on: str):
        def go() -> float:
            with fresh_database(cluster, on) as db:
                return pgbench(cluster, db, script, clients, seconds)
        return go

    results = {}
    for i, (name, sql) in enumerate(VARIANTS.items()):
        variant = f"bench_variant_{i}"
        cluster.create_database(variant, template=template)
        cluster.execute(variant, sql)
        for events in (1, 100):
            print(f" {name}, {events} event(s) per call, calls/s:", flush=True)
            r = alternate(rounds, measure(append_standard(events), template), measure(append_standard(events), variant),
                          "HEAD", name)
            report(f"{name} / HEAD, {events} event(s) per call", r["ratio"], "reported")
            results[(name, events)] = r["ratio"]
        cluster.drop_database(variant)
    return results
