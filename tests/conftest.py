"""Fixtures: one throwaway cluster per session, the bundle deployed once with sqitch into a
template database, and a fresh clone of it for every test.

The cluster runs as the postgres OS user (harness/cluster.py); it loads pg_cron with
cron.database_name = 'eventstore', which therefore cannot be a template: tests that need
real pg_cron jobs use the ``cron_db`` fixture instead of ``db``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import psycopg
import pytest

from eventstore.testing import Server, clone, drop
from harness.cluster import CRON_DATABASE, Cluster, throwaway_cluster

# The package's own pytest plugin (what application developers use): its fixtures run on this
# session's cluster and template (the overrides below), and `db` clones the way it does.
pytest_plugins = ["eventstore.pytest_plugin"]

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


@pytest.fixture(scope="session")
def cluster():
    c = throwaway_cluster("eventstore-test-")
    yield c
    if os.environ.get("EVENTSTORE_KEEP_CLUSTER"):
        print(f"\nkept the test cluster: {c.conninfo(CRON_DATABASE)}")
        return
    c.destroy()


@pytest.fixture(scope="session")
def template_db(cluster: Cluster) -> str:
    cluster.create_database(TEMPLATE)
    cluster.deploy_all(TEMPLATE)
    with cluster.connect("postgres") as conn:
        for login, group in LOGIN_ROLES.items():
            conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {group}")
    return TEMPLATE


@pytest.fixture(scope="session")
def eventstore_server(cluster: Cluster) -> Server:
    """The plugin's server is this session's cluster (not one of its own)."""
    return Server(cluster.conninfo("postgres"))


@pytest.fixture(scope="session")
def eventstore_template(template_db: str) -> str:
    """The plugin's template is this session's (core and Order example deployed with sqitch)."""
    return template_db


@pytest.fixture
def db(cluster: Cluster, eventstore_server: Server, template_db: str):
    """A fresh database with the bundle deployed, dropped after the test."""
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
        c.destroy()
