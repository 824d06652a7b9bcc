"""The example's pgTAP files (pgtap/<change>.sql for each change of its plan, pgtap/<schema>/<name>.sql
for an object), run by pg_prove against a clone of the plugin's template (the store, then this project)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

PGTAP = Path(__file__).parent / "pgtap"
FILES = sorted(PGTAP.rglob("*.sql"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(PGTAP).with_suffix("")) for p in FILES])
def test_pgtap(db, path: Path):
    text = path.read_text()
    assert re.search(r"SELECT plan\(\d+\)", text), "a pgTAP file declares its plan"
    db.execute("CREATE EXTENSION pgtap")
    server = conninfo_to_dict(db.server.admin_conninfo)
    r = subprocess.run(["pg_prove", "--verbose", "-h", str(server["host"]), "-p", str(server["port"]),
                        "-U", str(server["user"]), "-d", db.name, str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
