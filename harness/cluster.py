"""A throwaway PostgreSQL cluster with pg_cron and pgTAP, run as the postgres OS user.

PostgreSQL refuses to run as root, and CI runs as root: when this process is root, every
server-side command (initdb, pg_ctl) runs through ``runuser -u postgres`` (eventstore.testing,
whose Server this module's Cluster is). Clients (psql,
sqitch, pg_prove, psycopg) run as the current user and connect over the Unix socket with
trust authentication, as the ``postgres`` database superuser.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

# One way to find the server binaries and a free port, and to make, start and stop a cluster:
# the package's (what an application's tests use).
from eventstore.bundle import group_roles_sql  # noqa: F401 - the harness's tests take it from here
from eventstore.testing import Server, as_postgres, free_port, give_to_postgres, pg_bindir  # noqa: F401
from harness.sqitch_plan import release_plan

REPO = Path(__file__).resolve().parent.parent
# sqitch projects: the core bundle and the Order example that builds on it, and the v3 plans
# that built both (history/: frozen, for upgrades of older databases and their tests).
TALLY_SQL = REPO / "harness" / "tally.sql"
PROJECTS = {"eventstore": REPO, "orders": REPO / "examples" / "orders",
            "history": REPO / "history", "orders-history": REPO / "examples" / "orders" / "history"}
CONF_INCLUDE = REPO / "docker" / "eventstore.conf"
CRON_DATABASE = "eventstore"  # cron.database_name in docker/eventstore.conf


# What a throwaway cluster of the harness runs with, after the event store's settings (the
# shared include): durability against an OS crash is not needed (fsync off), but a server crash
# (pg_ctl stop -m immediate) must keep every acknowledged commit (synchronous_commit stays on).
SETTINGS = {
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    # tests/test_prepared_transactions.py leaves a prepared transaction holding the horizon.
    "max_prepared_transactions": "8",
    "log_min_messages": "warning",
    "log_line_prefix": "'%m [%p] %d %u '",
}


class Cluster(Server):
    """A server of the package's test machinery (eventstore.testing.Server: one way to make,
    start and stop a cluster), with what the harness's tests, benchmarks and scripts do with it:
    run psql and sqitch, deploy, crash, make a standby."""

    @classmethod
    def make(cls, base_dir: Path | str, port: int, extra_settings: dict[str, str] | None = None) -> Cluster:
        """initdb in ``base_dir`` with the event store's settings and the harness's, not started."""
        return cls.initdb(base_dir, port, {**SETTINGS, **(extra_settings or {})}, include=CONF_INCLUDE.read_text())

    @property
    def bindir(self) -> Path:
        return pg_bindir()

    @property
    def port(self) -> int:
        return int(conninfo_to_dict(self.admin_conninfo)["port"])  # type: ignore[arg-type]

    @property
    def socket_dir(self) -> Path:
        return Path(str(conninfo_to_dict(self.admin_conninfo)["host"]))

    def crash(self) -> None:
        """Stop without a shutdown checkpoint: the next start recovers from the WAL."""
        self.shutdown("immediate")

    def make_standby(self, base_dir: Path | str, port: int) -> Cluster:
        """A hot standby of this cluster (pg_basebackup -R: streaming replication), started."""
        standby = Cluster.of_directory(base_dir, port)
        assert standby.base_dir is not None
        standby.base_dir.mkdir(parents=True, exist_ok=True)
        give_to_postgres(standby.base_dir)
        standby.base_dir.chmod(0o755)
        subprocess.run([*as_postgres(), str(pg_bindir() / "pg_basebackup"), "-D", str(standby.data_dir), "-R",
                        "-X", "stream", "-c", "fast", "-h", str(self.socket_dir), "-p", str(self.port),
                        "-U", "postgres"], check=True, capture_output=True)
        # The copied postgresql.conf names the primary's port and socket: the last setting wins.
        with (standby.data_dir / "postgresql.conf").open("a") as f:
            f.write(f"\nport = {port}\nunix_socket_directories = '{standby.socket_dir}'\nhot_standby = on\n")
        standby.start()
        standby.wait_ready()
        return standby

    # -- clients ------------------------------------------------------------------------

    def env(self, dbname: str | None = None, user: str = "postgres") -> dict[str, str]:
        env = dict(os.environ, PGHOST=str(self.socket_dir), PGPORT=str(self.port), PGUSER=user)
        if dbname:
            env["PGDATABASE"] = dbname
        return env

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
        r = subprocess.run([str(pg_bindir() / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-d", dbname, *args],
                           env=self.env(), capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"psql failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r


def throwaway_cluster(prefix: str, port_from: int = 55432, extra_settings: dict[str, str] | None = None,
                      cron_database: bool = True, outlive: bool = False) -> Cluster:
    """The one way a throwaway cluster of the harness is made (tests, benchmarks, schema
    snapshot): Server.throwaway with the event store's settings and the harness's, ready, with
    pg_cron's database unless told otherwise. The caller stops it (stop(): removed too); unless
    told to outlive this process, it is stopped and removed when the process ends, however it
    ends."""
    c = Cluster.throwaway({**SETTINGS, **(extra_settings or {})}, prefix=prefix, port_from=port_from,
                          include=CONF_INCLUDE.read_text(), outlive=outlive)
    try:
        c.wait_ready()
        if cron_database:
            c.create_database(CRON_DATABASE)
    except BaseException:
        c.stop()
        raise
    return c
