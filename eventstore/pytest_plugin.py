"""pytest fixtures for per-test event stores (entry point ``pytest11``: loaded once the package
is installed), in the manner of pytest-postgresql (which it does not need):

- ``eventstore_server`` (session): the PostgreSQL server. The one named by ``--eventstore-dsn``
  or the environment variable ``EVENTSTORE_TEST_DSN`` (a superuser connection string), else a
  throwaway cluster made for the session (as root: run as the ``postgres`` OS user).
- ``eventstore_template`` (session): a database with the bundle deployed once, then the sqitch
  projects named by the ini option ``eventstore_sqitch_projects`` and the SQL files of
  ``eventstore_sql_files`` (paths relative to the rootdir, one per line), in that order. The
  plans' deploy scripts run through psql (eventstore.bundle: the catalog sqitch gives, in about
  a second instead of fifteen); ``eventstore_deploy_with_sqitch = true`` deploys with sqitch.
- ``eventstore`` (function): an :class:`eventstore.EventStore` on a fresh clone of the
  template (about 0.1 s), dropped after the test. ``eventstore.conninfo`` connects to it.

Two helpers for tests of code that calls the store: :func:`raises_sqlstate` (a database error
with exactly this SQLSTATE, the store's ``ZE...`` codes or your own) and :func:`race` (workers
in threads started together, for conflicts).

pg_cron runs in one database of a cluster only: in a clone, projections run when the test
runs them (``eventstore.run_projections()``), and LISTEN wake-ups come only from that.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from eventstore.client import EventStore
from eventstore.testing import Server, clone, deploy_template, drop

TEMPLATE = "eventstore_pytest_template"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--eventstore-dsn", default=None,
                     help="superuser connection string of a PostgreSQL server for the eventstore fixtures "
                          "(default: $EVENTSTORE_TEST_DSN, else a throwaway server)")
    parser.addini("eventstore_sqitch_projects", "sqitch projects deployed after the bundle (one per line)",
                  type="linelist", default=[])
    parser.addini("eventstore_sql_files", "SQL files run after them (one per line)", type="linelist", default=[])
    parser.addini("eventstore_deploy_with_sqitch", "deploy the template with sqitch (default: through psql)",
                  type="bool", default=False)


@pytest.fixture(scope="session")
def eventstore_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    dsn = request.config.getoption("--eventstore-dsn") or os.environ.get("EVENTSTORE_TEST_DSN")
    server = Server(dsn) if dsn else Server.throwaway()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def eventstore_template(eventstore_server: Server, request: pytest.FixtureRequest) -> Iterator[str]:
    root = Path(request.config.rootpath)
    name = f"{TEMPLATE}_{os.getpid()}"
    deploy_template(eventstore_server, name,
                    sqitch_projects=[root / p for p in request.config.getini("eventstore_sqitch_projects")],
                    sql_files=[root / p for p in request.config.getini("eventstore_sql_files")],
                    with_sqitch=request.config.getini("eventstore_deploy_with_sqitch"))
    try:
        yield name
    finally:
        drop(eventstore_server, name)


@pytest.fixture
def eventstore(eventstore_server: Server, eventstore_template: str) -> Iterator[EventStore]:
    name = clone(eventstore_server, eventstore_template)
    store = EventStore.connect(eventstore_server.conninfo(name), min_size=1, max_size=4)
    try:
        yield store
    finally:
        store.close()
        drop(eventstore_server, name)


@contextlib.contextmanager
def raises_sqlstate(sqlstate: str, match: str | None = None) -> Iterator[pytest.ExceptionInfo[psycopg.Error]]:
    """Expect a database error with exactly this SQLSTATE (and, given ``match``, this substring
    of its message)."""
    with pytest.raises(psycopg.Error) as info:
        yield info
    assert info.value.sqlstate == sqlstate, f"expected SQLSTATE {sqlstate}, got {info.value.sqlstate}: {info.value}"
    if match is not None:
        assert match in str(info.value), f"{match!r} not in {str(info.value)!r}"


def race(workers: list[Callable[[threading.Barrier], Any]], timeout: float = 120) -> list[Any]:
    """Run each ``worker(barrier)`` in a thread of its own; they wait on the shared barrier to
    start together. Returns their results in order; the first error of any of them is raised
    here (a failing thread must fail the test), and a thread still running after ``timeout``
    seconds too."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)
    errors: list[BaseException] = []

    def run(i: int, worker: Callable[[threading.Barrier], Any]) -> None:
        try:
            results[i] = worker(barrier)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
            barrier.abort()  # the others must not wait for this one for ever

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racing thread did not finish"
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]
    return results
