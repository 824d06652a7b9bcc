"""The sqitch bundle the package carries, and deploying it.

An installed package holds the bundle (``sqitch.plan``, ``sqitch.conf``, ``deploy/``,
``revert/``, ``verify/``) in ``eventstore/_bundle``, copied there when the wheel is built; run
from a checkout of the repository, the bundle is the checkout's own.

:func:`deploy` runs ``sqitch deploy`` (sqitch must be on PATH: it keeps the registry that lets
a DBA upgrade, verify and revert the database later). Without sqitch it refuses with a clear
error rather than deploy a database sqitch could not take over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

__all__ = ["SqitchMissing", "bundle_dir", "deploy", "sqitch_target"]


class SqitchMissing(RuntimeError):
    """sqitch is not installed: the bundle is deployed with sqitch only."""


def bundle_dir() -> Path:
    """Where the bundle is: inside the installed package, or the repository checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundle", here.parent):
        if (candidate / "sqitch.plan").is_file() and (candidate / "deploy").is_dir():
            return candidate
    raise FileNotFoundError("the eventstore bundle (sqitch.plan, deploy/) is not installed with this package")


def sqitch_target(conninfo: str) -> tuple[str, dict[str, str]]:
    """The sqitch target (``db:pg:DBNAME``) and the libpq environment for a connection string
    (sqitch passes PGHOST, PGPORT, PGUSER, PGPASSWORD on to libpq)."""
    params = conninfo_to_dict(conninfo)
    env = {var: str(params[key]) for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"),
                                                  ("password", "PGPASSWORD"), ("sslmode", "PGSSLMODE"))
           if params.get(key) is not None}
    return f"db:pg:{params.get('dbname', '')}", env


def deploy(conninfo: str, *, project_dir: Path | None = None, to: str | None = None) -> str:
    """``sqitch deploy`` of the bundle (or of another sqitch project, ``project_dir``) into the
    database of ``conninfo``; returns sqitch's output. Raises SqitchMissing without sqitch and
    RuntimeError when the deploy fails."""
    sqitch = shutil.which("sqitch")
    if sqitch is None:
        raise SqitchMissing("sqitch is not installed (Debian: apt-get install sqitch libdbd-pg-perl): "
                            "the bundle is deployed with sqitch, so that it can be upgraded and reverted later")
    with psycopg.connect(conninfo, autocommit=True):
        pass  # a clear connection error before sqitch's
    target, env = sqitch_target(conninfo)
    args = [sqitch, "deploy", *(["--to", to] if to else []), target]
    r = subprocess.run(args, cwd=project_dir or bundle_dir(), capture_output=True, text=True,
                       env={**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10"), **env})
    if r.returncode != 0:
        raise RuntimeError(f"sqitch deploy failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout + r.stderr
