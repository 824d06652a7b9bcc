"""The Order example's tests run as an application's tests would: on the store's pytest plugin
(``eventstore.pytest_plugin``, loaded by the repository's conftest.py, as an installed package
loads it), whose template gets the store and then this project (the ini option
``eventstore_sqitch_projects`` names examples/orders), and a fresh clone per test.

They connect as login roles of the store's group roles, made once per server."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest

from eventstore.testing import Server

LOGIN_ROLES = {
    "es_reader": "eventstore_reader",
    "es_writer": "eventstore_writer",
    "es_projector": "eventstore_projector",
    "es_admin": "eventstore_admin",
}


@pytest.fixture(scope="session")
def login_roles(eventstore_server: Server, eventstore_template: str) -> None:
    with psycopg.connect(eventstore_server.admin_conninfo, autocommit=True) as conn:
        for login, group in LOGIN_ROLES.items():
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {group}")


@dataclass
class Database:
    server: Server
    name: str

    def connect(self, user: str = "postgres", autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(self.server.conninfo(self.name, user=user), autocommit=autocommit)

    def execute(self, sql: str, params=None) -> list[tuple]:
        with self.connect() as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def scalar(self, sql: str, params=None):
        rows = self.execute(sql, params)
        return rows[0][0] if rows else None


@pytest.fixture
def db(eventstore, eventstore_server: Server, login_roles: None) -> Database:
    """The plugin's per-test store, as a database to connect to in a role."""
    return Database(eventstore_server, psycopg.conninfo.conninfo_to_dict(eventstore.conninfo)["dbname"])
