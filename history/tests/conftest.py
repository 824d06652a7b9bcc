"""Fixtures of the history's tests: the session's cluster (the repository's conftest.py), the
tests' login roles, and an empty database per test (each test deploys the v3 plan itself)."""

from __future__ import annotations

import uuid

import pytest

from harness.cluster import Cluster
from tests.conftest import LOGIN_ROLES, Database


@pytest.fixture(scope="session")
def login_roles(cluster: Cluster) -> None:
    """The login roles the tests connect as, in the group roles a deploy would make (made here
    first when this worker deployed nothing yet; a deploy keeps roles that exist)."""
    with cluster.connect("postgres") as conn:
        for login, group in LOGIN_ROLES.items():
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone():
                conn.execute(f"CREATE ROLE {group} NOLOGIN")
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {group}")


@pytest.fixture
def empty_db(cluster: Cluster, login_roles: None):
    name = f"history_{uuid.uuid4().hex[:12]}"
    cluster.create_database(name)
    try:
        yield Database(cluster, name)
    finally:
        cluster.drop_database(name)
