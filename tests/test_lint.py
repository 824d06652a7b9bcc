"""squawk lints every deploy script; rules turned off are justified in .squawk.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cluster import REPO
from tests.helpers import built_distributions


def squawk() -> str:
    found = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    assert Path(found).exists(), "squawk-cli is installed by scripts/install-deps"
    return found


def test_deploy_scripts_pass_squawk():
    scripts = sorted(str(p) for d in (REPO / "deploy", REPO / "examples" / "orders" / "deploy") for p in d.glob("*.sql"))
    r = subprocess.run([squawk(), "--config", str(REPO / ".squawk.toml"), "--reporter", "gcc", *scripts],
                       capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_rule_turned_off_says_why():
    lines = (REPO / ".squawk.toml").read_text().splitlines()
    excluded = [i for i, line in enumerate(lines) if line.strip().startswith('"') and line.strip().endswith('",')]
    assert excluded, "the config turns rules off"
    for i in excluded:
        assert lines[i - 1].strip().startswith("#"), f"{lines[i].strip()} has no justification above it"


def test_the_python_package_is_typed_and_linted():
    """mypy --strict and ruff over eventstore/ (configured in pyproject.toml)."""
    bindir = Path(sys.executable).parent
    mypy = subprocess.run([str(bindir / "mypy"), "--strict"], cwd=REPO, capture_output=True, text=True)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = subprocess.run([str(bindir / "ruff"), "check", "eventstore"], cwd=REPO, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


@pytest.mark.slow  # builds a wheel: 10-15 s
def test_the_wheel_carries_the_bundle_the_types_and_the_plugin(tmp_path):
    """The package built from this tree: the wheel holds the sqitch bundle (so a service
    deploys the store without a checkout), py.typed, and the pytest11 entry point."""
    import zipfile

    wheel, _ = built_distributions(tmp_path)  # the wheel is built from the sdist: MANIFEST.in must carry the bundle
    names = set(zipfile.ZipFile(wheel).namelist())
    deploys = {p.name for p in (REPO / "deploy").glob("*.sql")}
    assert {f"eventstore/_bundle/deploy/{n}" for n in deploys} <= names
    code = {str(p.relative_to(REPO)) for p in (REPO / "sql").rglob("*.sql")}
    assert code and {f"eventstore/_bundle/{n}" for n in code} <= names, "the code files deploy/code.sql includes"
    assert not any(n.startswith("eventstore/_bundle/history/tests") for n in names), "the history's tests stay home"
    assert {"eventstore/_bundle/history/sqitch.plan", "eventstore/_bundle/history/catalog-v3.1.0.txt",
            "eventstore/_bundle/history/deploy/events.sql"} <= names, "the v3 plan, for adopt-baseline"
    assert {"eventstore/_bundle/sqitch.plan", "eventstore/_bundle/sqitch.conf", "eventstore/py.typed",
            "eventstore/pytest_plugin.py"} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "eventstore.pytest_plugin = eventstore.pytest_plugin" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith(("tests/", "harness/", "bench/")) for n in names)
