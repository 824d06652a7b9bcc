"""A throwaway PostgreSQL cluster with pg_cron and pgTAP, run as the postgres OS user.

PostgreSQL refuses to run as root, and CI runs as root: when this process is root, every
server-side command (initdb, pg_ctl) runs through ``runuser -u postgres``. Clients (psql,
sqitch, pg_prove, psycopg) run as the current user and connect over the Unix socket with
trust authentication, as the ``postgres`` database superuser.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

# One way to find the server binaries and a free port, the package's (a test server of its own).
from eventstore.testing import free_port, pg_bindir, remove_with_this_process  # noqa: F401 - re-exported
from harness.sqitch_plan import release_plan

REPO = Path(__file__).resolve().parent.parent
# sqitch projects: the core bundle and the Order example that builds on it, and the v3 plans
# that built both (history/: frozen, for upgrades of older databases and their tests).
TALLY_SQL = REPO / "harness" / "tally.sql"
PROJECTS = {"eventstore": REPO, "orders": REPO / "examples" / "orders",
            "history": REPO / "history", "orders-history": REPO / "examples" / "orders" / "history"}
CONF_INCLUDE = REPO / "docker" / "eventstore.conf"
CRON_DATABASE = "eventstore"  # cron.database_name in docker/eventstore.conf


def group_roles_sql() -> str:
    """The statements of deploy/baseline.sql that make the four group roles (what a restore into
    another cluster needs first, README "Backups and restores")."""
    text = (REPO / "deploy" / "baseline.sql").read_text()
    start = text.index("DO $$")
    end = text.index("\n", text.index("COMMENT ON ROLE eventstore_admin"))
    return text[start:end + 1]


class Cluster:
    """One throwaway cluster in ``base_dir`` listening on a socket in ``base_dir``."""

    def __init__(self, base_dir: Path | str, port: int, extra_settings: dict[str, str] | None = None):
        self.base_dir = Path(base_dir)
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir
        self.log_file = self.base_dir / "server.log"
        self.port = port
        self.bindir = pg_bindir()
        self.extra_settings = extra_settings or {}

    # -- running server-side commands as the postgres OS user -------------------------

    def _server_cmd(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def _run_server_cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(self._server_cmd(*args), check=check, capture_output=True, text=True)

    # -- lifecycle ----------------------------------------------------------------------

    def init(self) -> None:
        """initdb, then the event store's settings (the shared include) and test settings."""
        if self.data_dir.exists():
            raise RuntimeError(f"{self.data_dir} exists: refusing to overwrite a cluster")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.base_dir, pg.pw_uid, pg.pw_gid)
        self.base_dir.chmod(0o755)
        self._run_server_cmd(str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                             "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        # The server reads the include from its own data directory: the repository may
        # live where the postgres OS user cannot read (a root home directory).
        include = self.data_dir / "eventstore.conf"
        self._write_as_postgres(include, CONF_INCLUDE.read_text())
        settings = {
            "port": str(self.port),
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            # A throwaway cluster: durability against an OS crash is not needed (a
            # server crash, pg_ctl stop -m immediate, still recovers from the WAL).
            "fsync": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            # tests/test_hardening.py leaves a prepared transaction holding the horizon.
            "max_prepared_transactions": "8",
            "log_min_messages": "warning",
            "log_line_prefix": "'%m [%p] %d %u '",
        }
        settings.update(self.extra_settings)
        conf = "\ninclude 'eventstore.conf'\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
        self._append_as_postgres(self.data_dir / "postgresql.conf", conf)

    def _write_as_postgres(self, path: Path, text: str) -> None:
        path.write_text(text)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(path, pg.pw_uid, pg.pw_gid)

    def _append_as_postgres(self, path: Path, text: str) -> None:
        with path.open("a") as f:
            f.write(text)

    def start(self) -> None:
        self._run_server_cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                             "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run_server_cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w",
                             "stop", check=False)

    def crash(self) -> None:
        """Stop without a shutdown checkpoint: the next start recovers from the WAL."""
        self.stop("immediate")

    def is_running(self) -> bool:
        r = self._run_server_cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "status", check=False)
        return r.returncode == 0

    def destroy(self) -> None:
        if self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def make_standby(self, base_dir: Path | str, port: int) -> "Cluster":
        """A hot standby of this cluster (pg_basebackup -R: streaming replication), started."""
        standby = Cluster(base_dir, port)
        standby.base_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(standby.base_dir, pg.pw_uid, pg.pw_gid)
        standby.base_dir.chmod(0o755)
        self._run_server_cmd(str(self.bindir / "pg_basebackup"), "-D", str(standby.data_dir), "-R",
                             "-X", "stream", "-c", "fast", "-h", str(self.socket_dir), "-p", str(self.port),
                             "-U", "postgres")
        # The copied postgresql.conf names the primary's port and socket: the last setting wins.
        standby._append_as_postgres(standby.data_dir / "postgresql.conf",
                                    f"\nport = {port}\nunix_socket_directories = '{standby.socket_dir}'\n"
                                    "hot_standby = on\n")
        standby.start()
        standby.wait_ready()
        return standby

    # -- clients ------------------------------------------------------------------------

    def env(self, dbname: str | None = None, user: str = "postgres") -> dict[str, str]:
        env = dict(os.environ, PGHOST=str(self.socket_dir), PGPORT=str(self.port), PGUSER=user)
        if dbname:
            env["PGDATABASE"] = dbname
        return env

    def conninfo(self, dbname: str, user: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} dbname={dbname} user={user}"

    def connect(self, dbname: str, user: str = "postgres", autocommit: bool = True, **kw) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(dbname, user), autocommit=autocommit, **kw)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect("postgres") as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def execute(self, dbname: str, sql: str, params=None) -> list[tuple]:
        with self.connect(dbname) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def create_database(self, name: str, template: str | None = None) -> None:
        with self.connect("postgres") as conn:
            q = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            conn.execute(q)

    def drop_database(self, name: str) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def sqitch(self, *args: str, dbname: str, check: bool = True, project: str = "eventstore") -> subprocess.CompletedProcess:
        """Run sqitch against ``dbname`` (db:pg:dbname, libpq env) for the core bundle or, with
        project="orders", for the example project examples/orders ("history", "orders-history":
        their v3 plans)."""
        r = subprocess.run(["sqitch", *args, f"db:pg:{dbname}"], cwd=PROJECTS[project], env=self.env(),
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"sqitch {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def deploy_all(self, dbname: str) -> str:
        """Deploy the core bundle, then the Order example on it (what the demo and the example's
        tests use)."""
        return self.sqitch("deploy", dbname=dbname).stdout + self.sqitch("deploy", dbname=dbname, project="orders").stdout

    def deploy_release(self, dbname: str, tag: str) -> str:
        """The core as release ``tag`` had it, deployed with the plan that has the tag (the v3
        plan in history/, or the current one)."""
        return self.sqitch("deploy", "--to", f"@{tag}", dbname=dbname, project=release_plan(tag)).stdout

    def deploy_with_tallies(self, dbname: str) -> str:
        """Deploy the core bundle with sqitch, then the core tests' and benches' own fixture
        domain (harness/tally.sql) on it: what the core is tested and measured with."""
        out = self.sqitch("deploy", dbname=dbname).stdout
        self.psql(dbname, "-q", "-f", str(TALLY_SQL))
        return out

    def psql(self, dbname: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run([str(self.bindir / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-d", dbname, *args],
                           env=self.env(), capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"psql failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r


def throwaway_cluster(prefix: str, port_from: int = 55432, extra_settings: dict[str, str] | None = None,
                      cron_database: bool = True, outlive: bool = False) -> Cluster:
    """The one way a throwaway cluster is made (tests, benchmarks, schema snapshot): a fresh
    temporary directory, initdb with the event store's settings, started and ready, with
    pg_cron's database unless told otherwise. The caller destroys it; unless told to outlive this
    process, it is stopped and removed when the process ends, however it ends."""
    c = Cluster(tempfile.mkdtemp(prefix=prefix), free_port(port_from), extra_settings)
    c.init()
    if not outlive:  # removed when this process ends, even if it is killed (a cancelled CI job)
        remove_with_this_process(c.data_dir, c.base_dir)
    c.start()
    try:
        c.wait_ready()
        if cron_database:
            c.create_database(CRON_DATABASE)
    except BaseException:
        c.destroy()
        raise
    return c
