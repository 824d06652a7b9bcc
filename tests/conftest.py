"""Fixtures: one throwaway cluster per session, the bundle deployed once with sqitch into a
template database, and a fresh clone of it for every test.

The cluster runs as the postgres OS user (harness/cluster.py); it loads pg_cron with
cron.database_name = 'eventstore', which therefore cannot be a template: tests that need
real pg_cron jobs use the ``cron_db`` fixture instead of ``db``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass

import psycopg
import pytest

from eventstore.testing import Server, clone, drop
from harness.cluster import REPO, Cluster, throwaway_cluster

# The package's own pytest plugin (loaded by the repository's conftest.py, with the session's
# cluster): its fixtures run on this session's template too (the override below), and `db`
# clones the way it does.

TEMPLATE = "eventstore_template"

# Login roles the tests connect as, each a member of one group role of the bundle.
LOGIN_ROLES = {
    "es_reader": "eventstore_reader",
    "es_writer": "eventstore_writer",
    "es_projector": "eventstore_projector",
    "es_admin": "eventstore_admin",
}


@dataclass
class Database:
    cluster: Cluster
    name: str

    def connect(self, user: str = "postgres", autocommit: bool = True, **kw) -> psycopg.Connection:
        return self.cluster.connect(self.name, user=user, autocommit=autocommit, **kw)

    def execute(self, sql: str, params=None) -> list[tuple]:
        return self.cluster.execute(self.name, sql, params)

    def scalar(self, sql: str, params=None):
        rows = self.execute(sql, params)
        return rows[0][0] if rows else None


# The template, deployed with sqitch, is kept between runs as a dump (with its sqitch
# registry) and the roles the deploy made, under a key of every file the deploy reads: a run
# whose bundle is unchanged restores it in about a second instead of deploying for fifteen. A
# clean checkout (CI) has no cache and deploys.
TEMPLATE_CACHE = REPO / ".pytest_cache" / "eventstore-template"
BUNDLE_FILES = ("sqitch.plan", "sqitch.conf", "deploy", "revert", "verify", "sql", "harness/tally.sql")


def bundle_key(cluster: Cluster) -> str:
    digest = hashlib.sha256(str(cluster.bindir).encode())
    for name in BUNDLE_FILES:
        root = REPO / name
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def create_roles(cluster: Cluster, statements: list[str]) -> None:
    """The cached deploy's roles, as far as this cluster does not have them yet (the Order
    example's tests deploy the bundle into the same cluster, which makes the group roles)."""
    with cluster.connect("postgres") as conn:
        for statement in statements:
            try:
                with conn.transaction():
                    conn.execute(statement)
            except psycopg.errors.DuplicateObject:
                pass


def create_login_roles(cluster: Cluster) -> None:
    """The tests' login roles (LOGIN_ROLES), as far as the cluster lacks them."""
    with cluster.connect("postgres") as conn:
        for login, group in LOGIN_ROLES.items():
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {group}")


def deploy_template(cluster: Cluster, dbname: str = TEMPLATE) -> None:
    """Restore the cached template into ``dbname``, or deploy it there and cache it: one
    pytest-xdist worker at a time, so that after a change of the bundle one worker deploys and
    the others restore."""
    TEMPLATE_CACHE.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATE_CACHE.parent / "eventstore-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _deploy_template(cluster, dbname)


def _deploy_template(cluster: Cluster, dbname: str) -> None:
    cached = TEMPLATE_CACHE / bundle_key(cluster)
    dump, roles = cached / "template.dump", cached / "roles.sql"
    if dump.exists() and roles.exists():
        create_roles(cluster, roles.read_text().splitlines())
        subprocess.run([str(cluster.bindir / "pg_restore"), "--exit-on-error", "-d", dbname, str(dump)],
                       env=cluster.env(), check=True, capture_output=True)
        # The deploy records the cluster it ran in as the store's generation: this cluster, as
        # a deploy here would (else the first append starts a generation, as after a restore).
        cluster.execute(dbname, "UPDATE data.store_generations SET system_identifier = "
                                "(SELECT system_identifier FROM pg_catalog.pg_control_system())")
        return
    cluster.deploy_with_tallies(dbname)
    for other in TEMPLATE_CACHE.glob("*"):  # one bundle's cache at a time
        shutil.rmtree(other, ignore_errors=True)
    partial = TEMPLATE_CACHE / f"partial-{os.getpid()}"
    partial.mkdir(parents=True)
    made = subprocess.run([str(cluster.bindir / "pg_dumpall"), "--roles-only", "--no-role-passwords"],
                          env=cluster.env(), check=True, capture_output=True, text=True).stdout
    # The roles the deploy made (the group roles), not the bootstrap superuser.
    kept = [line for line in made.splitlines() if line.startswith(("CREATE ROLE", "ALTER ROLE", "GRANT"))
            and not line.startswith(("CREATE ROLE postgres", "ALTER ROLE postgres"))]
    subprocess.run([str(cluster.bindir / "pg_dump"), "-Fc", "-f", str(partial / "template.dump"), "-d", dbname],
                   env=cluster.env(), check=True, capture_output=True)
    (partial / "roles.sql").write_text("\n".join(kept) + "\n")
    partial.rename(cached)  # complete, or not there


@pytest.fixture(scope="session")
def template_db(cluster: Cluster) -> str:
    cluster.create_database(TEMPLATE)
    deploy_template(cluster)
    create_login_roles(cluster)
    return TEMPLATE


@pytest.fixture(scope="session")
def eventstore_template(template_db: str) -> str:
    """The plugin's template is this session's (the core deployed with sqitch, and the tests'
    fixture domain harness/tally.sql)."""
    return template_db


@pytest.fixture
def db(cluster: Cluster, eventstore_server: Server, template_db: str):
    """A fresh database with the bundle deployed, dropped after the test."""
    name = clone(eventstore_server, template_db)
    try:
        yield Database(cluster, name)
    finally:
        drop(eventstore_server, name)


@pytest.fixture(scope="module")
def refusing_db(cluster: Cluster, eventstore_server: Server, template_db: str):
    """One database for a module's tests of refused calls, which must write nothing: each
    asserts that the database is still empty after it (a test that wrote would fail, and so
    would the next). A clone costs about 0.3 s; a module of fifty refusals shares one."""
    name = clone(eventstore_server, template_db)
    try:
        yield Database(cluster, name)
    finally:
        drop(eventstore_server, name)


@pytest.fixture
def empty_db(cluster: Cluster, template_db: str):
    """A fresh database with nothing deployed (the group roles exist cluster-wide)."""
    name = f"empty_{uuid.uuid4().hex[:12]}"
    cluster.create_database(name)
    try:
        yield Database(cluster, name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def new_cluster():
    """A factory of extra throwaway clusters (crash and restore tests), removed afterwards."""
    made: list[Cluster] = []

    def make() -> Cluster:
        c = throwaway_cluster("eventstore-extra-", 57432 + 10 * len(made), cron_database=False)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()
