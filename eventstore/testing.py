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
from typing import Self

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from eventstore import bundle

__all__ = ["THROWAWAY_SETTINGS", "Server", "as_postgres", "clone", "deploy_template", "drop", "free_port",
           "give_to_postgres", "pg_bindir", "remove_with_this_process"]


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


def as_postgres() -> list[str]:
    """The prefix that runs a server-side command (initdb, pg_ctl) as the ``postgres`` OS user
    when this process is root (PostgreSQL refuses to run as root); nothing otherwise."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def give_to_postgres(path: Path) -> None:
    """As root, hands ``path`` to the ``postgres`` OS user (a cluster's directory, a file the
    server reads); nothing otherwise."""
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(path, pg.pw_uid, pg.pw_gid)


# A throwaway server for an application's tests: nothing in it must survive an OS crash.
THROWAWAY_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                      "max_connections": "200"}


class Server:
    """A PostgreSQL server for tests: ``Server(conninfo)`` uses yours, ``Server.throwaway()``
    makes one. ``conninfo(dbname, user)`` connects to a database of it.

    A server this module makes lives in ``base_dir`` (its data directory ``base_dir/data``, its
    socket and its log ``server.log`` beside it), listens on that socket only, and runs as the
    ``postgres`` OS user when this process is root: :meth:`start`, :meth:`shutdown` and
    :meth:`stop` (shut down and removed) manage it."""

    def __init__(self, conninfo: str, *, base_dir: Path | None = None) -> None:
        self.admin_conninfo = conninfo
        self.base_dir = base_dir  # set for a server of a directory (removed by stop())

    @classmethod
    def of_directory(cls, base_dir: Path | str, port: int) -> Self:
        """The server whose data directory is ``base_dir/data``, listening on ``port`` on a socket
        in ``base_dir`` (made by :meth:`initdb`, running or not)."""
        base = Path(base_dir)
        return cls(make_conninfo(host=str(base), port=port, user="postgres", dbname="postgres"), base_dir=base)

    @classmethod
    def initdb(cls, base_dir: Path | str, port: int, settings: dict[str, str], *,
               include: str | None = None) -> Self:
        """A new cluster in ``base_dir`` (initdb, trust authentication, UTF8, superuser
        ``postgres``), not started: ``settings`` are appended to its postgresql.conf after the
        socket and port, and ``include`` (a configuration text) is written to its data directory
        and included before them."""
        server = cls.of_directory(base_dir, port)
        assert server.base_dir is not None
        if server.data_dir.exists():
            raise RuntimeError(f"{server.data_dir} exists: refusing to overwrite a cluster")
        server.base_dir.mkdir(parents=True, exist_ok=True)
        give_to_postgres(server.base_dir)
        server.base_dir.chmod(0o755)
        subprocess.run([*as_postgres(), str(pg_bindir() / "initdb"), "-D", str(server.data_dir), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
        conf = ""
        if include is not None:
            # The server reads it from its own data directory: the caller's files may live
            # where the postgres OS user cannot read (a root home directory).
            (server.data_dir / "included.conf").write_text(include)
            give_to_postgres(server.data_dir / "included.conf")
            conf += "\ninclude 'included.conf'\n"
        options = {"listen_addresses": "''", "unix_socket_directories": f"'{server.base_dir}'", "port": str(port),
                   **settings}
        conf += "".join(f"{k} = {v}\n" for k, v in options.items())
        with (server.data_dir / "postgresql.conf").open("a") as f:
            f.write(conf)
        return server

    @classmethod
    def throwaway(cls, settings: dict[str, str] | None = None, *, prefix: str = "eventstore-pytest-",
                  port_from: int = 56000, include: str | None = None, outlive: bool = False) -> Self:
        """A new cluster in a temporary directory on a free port, started: with
        THROWAWAY_SETTINGS unless ``settings`` are given (then those alone). Unless told to
        outlive this process, it is stopped and removed when this process ends, however it ends."""
        base = Path(tempfile.mkdtemp(prefix=prefix))
        server = cls.initdb(base, free_port(port_from), THROWAWAY_SETTINGS if settings is None else settings,
                            include=include)
        if not outlive:  # removed when this process ends, even if it is killed (a cancelled CI job)
            remove_with_this_process(server.data_dir, base)
        try:
            server.start()
        except BaseException:
            server.stop()
            raise
        return server

    def conninfo(self, dbname: str, user: str | None = None) -> str:
        params = conninfo_to_dict(self.admin_conninfo)
        params["dbname"] = dbname
        if user is not None:
            params["user"] = user
        return make_conninfo(**{k: str(v) for k, v in params.items()})

    @property
    def data_dir(self) -> Path:
        if self.base_dir is None:
            raise ValueError("a server named by its connection string has no data directory here")
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "server.log"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_postgres(), str(pg_bindir() / "pg_ctl"), "-D", str(self.data_dir), *args],
                              check=check, capture_output=True, text=True)

    def start(self) -> None:
        """Starts the server of the directory and waits until it accepts connections."""
        self._pg_ctl("-l", str(self.log_file), "-w", "-t", "60", "start")

    def shutdown(self, mode: str = "fast") -> None:
        """Stops the server of the directory (``immediate``: without a shutdown checkpoint, as a
        crash; the next start recovers from the WAL). The directory stays."""
        self._pg_ctl("-m", mode, "-w", "stop", check=False)

    def is_running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def stop(self) -> None:
        """Stops a server this module made, at once, and removes its directory (a server named
        by its connection string is left as it is)."""
        if self.base_dir is None:
            return
        if self.data_dir.is_dir():
            self.shutdown("immediate")
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
