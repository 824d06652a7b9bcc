"""The pgTAP files, one per sqitch change, run by pg_prove against a fresh deploy."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest

from harness.cluster import REPO

PGTAP_DIR = REPO / "tests" / "pgtap"
FILES = sorted(PGTAP_DIR.glob("*.sql"))


def plan_changes() -> list[str]:
    changes = []
    for line in (REPO / "sqitch.plan").read_text().splitlines():
        if line and not line.startswith(("%", "#", "@")) and line.strip():
            changes.append(re.split(r"[\s\[]", line, maxsplit=1)[0])
    return changes


@pytest.fixture(scope="module")
def pgtap_db(cluster, template_db):
    name = f"pgtap_{uuid.uuid4().hex[:8]}"
    cluster.create_database(name, template=template_db)
    cluster.execute(name, "CREATE EXTENSION pgtap")
    yield name
    cluster.drop_database(name)


def test_every_change_has_a_pgtap_file():
    missing = [c for c in plan_changes() if not (PGTAP_DIR / f"{c}.sql").exists()]
    assert not missing, f"changes without tests/pgtap/<change>.sql: {missing}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_pgtap(cluster, pgtap_db, path: Path):
    text = path.read_text()
    assert re.search(r"SELECT plan\(\d+\)", text), "a pgTAP file declares its plan"
    r = subprocess.run(["pg_prove", "--verbose", "-d", pgtap_db, str(path)], env=cluster.env(),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
