"""The README's first command, `scripts/demo`: it says what it does (--help), brings up its
cluster, deploys with sqitch, shows the store working in SQL and through the Python client,
and `stop` removes it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness.cluster import free_port

REPO = Path(__file__).resolve().parent.parent


def demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.demo", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, timeout=600)


def test_the_demo_says_what_it_does():
    done = demo("--help")
    assert done.returncode == 0, done.stderr
    assert "usage: scripts/demo" in done.stdout and "stop" in done.stdout and "Python client" in done.stdout


@pytest.mark.slow  # a cluster of its own and a sqitch deploy: about 20 s
def test_the_demo_shows_the_store_in_sql_and_python_then_stops():
    parent = Path(tempfile.mkdtemp(prefix="eventstore-demo-test-"))
    parent.chmod(0o755)  # the postgres OS user makes its cluster below it
    base = parent / "demo"
    env = {"EVENTSTORE_DEMO_DIR": str(base), "EVENTSTORE_DEMO_PORT": str(free_port(58100))}
    try:
        up = demo(env=env)
        assert up.returncode == 0, up.stdout + up.stderr
        out = up.stdout
        assert "ERROR ZE001" in out, "the stale writer is refused"
        assert "-- The Python client" in out and "decide() appended ['Credited'], now at version 2" in out, out
        assert '2 | Credited | {"amount": 10}' in out
    finally:
        stopped = demo("stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert not base.exists(), "stop removes it"
    parent.rmdir()
