"""Throwaway PostgreSQL servers and per-test databases for an application's test suite (the
machinery of :mod:`eventstore.pytest_plugin`, usable without pytest too).

A :class:`Server` is either one you name (a superuser connection string) or a throwaway
cluster this module makes with initdb in a temporary directory and starts on a free port,
listening on a socket in that directory only. PostgreSQL refuses to run as root: as root the
cluster is made and run as the ``postgres`` OS user.

:func:`deploy_template` deploys the bundle (and your own sqitch projects and SQL files) once
into a template database; :func:`clone` makes a fresh database of it per test
(``CREATE DATABASE ... TEMPLATE``: about 0.1 s), which :func:`drop` removes.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from eventstore import bundle

__all__ = ["Server", "clone", "deploy_template", "drop", "free_port", "pg_bindir", "remove_with_this_process"]


def pg_bindir() -> Path:
    """The server binaries (initdb, pg_ctl): $PG_BINDIR, else the newest Debian
    /usr/lib/postgresql/*/bin, else pg_config's."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if found:
        return Path(found[-1])
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    raise FileNotFoundError("no PostgreSQL server binaries (initdb) found: install PostgreSQL or name a server")


def free_port(start: int = 56000) -> int:
    """A port whose socket file is not taken in /tmp nor by a TCP listener (best effort)."""
    for port in range(start, start + 1000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not glob.glob(f"/tmp/*/.s.PGSQL.{port}") and not os.path.exists(f"/tmp/.s.PGSQL.{port}"):
            return port
    raise RuntimeError("no free port")


# The guard of a throwaway cluster: a process of its own that waits for the end of its standard
# input, a pipe whose other end only the process that made the cluster holds. However that
# process ends (SIGTERM from a cancelled CI job, SIGKILL, a crash), the pipe closes with it, and
# the guard stops the cluster and removes its directory.
_GUARD = """
import os, shutil, subprocess, sys
sys.stdin.buffer.read()
pg_ctl, data, base = sys.argv[1:4]
as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
if os.path.isdir(data):
    subprocess.run([*as_postgres, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
shutil.rmtree(base, ignore_errors=True)
"""

_guards: list[subprocess.Popen[bytes]] = []  # their pipes stay open while this process lives


def remove_with_this_process(data_dir: Path, base_dir: Path) -> None:
    """Stops the cluster in ``data_dir`` and removes ``base_dir`` when this process ends, however
    it ends (a guard process waits on a pipe this process holds). A cluster already stopped and
    removed by then is left as it is."""
    guard = subprocess.Popen([sys.executable, "-c", _GUARD, str(pg_bindir() / "pg_ctl"), str(data_dir), str(base_dir)],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)  # not in the group a terminal's ^C or a job's kill reaches
    _guards.append(guard)


class Server:
    """A PostgreSQL server for tests: ``Server(conninfo)`` uses yours, ``Server.throwaway()``
    makes one. ``conninfo(dbname, user)`` connects to a database of it."""

    def __init__(self, conninfo: str, *, base_dir: Path | None = None) -> None:
        self.admin_conninfo = conninfo
        self.base_dir = base_dir  # set for a throwaway cluster (removed by stop())

    @classmethod
    def throwaway(cls, settings: dict[str, str] | None = None) -> Server:
        bindir = pg_bindir()
        base = Path(tempfile.mkdtemp(prefix="eventstore-pytest-"))
        data = base / "data"
        as_postgres: list[str] = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(base, pg.pw_uid, pg.pw_gid)
            as_postgres = ["runuser", "-u", "postgres", "--"]
        port = free_port()
        subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        options = {"listen_addresses": "''", "unix_socket_directories": f"'{base}'", "port": str(port),
                   "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                   "max_connections": "200", **(settings or {})}
        conf = "".join(f"{k} = {v}\n" for k, v in options.items())
        subprocess.run([*as_postgres, "sh", "-c", f"cat >> '{data}/postgresql.conf'"], input=conf.encode(),
                       check=True)
        remove_with_this_process(data, base)
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"),
                        "-w", "-t", "60", "start"], check=True, capture_output=True)
        return cls(make_conninfo(host=str(base), port=port, user="postgres", dbname="postgres"), base_dir=base)

    def conninfo(self, dbname: str, user: str | None = None) -> str:
        params = conninfo_to_dict(self.admin_conninfo)
        params["dbname"] = dbname
        if user is not None:
            params["user"] = user
        return make_conninfo(**{k: str(v) for k, v in params.items()})

    def stop(self) -> None:
        if self.base_dir is None:
            return
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, str(pg_bindir() / "pg_ctl"), "-D", str(self.base_dir / "data"), "-m",
                        "immediate", "stop"], check=False, capture_output=True)
        shutil.rmtree(self.base_dir, ignore_errors=True)


def deploy_template(server: Server, name: str, *, sqitch_projects: Sequence[Path] = (),
                    sql_files: Sequence[Path] = (), with_sqitch: bool = False) -> str:
    """A template database with the bundle deployed, then each of your sqitch projects, then
    each SQL file (in the given order). Returns its name. The plans' deploy scripts run through
    psql (the catalog sqitch would give, in about a second instead of fifteen: a test database
    is made again, never upgraded; see eventstore.bundle); ``with_sqitch`` deploys with sqitch
    instead (it must be installed)."""
    with psycopg.connect(server.admin_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = server.conninfo(name)
    without_sqitch = not with_sqitch
    bundle.deploy(target, without_sqitch=without_sqitch)
    for project in sqitch_projects:
        bundle.deploy(target, project_dir=Path(project), without_sqitch=without_sqitch)
    if sql_files:
        with psycopg.connect(target, autocommit=True) as conn:
            for path in sql_files:
                conn.execute(Path(path).read_text())
    return name


def clone(server: Server, template: str, prefix: str = "test") -> str:
    """A fresh copy of the template (CREATE DATABASE ... TEMPLATE); returns its name. A session
    still connected to the template (pg_cron's launcher, a leftover) makes it wait: retried."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
    with psycopg.connect(server.admin_conninfo, autocommit=True) as conn:
        for attempt in range(50):
            try:
                conn.execute(statement)
                return name
            except psycopg.errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.1)
    raise AssertionError("unreachable")


def drop(server: Server, name: str) -> None:
    with psycopg.connect(server.admin_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
