"""Shared plumbing of the benchmarks: a throwaway cluster, a deployed template database,
fresh clones per measurement, pgbench runs, and ratio reporting.

Every figure a benchmark prints comes from one run on one cluster; throughputs that are
compared are measured in alternating rounds (A B, B A, A B ...) on identical fresh clones,
and the reported ratio is the median of the per-round ratios, which cancels the drift of
a shared machine (single runs here vary by +-20%).
"""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from harness.cluster import Cluster, throwaway_cluster

TEMPLATE = "bench_template"
# What a figure called durable is measured with (the harness's clusters run with fsync off).
DURABLE = {"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}


@contextmanager
def bench_cluster(extra_settings: dict[str, str] | None = None):
    c = throwaway_cluster("eventstore-bench-", 56432, extra_settings)
    try:
        yield c
    finally:
        c.stop()


def deploy_template(cluster: Cluster, setup_sql: str = "") -> str:
    cluster.create_database(TEMPLATE)
    cluster.deploy_with_tallies(TEMPLATE)  # the core, and the benches' fixture domain
    if setup_sql:
        cluster.psql(TEMPLATE, "-q", "-c", setup_sql)
    return TEMPLATE


@contextmanager
def fresh_database(cluster: Cluster, template: str = TEMPLATE):
    name = f"b_{uuid.uuid4().hex[:10]}"
    cluster.create_database(name, template=template)
    cluster.execute(name, "CHECKPOINT")
    try:
        yield name
    finally:
        cluster.drop_database(name)


def pgbench(cluster: Cluster, dbname: str, script: str, clients: int, seconds: float,
            defines: dict[str, str] | None = None, options: str = "") -> float:
    """Run one pgbench script; returns transactions per second. ``options``: the sessions'
    PGOPTIONS (a search_path a foreign schema relies on; a clone of a database does not keep
    ALTER DATABASE ... SET)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = f.name
    cmd = [str(cluster.bindir / "pgbench"), "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients),
           "-T", str(max(1, int(seconds))), "-f", path]
    for k, v in (defines or {}).items():
        cmd += ["-D", f"{k}={v}"]
    cmd.append(dbname)
    env = {**cluster.env(), **({"PGOPTIONS": options} if options else {})}
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    Path(path).unlink()
    m = re.search(r"^tps = ([0-9.]+)", r.stdout, re.M)
    failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
    if r.returncode != 0 or not m or (failed and int(failed.group(1)) > 0):
        raise RuntimeError(f"pgbench failed:\n{r.stdout}\n{r.stderr}")
    return float(m.group(1))


def alternate(rounds: int, measure_a, measure_b, label_a: str, label_b: str) -> dict:
    """Measure A and B in alternating order; returns the per-round figures and ratios B/A."""
    rows = []
    for i in range(rounds):
        if i % 2 == 0:
            a = measure_a()
            b = measure_b()
        else:
            b = measure_b()
            a = measure_a()
        rows.append((a, b, b / a))
        print(f"  round {i + 1}: {label_a} {a:10.1f}   {label_b} {b:10.1f}   ratio {b / a:.3f}", flush=True)
    return {
        "a": statistics.median(r[0] for r in rows),
        "b": statistics.median(r[1] for r in rows),
        "ratio": statistics.median(r[2] for r in rows),
        "ratios": [r[2] for r in rows],
    }


def rotate(rounds: int, measures: dict) -> dict:
    """Measure every configuration of a group in each round, the order rotated from round to
    round; ``ratio(a, b)`` is the median over rounds of a/b measured in the same round."""
    labels = list(measures)
    rows = []
    for i in range(rounds):
        order = labels[i % len(labels):] + labels[:i % len(labels)]
        got = {label: measures[label]() for label in order}
        rows.append(got)
        print(f"  round {i + 1}: " + "   ".join(f"{label} {got[label]:.0f}" for label in labels), flush=True)

    def ratio(a: str, b: str) -> float:
        return statistics.median(r[a] / r[b] for r in rows)
    return {"median": {label: statistics.median(r[label] for r in rows) for label in labels}, "ratio": ratio,
            "rows": rows}


def report(name: str, value: float, target: str, unit: str = "") -> None:
    print(f"RESULT {name} = {value:.3f}{unit}   (target {target})", flush=True)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
