"""The example's pgTAP files (one per sqitch change of the project), run by pg_prove against a
clone of the plugin's template (the store, then this project)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

FILES = sorted((Path(__file__).parent / "pgtap").glob("*.sql"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_pgtap(db, path: Path):
    text = path.read_text()
    assert re.search(r"SELECT plan\(\d+\)", text), "a pgTAP file declares its plan"
    db.execute("CREATE EXTENSION pgtap")
    params = dict(psycopg_params(db))
    env = {**os.environ, "PGHOST": params["host"], "PGPORT": str(params["port"]), "PGUSER": params["user"]}
    r = subprocess.run(["pg_prove", "--verbose", "-d", db.name, str(path)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def psycopg_params(db):
    from psycopg.conninfo import conninfo_to_dict
    return conninfo_to_dict(db.server.admin_conninfo).items()
