"""A real pgbouncer in front of a throwaway cluster, for the tests of what works behind a pooler.

pgbouncer (the Debian package, 1.18 on Debian 12) runs as the postgres OS user when the caller
is root, listens on 127.0.0.1 on a free port, and forwards every database name to the
cluster's socket. Authentication is ``trust`` with the given users in its auth file (the test
cluster trusts local connections too).
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

from harness.cluster import Cluster, free_port


class PgBouncer:
    def __init__(self, cluster: Cluster, users: list[str], pool_mode: str = "transaction", pool_size: int = 2):
        self.cluster = cluster
        self.dir = Path(tempfile.mkdtemp(prefix="eventstore-pgbouncer-"))
        self.port = free_port(cluster.port + 1000)
        self.pid_file = self.dir / "pgbouncer.pid"
        self.log_file = self.dir / "pgbouncer.log"
        ini = self.dir / "pgbouncer.ini"
        (self.dir / "users.txt").write_text("".join(f'"{u}" ""\n' for u in users))
        ini.write_text(f"""[databases]
* = host={cluster.socket_dir} port={cluster.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir / "users.txt"}
pool_mode = {pool_mode}
default_pool_size = {pool_size}
max_client_conn = 100
pidfile = {self.pid_file}
logfile = {self.log_file}
""")
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            for path in (self.dir, ini, self.dir / "users.txt"):
                os.chown(path, pg.pw_uid, pg.pw_gid)
        cmd = ["pgbouncer", "-d", str(ini)]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        self._wait_ready(users[0])

    def conninfo(self, dbname: str, user: str) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={user}"

    def _wait_ready(self, user: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.conninfo("postgres", user), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not come up: {self.log()}") from None
                time.sleep(0.1)

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def stop(self) -> None:
        if self.pid_file.exists():
            try:
                os.kill(int(self.pid_file.read_text().strip()), 15)
            except (ProcessLookupError, ValueError):
                pass
            deadline = time.monotonic() + 10
            while self.pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)
