"""The core's pgTAP files (tests/pgtap), one per sqitch change, run by pg_prove against a clone
of the test template. Every change of both projects has its file (the Order example's are in
examples/orders/tests/pgtap, run by the example's own tests); the core's retired v1.x Order
changes are tested in the example project."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest

from harness.cluster import REPO
from harness.sqitch_plan import RETIRED, combined_plan

PGTAP_DIRS = {"eventstore": REPO / "tests" / "pgtap", "orders": REPO / "examples" / "orders" / "tests" / "pgtap"}
FILES = sorted(PGTAP_DIRS["eventstore"].glob("*.sql"))


@pytest.fixture(scope="module")
def pgtap_db(cluster, template_db):
    name = f"pgtap_{uuid.uuid4().hex[:8]}"
    cluster.create_database(name, template=template_db)
    cluster.execute(name, "CREATE EXTENSION pgtap")
    yield name
    cluster.drop_database(name)


def test_every_change_has_a_pgtap_file():
    changes = {(c.project, c.name) for c in combined_plan() if not (c.project == "eventstore" and c.name in RETIRED)}
    missing = [f"{project}:{name}" for project, name in sorted(changes)
               if not (PGTAP_DIRS[project] / f"{name}.sql").exists()]
    assert not missing, f"changes without a pgTAP file <project tests>/pgtap/<change>.sql: {missing}"
    stale = [str(p.relative_to(REPO)) for project, d in PGTAP_DIRS.items() for p in d.glob("*.sql")
             if (project, p.stem) not in changes]
    assert not stale, f"pgTAP files of no current change: {stale}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_pgtap(cluster, pgtap_db, path: Path):
    text = path.read_text()
    assert re.search(r"SELECT plan\(\d+\)", text), "a pgTAP file declares its plan"
    r = subprocess.run(["pg_prove", "--verbose", "-d", pgtap_db, str(path)], env=cluster.env(),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
