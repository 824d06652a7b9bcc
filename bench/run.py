"""Benchmark runner: ``python -m bench.run [workload ...] [--rounds N] [--seconds S]``.

Brings up its own throwaway cluster (harness/cluster.py), deploys the bundle with sqitch
into a template database, and prints every figure and ratio from this one run. Nothing
here passes or fails on timing: it measures and reports.
"""

from __future__ import annotations

import argparse
import sys

from bench import (
    aggregates,
    append_throughput,
    append_variants,
    client,
    dcb,
    eventsourcing_recorders,
    failover,
    projection_latency,
    projection_rebuild,
    scaling,
    shards,
    subscriptions,
)
from bench.common import DURABLE, bench_cluster, deploy_template

WORKLOADS = {
    "append": (append_throughput.SETUP, append_throughput.run),
    "append-variants": (append_variants.SETUP, append_variants.run),
    "rebuild": (projection_rebuild.SETUP, projection_rebuild.run),
    "latency": (projection_latency.SETUP, projection_latency.run),
    "aggregates": (aggregates.SETUP, aggregates.run),
    "subscriptions": (subscriptions.SETUP, subscriptions.run),
    "scaling": (scaling.SETUP, scaling.run),
    "client": (client.SETUP, client.run),
    "eventsourcing": (eventsourcing_recorders.SETUP, eventsourcing_recorders.run),
    # A pg_auto_failover formation of its own (no cluster of the runner's); not in the default set.
    "failover": (failover.SETUP, failover.run),
    # A cluster of its own with durable settings; not in the default set.
    "dcb": (dcb.SETUP, dcb.run),
    # A proxy and four shard clusters of their own, durable; not in the default set.
    "shards": (shards.SETUP, shards.run),
}
ON_THEIR_OWN = {"failover", "dcb", "shards"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", nargs="*", default=[w for w in WORKLOADS if w not in ON_THEIR_OWN],
                   choices=list(WORKLOADS) + [[]])
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds per comparison (default 5)")
    p.add_argument("--seconds", type=float, default=10, help="seconds per measurement (default 10)")
    p.add_argument("--scale", type=float, default=1.0, help="scale the data sizes (smoke runs use 0.01)")
    p.add_argument("--duration", type=float, default=130, help="seconds of steady load for latency (default 130)")
    p.add_argument("--clients", default="8,32", help="client counts of the append comparison (default 8,32)")
    p.add_argument("--durable", action="store_true",
                   help="fsync, full_page_writes and synchronous_commit on (default: the test cluster's, fsync off)")
    args = p.parse_args(argv)

    for w in [w for w in args.workloads if w in ON_THEIR_OWN]:
        print(f"\n== {w} ==", flush=True)
        WORKLOADS[w][1](None, None, rounds=args.rounds, seconds=args.seconds, scale=args.scale,
                        duration=args.duration, client_counts=args.clients)
    shared = [w for w in args.workloads if w not in ON_THEIR_OWN]
    if not shared:
        return 0
    setup = "\n".join(str(WORKLOADS[w][0]) for w in shared)
    print("settings: " + ("durable (fsync, full_page_writes and synchronous_commit on)" if args.durable
                          else "the test cluster's (fsync and full_page_writes off)"), flush=True)
    with bench_cluster(DURABLE if args.durable else None) as cluster:
        template = deploy_template(cluster, setup)
        for w in shared:
            print(f"\n== {w} ==", flush=True)
            WORKLOADS[w][1](cluster, template, rounds=args.rounds, seconds=args.seconds, scale=args.scale,
                            duration=args.duration, client_counts=args.clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
