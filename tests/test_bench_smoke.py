"""The benchmarks run (tiny sizes): they must keep working; their figures decide nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.append_throughput import previous_release

from harness.cluster import REPO


@pytest.mark.slow
def test_benchmarks_run_and_print_their_ratios():
    r = subprocess.run([sys.executable, "-m", "bench.run", "append", "rebuild", "aggregates", "subscriptions",
                        "eventsourcing",
                        "--rounds", "1", "--seconds", "1",
                        "--scale", "0.002"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    results = [line for line in r.stdout.splitlines() if line.startswith("RESULT")]
    release = previous_release()  # the append path against the release before HEAD
    against_release = [] if release is None else [f"RESULT append_events HEAD/@{release}, new streams",
                                                  f"RESULT append_events HEAD/@{release}, own streams"]
    assert [line.split(" = ")[0] for line in results] == [
        "RESULT append_events/plain INSERT, new streams",
        "RESULT append_events/plain INSERT, own streams",
        "RESULT append_events with 2 personal data fields/without",
        *against_release,
        "RESULT append_events HEAD/@v1.1.0, 1 event(s) per call, standard metadata",
        "RESULT append_events HEAD/@v1.1.0, 100 event(s) per call, standard metadata",
        "RESULT rebuild/set-based statement, events per second",
        "RESULT load 10,000-event aggregate / 100-event aggregate",
        "RESULT append throughput, automatic snapshots on / off",
        "RESULT subscription drain / get_all_events paging",
        "RESULT subscription drain HEAD / v2.1.0",
        "RESULT append-commit to claim p99",
        "RESULT eventsourcing_writes_1_ratio",
        "RESULT eventsourcing_writes_4_ratio",
        "RESULT eventsourcing_writes_8_ratio",
        "RESULT eventsourcing_reader_ratio",
    ]
    assert " 0 not claimed" in r.stdout, "every append of the latency run reached a consumer"
    assert "the two read models are identical" in r.stdout
