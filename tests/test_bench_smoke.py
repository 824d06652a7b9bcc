"""The benchmarks run (tiny sizes): they must keep working; their figures decide nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.append_throughput import FIRST_RELEASE, previous_release
from bench.append_variants import VARIANTS, edited
from harness.cluster import REPO


@pytest.mark.slow
def test_benchmarks_run_and_print_their_ratios():
    r = subprocess.run([sys.executable, "-m", "bench.run", "append", "rebuild", "aggregates", "subscriptions",
                        "eventsourcing",
                        "--rounds", "1", "--seconds", "1", "--clients", "8",
                        "--scale", "0.002"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    results = [line for line in r.stdout.splitlines() if line.startswith("RESULT")]
    releases = list(dict.fromkeys(x for x in (previous_release(), FIRST_RELEASE) if x))
    message_db = "message-db: installed" in r.stdout  # skipped (and said so) where npm is missing
    append = []
    for streams in ("new", "existing"):
        for events in (1, 100):
            label = f"8 clients, {streams} streams, {events} event(s)"
            if events == 1:
                append += [f"RESULT append_events/two-row ceiling, {label}",
                           f"RESULT two-row ceiling/plain INSERT, {label}"]
                append += [f"RESULT append_events/message-db, {label}"] if message_db else []
            else:
                append += [f"RESULT append_events/plain INSERT, {label}"]
            append += [f"RESULT append_events HEAD/@{release}, {label}" for release in releases]
    assert [line.split(" = ")[0] for line in results] == [
        *append,
        "RESULT append_events with 2 personal data fields/without",
        "RESULT rebuild/set-based statement, events per second",
        "RESULT version 2 catch-up beside the live version/api.rebuild_projection, same load, events per second",
        "RESULT read-model query p99 during the build/before it",
        "RESULT longest read during the promotion",
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


def test_every_edit_of_the_append_variants_still_finds_its_text():
    """bench append-variants edits api.append_events' current text: an edit whose text is gone
    would stop that run, not this one (the variants are not run in the smoke run)."""
    for name, change in VARIANTS.items():
        if not isinstance(change, str):
            assert edited(change) != edited([]), name
