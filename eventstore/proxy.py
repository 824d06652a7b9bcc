"""The endpoint of a sharded store (docs/sharding.md): one database whose ``api`` routes each call
to the shard that holds its stream, with PL/Proxy.

    python -m eventstore proxy deploy PROXY_CONNINFO --shard CONNINFO --shard CONNINFO ...

The shards are stores already (the bundle deployed), given in order: the i-th is partition i
of PL/Proxy's cluster ``eventstore``, the shard of the streams whose ``hashtext(stream id) &
(shards - 1)`` is i. Their number is a power of two. The proxy database must be empty (no
schema ``api``); :func:`deploy` then creates, in one transaction: the store's group roles (when
the proxy's cluster lacks them), the ``plproxy`` extension, the cluster (a foreign server with
one ``pN`` option per shard) and a user mapping for PUBLIC that names no user, so that PL/Proxy
connects to a shard as the calling role (the shard checks its rights; no password is kept on
the proxy), and the endpoint's functions (eventstore/proxy.sql). Deploying again over the same
shards changes nothing; over other shards it is refused (a reshard is a procedure of its own:
docs/sharding.md).

    python -m eventstore proxy reshard PROXY_CONNINFO --shard CONNINFO ... (all of them, in order)

:func:`reshard` is the last step of going from N shards to a multiple of N (docs/sharding.md):
with writes stopped, each new shard i (N <= i) was made a physical copy of shard i mod N
(pg_basebackup, then promoted), so that it holds the streams that now hash to it; the endpoint
then routes to all of them. Each shard reads only its own streams from then on
(``api.read_log_split``), and a reader's cursor from before goes on (repeated).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from eventstore.bundle import group_roles_sql

__all__ = ["ProxyRefused", "deploy", "reshard", "shard_conninfos"]

PROXY_SQL = Path(__file__).resolve().parent / "proxy.sql"
CLUSTER = "eventstore"  # PL/Proxy's cluster, the foreign server's name
# A shard holds the bundle of this package when it has the functions the endpoint targets.
SHARD_FUNCTIONS = ("api.call_append_events", "api.call_append_events_idempotent", "api.read_log_split")


class ProxyRefused(RuntimeError):
    """The endpoint was not deployed: what was asked cannot hold (the reason is the message)."""


def _value(conn: psycopg.Connection[Any], query: str, params: Sequence[Any] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None, query  # each query here returns one row
    return row[0]


def shard_conninfos(conn: psycopg.Connection[Any]) -> list[str] | None:
    """The shards an endpoint routes to, in order (None: no endpoint in this database)."""
    row = conn.execute("SELECT srvoptions FROM pg_catalog.pg_foreign_server WHERE srvname = %s",
                       (CLUSTER,)).fetchone()
    if row is None:
        return None
    options = dict(option.split("=", 1) for option in row[0] or [])
    count = sum(1 for key in options if key[:1] == "p" and key[1:].isdigit())
    return [options[f"p{i}"] for i in range(count)]


def _connect_shard(conninfo: str, user: str | None) -> psycopg.Connection[Any]:
    """A shard reached as the proxy's server will reach it, as ``user`` (the deploying role)
    where its conninfo names none."""
    if user is not None and "user" not in conninfo_to_dict(conninfo):
        conninfo = make_conninfo(conninfo, user=user)
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)


def _check_shards(shards: Sequence[str], user: str | None) -> None:
    """Refuses shards that are not a power of two, do not answer or lack the bundle."""
    if len(shards) < 1 or len(shards) & (len(shards) - 1):
        raise ProxyRefused(f"the number of shards must be a power of two (1, 2, 4, ...), got {len(shards)}")
    if len(set(shards)) != len(shards):
        raise ProxyRefused("a shard is named twice")
    for i, conninfo in enumerate(shards):
        try:
            with _connect_shard(conninfo, user) as conn:
                missing = [name for name in SHARD_FUNCTIONS
                           if _value(conn, "SELECT pg_catalog.to_regproc(%s) IS NULL", (name,))]
        except psycopg.Error as error:
            raise ProxyRefused(f"shard {i} ({conninfo}) does not answer: {error}") from error
        if missing:
            raise ProxyRefused(f"shard {i} ({conninfo}) does not hold this package's bundle (no {', '.join(missing)}): "
                               "deploy it there first (python -m eventstore deploy)")


def deploy(proxy_conninfo: str, shards: Sequence[str], *, statement_timeout: str = "30s") -> str:
    """Deploy the endpoint into the database of ``proxy_conninfo`` (a superuser's connection: it
    creates an extension, a foreign server and roles) over ``shards``, in order. Returns what it
    did. ``statement_timeout`` becomes the proxy database's: a shard that hangs fails its calls
    after that long (57014) instead of holding them (a shard that is down fails them at once).
    Raises :class:`ProxyRefused` when the shards are not a power of two, do not answer or lack
    the bundle, or when the database holds an endpoint over other shards, or other objects."""
    shards = list(shards)
    with psycopg.connect(proxy_conninfo, autocommit=True) as conn:
        existing = shard_conninfos(conn)
        if existing is not None:
            if existing == shards:
                return f"the endpoint over these {len(shards)} shards is deployed already: nothing to do"
            raise ProxyRefused(f"this database routes to {len(existing)} other shards already ({existing}): "
                               "moving streams between shards is a reshard (docs/sharding.md), not a deploy")
        if _value(conn, "SELECT pg_catalog.to_regnamespace('api') IS NOT NULL"):
            raise ProxyRefused("this database has a schema api: deploy the endpoint into an empty database")
        _check_shards(shards, conn.info.user)
        options = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(f"p{i}"), sql.Literal(conninfo))
                                     for i, conninfo in enumerate(shards))
        dbname = _value(conn, "SELECT pg_catalog.current_database()")
        with conn.transaction():
            conn.execute(group_roles_sql())
            conn.execute("CREATE EXTENSION IF NOT EXISTS plproxy")
            conn.execute(sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER plproxy OPTIONS ({})")
                         .format(sql.Identifier(CLUSTER), options))
            conn.execute(sql.SQL("CREATE USER MAPPING FOR PUBLIC SERVER {}").format(sql.Identifier(CLUSTER)))
            conn.execute(sql.SQL("GRANT USAGE ON FOREIGN SERVER {} TO eventstore_reader")
                         .format(sql.Identifier(CLUSTER)))
            conn.execute(PROXY_SQL.read_text())
            conn.execute(sql.SQL("ALTER DATABASE {} SET statement_timeout = {}")
                         .format(sql.Identifier(dbname), sql.Literal(statement_timeout)))
    return f"deployed the endpoint over {len(shards)} shards into {dbname}"


def _system_identifier(conninfo: str, user: str | None) -> tuple[int, bool]:
    with _connect_shard(conninfo, user) as conn:
        row = conn.execute("SELECT system_identifier, pg_catalog.pg_is_in_recovery() "
                           "FROM pg_catalog.pg_control_system()").fetchone()
        assert row is not None
        return int(row[0]), bool(row[1])


def reshard(proxy_conninfo: str, shards: Sequence[str]) -> str:
    """Route the endpoint of ``proxy_conninfo`` to ``shards``: the shards it routes to now, in
    their order, then the new ones, each a promoted physical copy of shard ``i mod N`` (checked:
    the same system identifier, out of recovery). Raises :class:`ProxyRefused` otherwise; run
    again, changes nothing."""
    shards = list(shards)
    with psycopg.connect(proxy_conninfo, autocommit=True) as conn:
        existing = shard_conninfos(conn)
        if existing is None:
            raise ProxyRefused("this database is not a sharded store's endpoint: deploy one first")
        if existing == shards:
            return f"the endpoint routes to these {len(shards)} shards already: nothing to do"
        before = len(existing)
        if shards[:before] != existing or len(shards) % before or len(shards) & (len(shards) - 1):
            raise ProxyRefused(f"a reshard keeps the {before} shards in their order and adds copies of them, "
                               f"to a multiple of {before} that is a power of two; got {len(shards)} shards")
        _check_shards(shards, conn.info.user)
        user = conn.info.user
        for i in range(before, len(shards)):
            copy, in_recovery = _system_identifier(shards[i], user)
            original, _ = _system_identifier(shards[i % before], user)
            if copy != original:
                raise ProxyRefused(f"shard {i} is not a copy of shard {i % before} (system identifiers {copy} and "
                                   f"{original}): make it with pg_basebackup from that shard, writes stopped")
            if in_recovery:
                raise ProxyRefused(f"shard {i} is still a standby of shard {i % before}: promote it first")
        added = sql.SQL(", ").join(sql.SQL("ADD {} {}").format(sql.Identifier(f"p{i}"), sql.Literal(shards[i]))
                                   for i in range(before, len(shards)))
        conn.execute(sql.SQL("ALTER SERVER {} OPTIONS ({})").format(sql.Identifier(CLUSTER), added))
        # Sessions that routed by the old number of shards end: their clients connect again
        # (the package's client does by itself) and route by the new one.
        ended = _value(conn, "SELECT pg_catalog.count(pg_catalog.pg_terminate_backend(pid)) "
                             "FROM pg_catalog.pg_stat_activity "
                             "WHERE datname = pg_catalog.current_database() AND pid <> pg_catalog.pg_backend_pid()")
    return f"the endpoint routes to {len(shards)} shards (was {before}); {ended} sessions of the endpoint ended"
