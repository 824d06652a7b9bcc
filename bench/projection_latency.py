"""Time from append to read model under a steady write load, with the real pg_cron job.

Deploys into cron.database_name, so the job eventstore-projections runs the projection
worker (pg_cron 1.4: minutely, looping 59 s). Writers open tallies (harness/tally.sql) at a
steady rate; a poller watches the read model tally.tallies every 20 ms; latency = first seen - commit returned.
Runs across at least two minute boundaries (the job's hand-over) by default.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid

from bench.common import report
from harness.cluster import CRON_DATABASE

SETUP = ""


def run(cluster, template, rounds: int, seconds: float, scale: float = 1.0, duration: float = 130, **_) -> dict:
    cluster.deploy_with_tallies(CRON_DATABASE)
    owner = uuid.uuid4()
    with cluster.connect(CRON_DATABASE) as conn:
        # Start measuring once the job runs (the first run comes at the next minute).
        deadline = time.monotonic() + 75
        while not conn.execute("""SELECT EXISTS (SELECT FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                                  WHERE j.jobname = 'eventstore-projections' AND d.status = 'running')""").fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError("the pg_cron job did not start")
            time.sleep(0.2)

    writers, rate = 4, 25.0  # tallies per second per writer
    committed: dict = {}
    seen: dict = {}
    lock = threading.Lock()
    stop = threading.Event()

    def write():
        with cluster.connect(CRON_DATABASE) as conn:
            next_at = time.monotonic()
            while not stop.is_set():
                order = conn.execute("SELECT tally.open(%s, '[{\"label\": \"p\", \"count\": 1, \"weight\": 1}]')",
                                     (owner,)).fetchone()[0]
                now = time.monotonic()
                with lock:
                    committed[order] = now
                next_at += 1 / rate
                time.sleep(max(0.0, next_at - time.monotonic()))

    def poll():
        with cluster.connect(CRON_DATABASE) as conn:
            while not stop.is_set() or len(seen) < len(committed):
                with lock:
                    pending = [o for o in committed if o not in seen]
                if pending:
                    for (order,) in conn.execute("SELECT tally_id FROM tally.tallies WHERE tally_id = ANY(%s)",
                                                 (pending,)).fetchall():
                        seen[order] = time.monotonic()
                if stop.is_set() and time.monotonic() > stop_at + 70:
                    return
                time.sleep(0.02)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    poller = threading.Thread(target=poll)
    print(f"latency: {writers} writers x {rate:.0f} tallies/s for {duration:.0f}s, pg_cron job eventstore-projections",
          flush=True)
    for t in threads:
        t.start()
    poller.start()
    time.sleep(duration)
    stop.set()
    stop_at = time.monotonic()
    for t in threads:
        t.join()
    poller.join()

    lat = sorted(seen[o] - committed[o] for o in seen)
    missing = len(committed) - len(seen)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
    print(f"  {len(committed)} tallies, {missing} never seen; latency p50 {q[49]:.3f}s  p95 {q[94]:.3f}s  "
          f"p99 {q[98]:.3f}s  max {lat[-1]:.3f}s")
    report("append-to-read-model latency p99", q[98], "< 2 s", "s")
    return {"p50": q[49], "p99": q[98], "max": lat[-1], "missing": missing}
