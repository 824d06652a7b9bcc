"""message-db (Eventide's Postgres message store), installed from its npm package at run time
for the side-by-side append comparison: ``npm pack @eventide/message-db@1.3.1`` fetches the
package (kept in ~/.cache/eventstore-bench), its own install script creates the database. Its
code is not part of this repository. Where npm or the registry is missing the comparison is
skipped with a line that says so."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from harness.cluster import Cluster

PACKAGE = "@eventide/message-db@1.3.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "eventstore-bench"


def fetch() -> Path | str:
    """The unpacked package's database directory, or why it could not be had."""
    target = CACHE / "message-db-1.3.1"
    if (target / "package" / "database" / "install.sh").exists():
        return target / "package" / "database"
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=CACHE, capture_output=True, text=True,
                           timeout=120)
    except subprocess.TimeoutExpired:
        return "npm pack timed out"
    tarball = CACHE / (r.stdout.strip().splitlines() or ["?"])[-1]
    if r.returncode != 0 or not tarball.is_file():
        return f"npm pack {PACKAGE} failed: {(r.stderr or r.stdout).strip()[:200]}"
    target.mkdir(exist_ok=True)
    with tarfile.open(tarball) as t:
        t.extractall(target, filter="data")
    tarball.unlink()
    return target / "package" / "database"


def install(cluster: Cluster, dbname: str) -> str | None:
    """Creates ``dbname`` with message-db in it; None when done, else why not."""
    where = fetch()
    if isinstance(where, str):
        return where
    env = {**cluster.env(), "DATABASE_NAME": dbname, "PGOPTIONS": "-c client_min_messages=warning",
           "PATH": f"{cluster.bindir}:{os.environ.get('PATH', '')}"}
    r = subprocess.run(["bash", str(where / "install.sh")], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        return f"message-db's install.sh failed: {(r.stderr or r.stdout).strip()[-300:]}"
    return None


# Its functions name its objects unqualified: its sessions need this search_path (its install
# gives its role one; the bench's sessions get it through PGOPTIONS).
OPTIONS = "-c search_path=message_store,public"
