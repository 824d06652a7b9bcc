"""The price of zero loss and the length of a failover, on a pg_auto_failover formation of this
machine (harness/formation.py: a monitor, a primary, two standbys of the synchronous quorum,
``number_sync_standbys = 1``; fsync on, synchronous_commit remote_apply (the formation's:
docs/high-availability.md); health checks every second,
unhealthy after 3 s, demotion after 5 s, keepers partitioned after 3 s).

1. Appends/s on the primary (pgbench, 8 clients, one event per call into a new stream) with
   synchronous replication (each commit waits until one standby has applied it) against the same server not
   waiting for its standbys (``synchronous_commit = local``: fsync'd on the primary only), in
   alternating rounds; the ratio is the median of the rounds' ratios.
2. The window a client sees no successful append in a failover: appends through the client
   (a multi-host conninfo, ``target_session_attrs=read-write``) in a loop, the primary's machine
   lost (every process of it SIGKILLed); seconds from the kill to the first acknowledged append
   on the new primary. The old primary then rejoins as a standby before the next round.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import eventstore as es
from harness.formation import Formation, free_ports

SETUP = None  # no cluster of the runner's: a formation of its own
APPEND = ("CALL api.append_events('Bench', gen_random_uuid(), 0, "
          "'[{\"event_type\": \"E\", \"event_data\": {\"n\": 1}}]', NULL);\n")


def pgbench(f: Formation, node: str, seconds: float, clients: int, options: str = "") -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(APPEND)
    os.chmod(script.name, 0o644)
    env = {**f.env(), "PGOPTIONS": options}
    try:
        out = subprocess.run(f._as_postgres(["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
                                             "-T", str(int(seconds)), "-f", script.name, "-h", "127.0.0.1",
                                             "-p", str(f.node_port(node)), "-U", "postgres", "eventstore"]),
                             env=env, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith("tps"))
    return float(line.split("=")[1].split()[0])


def failover_window(f: Formation) -> float:
    """Seconds from losing the primary's machine to the first acknowledged append."""
    old = f.primary()
    assert old is not None
    store = es.EventStore.connect(f.conninfo(), max_size=2, timeout=30, reconnect_timeout=60)
    acked: list[float] = []
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            try:
                store.append("Bench", uuid.uuid4(), [es.NewEvent("E", {})], expected_version=es.NO_STREAM,
                             idempotency_key=uuid.uuid4())
                acked.append(time.monotonic())
            except Exception:  # noqa: BLE001 - measured, not judged: the loop goes on
                time.sleep(0.05)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    try:
        time.sleep(2)
        lost = time.monotonic()
        f.lose(old)
        deadline = lost + 120
        while not [a for a in acked if a > lost + 0.2] and time.monotonic() < deadline:
            time.sleep(0.05)
        after = [a for a in acked if a > lost + 0.2]
        window = (after[0] - lost) if after else float("nan")
    finally:
        stop.set()
        t.join(60)
        store.close()
    new = f.primary()
    f.rejoin(old)
    f.wait_for("the old primary back as a standby", lambda: f.healthy(new), timeout=180)
    return window


def run(_cluster: object, _template: object, *, rounds: int, seconds: float, scale: float, **_: object) -> None:
    logging.getLogger("eventstore").setLevel(logging.ERROR)
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    base = Path(tempfile.mkdtemp(prefix="eventstore-bench-formation-"))
    base.chmod(0o755)
    f = Formation(base / "f", port=free_ports(4, 59500))
    try:
        f.up(with_sqitch=False)
        primary = f.primary()
        assert primary is not None
        print(f"formation: monitor + {len(f.nodes)} data nodes on this machine, primary {primary}; "
              "fsync on, synchronous_commit remote_apply, number_sync_standbys 1", flush=True)
        synced, local, ratios = [], [], []
        for r in range(rounds):
            order = [("sync", ""), ("local", "-c synchronous_commit=local")]
            if r % 2:
                order.reverse()
            got = {name: pgbench(f, primary, seconds, 8, options) for name, options in order}
            synced.append(got["sync"])
            local.append(got["local"])
            ratios.append(got["sync"] / got["local"])
            print(f"  round {r + 1}: synchronous {got['sync']:.0f} appends/s, not waiting for standbys "
                  f"{got['local']:.0f} appends/s", flush=True)
        print(f"appends/s, 8 clients, 1 event each: synchronous replication {statistics.median(synced):.0f}, "
              f"the same primary not waiting {statistics.median(local):.0f}: "
              f"ratio {statistics.median(ratios):.2f} (the price of zero loss)", flush=True)

        windows = []
        for r in range(max(1, min(rounds, 5))):
            windows.append(failover_window(f))
            print(f"  failover {r + 1}: no acknowledged append for {windows[-1]:.1f} s", flush=True)
        print(f"failover window (kill of the primary's machine to the first acknowledged append): median "
              f"{statistics.median(windows):.1f} s, min {min(windows):.1f}, max {max(windows):.1f} "
              f"over {len(windows)} failovers", flush=True)
    finally:
        f.down()
        subprocess.run(["rm", "-rf", str(base)], check=False)
