"""A pg_auto_failover formation with the store deployed (docs/high-availability.md): a monitor, a
primary and standbys, on one machine (local ports) or, with the same steps, on several.

    scripts/formation up DIR [--port 59000] [--standbys 2] [--without-sqitch]
    scripts/formation state DIR        the nodes, their states, the client's conninfo
    scripts/formation down DIR         stops every process of the formation, removes DIR

Everything runs as the ``postgres`` OS user (initdb refuses root), with pg_autoctl's
configuration and state under DIR (XDG_* point there), so that formations do not meet.

The choices, argued in docs/high-availability.md:
- Two standbys, both in the replication quorum, ``number_sync_standbys = 1``: the primary
  acknowledges a commit once one standby has applied it (``synchronous_standby_names = 'ANY 1
  (...)'``, ``synchronous_commit = remote_apply``: see docs/high-availability.md for why not ``on``),
  so a lost primary loses no acknowledged append; with one standby left the primary still
  waits for it, and writes stop only when no standby is left (pg_auto_failover then keeps
  them stopped rather than acknowledge what only one server has, unless told otherwise).
- Equal candidate priorities: the most advanced standby is promoted.
- Timings for a failover within about ten seconds: the monitor checks every node each second
  (1 s timeout, one retry), a node is unhealthy after 3 s, and the monitor waits 3 s for a
  failed primary to demote itself before it promotes a standby; a keeper that cannot reach the
  monitor nor a standby for 3 s considers itself partitioned and demotes. A short demotion
  wait is safe here: the standbys stop replicating from the old primary before the wait, so
  an old primary still alive cannot acknowledge a commit (it has no synchronous standby).
  Defaults (5 s checks, 20 s unhealthy, 30 s demotion) give about 50 s.
- The store's server settings (docker/eventstore.conf: pg_cron on every node, in database
  ``eventstore``) are in the first node's postgresql.conf before its first start, so every
  standby (pg_basebackup) has them; pg_cron runs jobs on the primary only.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from eventstore import bundle
from eventstore.testing import pg_bindir
from harness.cluster import CONF_INCLUDE

DATABASE = "eventstore"  # cron.database_name
# The monitor's health checks (milliseconds): see the module's text.
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "1000",
    "pgautofailover.health_check_max_retries": "1",
    "pgautofailover.health_check_retry_delay": "500",
    "pgautofailover.node_considered_unhealthy_timeout": "3000",
    "pgautofailover.primary_demote_timeout": "3000",
}
NETWORK_PARTITION_TIMEOUT = "3"  # seconds, each keeper
# After docker/eventstore.conf, on every data node: a formation of one machine shares its memory.
NODE_SETTINGS = """
# The event store's server settings (docker/eventstore.conf), then this formation's.
include 'eventstore.conf'
shared_preload_libraries = 'pg_stat_statements,pg_cron'
shared_buffers = '128MB'
effective_cache_size = '1GB'
maintenance_work_mem = '64MB'
wal_keep_size = '1GB'
# Acknowledge a commit once a synchronous standby has applied it, not only flushed it:
# pg_auto_failover elects by the replay position a standby reports after restarting without its
# primary, so a commit flushed but not yet replayed could be lost (docs/high-availability.md).
synchronous_commit = remote_apply
log_line_prefix = '%m [%p] %d %u '
"""


def free_ports(count: int, start: int) -> int:
    """The first of ``count`` consecutive ports from ``start`` nothing listens on (a formation's:
    the monitor, then each data node)."""
    for first in range(start, start + 2000, 10):
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} free ports from {start}")


def answers(conninfo: str) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute("SELECT true").fetchone() == (True,)


class Formation:
    """The formation in ``base`` (monitor on ``port``, data nodes node1, node2, ... on the ports
    after it)."""

    def __init__(self, base: Path | str, port: int = 59000, standbys: int = 2) -> None:
        self.base = Path(base).resolve()
        self.port = port
        self.nodes = [f"node{i}" for i in range(1, standbys + 2)]
        self.bindir = pg_bindir()

    # -- running pg_autoctl as the postgres OS user ------------------------------------------

    def env(self) -> dict[str, str]:
        xdg = self.base / "xdg"
        return {"PATH": f"{self.bindir}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.base), "LANG": "C.UTF-8",
                "XDG_CONFIG_HOME": str(xdg / "config"), "XDG_DATA_HOME": str(xdg / "data"),
                "XDG_RUNTIME_DIR": str(xdg / "run"), "PG_CONFIG": str(self.bindir / "pg_config")}

    def _as_postgres(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args

    def autoctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self._as_postgres(["pg_autoctl", *args]), env=self.env(), capture_output=True,
                              text=True, timeout=300)
        if check and done.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def run_service(self, name: str, *create: str) -> None:
        """pg_autoctl's service for ``name`` in the background, in a session of its own (so that
        it outlives this process: ``down`` stops it), its log in DIR/NAME.log."""
        command = [*create, "--run"] if create else ["run", "--pgdata", str(self.base / name)]
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115 - the service's, for its lifetime
        subprocess.Popen(self._as_postgres(["pg_autoctl", *command]), env=self.env(), stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    # -- addresses ---------------------------------------------------------------------------

    def node_port(self, name: str) -> int:
        return self.port + self.nodes.index(name) + 1

    def monitor_conninfo(self, user: str = "autoctl_node") -> str:
        return f"host=127.0.0.1 port={self.port} dbname=pg_auto_failover user={user} connect_timeout=3"

    def node_conninfo(self, name: str, user: str = "postgres", dbname: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.node_port(name)} dbname={dbname} user={user} connect_timeout=3"

    def conninfo(self, user: str = "postgres", dbname: str = DATABASE, attrs: str = "read-write") -> str:
        """What a client connects with: every data node, and the kind of server it wants
        (``pg_autoctl show uri`` gives the same, as a URI)."""
        hosts = ",".join("127.0.0.1" for _ in self.nodes)
        ports = ",".join(str(self.node_port(n)) for n in self.nodes)
        return (f"host={hosts} port={ports} dbname={dbname} user={user} target_session_attrs={attrs} "
                "connect_timeout=3")

    # -- state -------------------------------------------------------------------------------

    def state(self) -> dict[str, tuple[str, str]]:
        """Each data node's (reported state, assigned state), as the monitor knows them."""
        with psycopg.connect(self.monitor_conninfo(), autocommit=True) as conn:
            rows = conn.execute("SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node "
                                "ORDER BY nodeid").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def events(self, since: float = 0.0) -> list[str]:
        """The monitor's event log (state changes and the reasons it gave), oldest first, from
        ``since`` (a ``time.time()``) on: what a failure's message shows of a failover."""
        with psycopg.connect(self.monitor_conninfo(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT to_char(eventtime, 'HH24:MI:SS.MS'), nodename, reportedstate::text, goalstate::text, "
                "reportedlsn::text, description FROM pgautofailover.event "
                "WHERE eventtime >= to_timestamp(%s) ORDER BY eventid", (since,)).fetchall()
        return [" ".join(str(c) for c in r) for r in rows]

    def primary(self) -> str | None:
        found = [n for n, (reported, goal) in self.state().items() if reported == goal == "primary"]
        return found[0] if len(found) == 1 else None

    def wait_for(self, what: str, predicate: Callable[[], bool], timeout: float = 120,
                 during: Callable[[], None] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate():
                    return
            except psycopg.Error:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"formation {self.base}: {what} not within {timeout} s: {self._state_text()}")
            if during is not None:
                during()
            time.sleep(0.5)

    def _state_text(self) -> str:
        try:
            return json.dumps(self.state()) + "; the monitor's last events:\n" + "\n".join(self.events()[-20:])
        except psycopg.Error as error:
            return f"(the monitor does not answer: {error})"

    def healthy(self, primary: str | None = None) -> bool:
        """One primary (``primary`` if given) and every other node a secondary."""
        state = self.state()
        current = self.primary()
        return (current is not None and (primary is None or current == primary)
                and all(s == ("secondary", "secondary") for n, s in state.items() if n != current))

    # -- bringing it up ----------------------------------------------------------------------

    def up(self, *, with_sqitch: bool = True) -> None:
        """Monitor, first node (the store deployed), then the standbys; waits until the formation
        is at full strength."""
        if self.base.exists() and any(self.base.iterdir()):
            raise RuntimeError(f"{self.base} is not empty: refusing to make a formation there")
        self.base.mkdir(parents=True, exist_ok=True)
        for sub in ("xdg/config", "xdg/data", "xdg/run"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            for path in [self.base, *self.base.rglob("*")]:
                os.chown(path, pg.pw_uid, pg.pw_gid)
        self.base.chmod(0o755)

        self.autoctl("create", "monitor", "--pgdata", str(self.base / "monitor"), "--pgport", str(self.port),
                     "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", str(self.bindir / "pg_ctl"))
        self.autoctl("config", "set", "--pgdata", str(self.base / "monitor"), "postgresql.listen_addresses", "127.0.0.1")
        self.run_service("monitor")
        self.wait_for("the monitor", lambda: answers(self.monitor_conninfo()))
        with psycopg.connect(self.monitor_conninfo("postgres"), autocommit=True) as conn:
            for name, value in MONITOR_SETTINGS.items():
                conn.execute(f"ALTER SYSTEM SET {name} = {value}")
            conn.execute("SELECT pg_reload_conf()")

        first = self.nodes[0]
        self.autoctl(*self._create_node(first))
        data = self.base / first
        for name, text in (("eventstore.conf", CONF_INCLUDE.read_text()),):
            subprocess.run(self._as_postgres(["sh", "-c", f"cat > '{data / name}'"]), input=text.encode(), check=True)
        subprocess.run(self._as_postgres(["sh", "-c", f"cat >> '{data / 'postgresql.conf'}'"]),
                       input=NODE_SETTINGS.encode(), check=True)
        self.autoctl("config", "set", "--pgdata", str(data), "timeout.network_partition_timeout",
                     NETWORK_PARTITION_TIMEOUT)
        self.run_service(first)
        self.wait_for("the first node", lambda: self.state().get(first, ("", ""))[0] == "single"
                      and answers(self.node_conninfo(first)))
        bundle.deploy(self.node_conninfo(first), without_sqitch=not with_sqitch)

        for name in self.nodes[1:]:
            self.run_service(name, *self._create_node(name))
        # pg_basebackup waits for a checkpoint, spread over minutes by default: ask for one now.
        # A standby has now and then stayed in catchingup for over 300 s (CI): the tests' fixture
        # makes such a formation again rather than wait longer.
        self.wait_for("the standbys", self.healthy, timeout=180, during=lambda: self._checkpoint(first))
        for name in self.nodes[1:]:
            self.autoctl("config", "set", "--pgdata", str(self.base / name), "timeout.network_partition_timeout",
                         NETWORK_PARTITION_TIMEOUT)
            self.autoctl("reload", "--pgdata", str(self.base / name), check=False)

    def _create_node(self, name: str) -> list[str]:
        return ["create", "postgres", "--pgdata", str(self.base / name), "--pgport", str(self.node_port(name)),
                "--pgctl", str(self.bindir / "pg_ctl"), "--hostname", "127.0.0.1", "--listen", "127.0.0.1",
                "--auth", "trust", "--no-ssl", "--name", name, "--dbname", DATABASE,
                "--monitor", f"postgres://autoctl_node@127.0.0.1:{self.port}/pg_auto_failover?sslmode=disable",
                "--candidate-priority", "50", "--replication-quorum", "true"]

    def _checkpoint(self, name: str) -> None:
        try:
            with psycopg.connect(self.node_conninfo(name), autocommit=True) as conn:
                conn.execute("CHECKPOINT")
        except psycopg.Error:
            pass

    # -- failures ----------------------------------------------------------------------------

    def processes(self, name: str) -> list[int]:
        """Every process of the node: its keeper's session (pg_autoctl and the services it
        runs, which rename themselves, and the postmaster it started) and the postmaster's
        children (backends, walsenders, pg_cron's workers: each in a session of its own)."""
        rows = []
        for line in subprocess.run(["ps", "-eo", "pid,sid,ppid,args"], capture_output=True,
                                   text=True).stdout.splitlines()[1:]:
            pid, sid, ppid, *args = line.split(None, 3)
            rows.append((int(pid), int(sid), int(ppid), args[0] if args else ""))
        data = str(self.base / name)
        postmaster = self.postmaster(name)
        sessions = {sid for pid, sid, _, args in rows
                    if pid == postmaster or ("pg_autoctl" in args and data in args.split())}
        return sorted({pid for pid, sid, ppid, _ in rows
                       if sid in sessions or (postmaster is not None and ppid == postmaster)})

    def postmaster(self, name: str) -> int | None:
        try:
            pid = int((self.base / name / "postmaster.pid").read_text().split()[0])
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, IndexError, ProcessLookupError):
            return None

    def kill_postmaster(self, name: str) -> None:
        """SIGKILL of the node's postmaster alone (its keeper lives on)."""
        pid = self.postmaster(name)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)

    def lose(self, name: str) -> None:
        """The node's machine is lost: every process of it killed at once (SIGKILL), nothing
        restarted until :meth:`rejoin`."""
        for pid in self.processes(name):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def rejoin(self, name: str) -> None:
        """The node's keeper started again: it rejoins as a standby (pg_rewind when it was a
        primary)."""
        (self.base / name / "postmaster.pid").unlink(missing_ok=True)
        # The lost keeper's pidfile too: its process, killed, can stay a zombie for seconds
        # (this machine's init reaps late), and pg_autoctl takes a zombie for a running
        # keeper (kill(pid, 0) succeeds) and refuses to start.
        run = self.base / "xdg" / "run" / "pg_autoctl"
        (run / str(self.base / name).lstrip("/") / "pg_autoctl.pid").unlink(missing_ok=True)
        self.run_service(name)

    # -- taking it down ----------------------------------------------------------------------

    def leftovers(self) -> list[int]:
        """Processes still running with this formation's environment (its XDG_RUNTIME_DIR): a
        pg_autoctl service whose keeper was killed (by :meth:`lose`, or a test's end) renames
        itself and outlives its session, where :meth:`processes` no longer finds it."""
        marker = f"XDG_RUNTIME_DIR={self.base / 'xdg' / 'run'}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if marker in (entry / "environ").read_bytes().split(b"\0"):
                        found.append(int(entry.name))
                except OSError:
                    pass  # gone, or not ours to read
        return found

    def down(self) -> None:
        for name in [*self.nodes, "monitor"]:
            for pid in self.processes(name):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/formation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "state", "down"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--port", type=int, default=59000, help="the monitor's port; data nodes take the next ones")
    parser.add_argument("--standbys", type=int, default=2)
    parser.add_argument("--without-sqitch", action="store_true", help="deploy through psql (a throwaway formation)")
    args = parser.parse_args(argv)
    formation = Formation(args.dir, args.port, args.standbys)
    if args.command == "up":
        formation.up(with_sqitch=not args.without_sqitch)
    if args.command == "down":
        formation.down()
        return 0
    for name, (reported, goal) in formation.state().items():
        print(f"{name:8} port {formation.node_port(name)}  {reported:>14} (assigned {goal})")
    print(f"clients connect with: {formation.conninfo(user='YOUR_ROLE')}")
    print(f"read traffic: {formation.conninfo(user='YOUR_ROLE', attrs='prefer-standby')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
