"""A sharded store (docs/sharding.md): appends/s through the PL/Proxy endpoint and directly on
a shard, on clusters of their own with durable settings (fsync, full_page_writes and
synchronous_commit on), all on this machine.

Four shard clusters, each with the bundle (sqitch) in database ``store``, and a proxy cluster
with three endpoints: over shard 0 alone, over shards 0-1, over shards 0-3
(``python -m eventstore proxy deploy``). pgbench appends one event to a new stream per
transaction (``CALL api.append_events``) with 1 and 8 clients:

- the endpoint's cost: through the endpoint over one shard, against the same call on that
  shard directly, in alternating rounds (the ratio; and at 1 client the added time per call);
- 1, 2 and 4 shards through the endpoint, rotated each round (the ratios to one shard). On a
  2-core machine the shards, the proxy and pgbench share the cores: more shards cannot add
  CPU here, only spread the commits' flushes; on separate servers each shard brings its own.
"""

from __future__ import annotations

from typing import Any

from bench.common import DURABLE, alternate, pgbench, report, rotate
from eventstore import proxy
from harness.cluster import throwaway_cluster

SETUP = None  # clusters of their own, durable
SHARD_DB = "store"
APPEND = ("CALL api.append_events('Bench', gen_random_uuid(), 0, "
          "'[{\"event_type\": \"Added\", \"event_data\": {\"n\": 1}}]', NULL);\n")


def run(_cluster: Any, _template: Any, *, rounds: int, seconds: float, **_: Any) -> None:
    made = []
    try:
        proxy_cluster = throwaway_cluster("eventstore-bench-proxy-", 56600, DURABLE, cron_database=False)
        made.append(proxy_cluster)
        shards = []
        for i in range(4):
            shard = throwaway_cluster(f"eventstore-bench-shard{i}-", 56610 + 10 * i, DURABLE, cron_database=False)
            made.append(shard)
            shard.create_database(SHARD_DB)
            shard.deploy_all(SHARD_DB)
            shards.append(shard)
        conninfos = [f"host={s.socket_dir} port={s.port} dbname={SHARD_DB}" for s in shards]
        for count in (1, 2, 4):
            dbname = f"endpoint{count}"
            proxy_cluster.create_database(dbname)
            print(proxy.deploy(f"host={proxy_cluster.socket_dir} port={proxy_cluster.port} dbname={dbname} "
                               "user=postgres", conninfos[:count]), flush=True)

        def through(count: int, clients: int):
            return lambda: pgbench(proxy_cluster, f"endpoint{count}", APPEND, clients, seconds)

        def direct(clients: int):
            return lambda: pgbench(shards[0], SHARD_DB, APPEND, clients, seconds)

        for clients in (1, 8):
            print(f"-- the endpoint's cost, {clients} client(s): appends/s directly on shard 0, then through "
                  "the endpoint over it", flush=True)
            r = alternate(rounds, direct(clients), through(1, clients), "direct", "endpoint")
            report(f"shards_endpoint_over_direct_{clients}c", r["ratio"], "the endpoint's cost; no target")
            if clients == 1:
                added = (1 / r["b"] - 1 / r["a"]) * 1e6
                report("shards_endpoint_added_us_per_call_1c", added, "no target", " us")
        for clients in (8,):
            print(f"-- appends/s through the endpoint over 1, 2 and 4 shards, {clients} clients", flush=True)
            r = rotate(rounds, {f"{n} shard(s)": through(n, clients) for n in (1, 2, 4)})
            for n in (2, 4):
                report(f"shards_{n}_over_1_{clients}c", r["ratio"](f"{n} shard(s)", "1 shard(s)"),
                       "on one 2-core machine the shards share its cores: no target")
    finally:
        for c in made:
            c.stop()
