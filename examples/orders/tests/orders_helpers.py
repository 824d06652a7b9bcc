"""Helpers of the Order example's tests: the commands as a caller runs them, and the
patterns every test of a store needs (a refused call's SQLSTATE, racing threads)."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid

import psycopg
import pytest


# -- The Order commands, as a caller runs them -----------------------------------------------

def create_customer(conn, name: str = "Customer") -> uuid.UUID:
    return conn.execute("CALL api.create_customer(%s, NULL, NULL)", (name,)).fetchone()[0]


def create_order(conn, customer_id, items=(), order_id=None) -> uuid.UUID:
    return conn.execute("CALL api.create_order(%s, %s::jsonb, %s)",
                        (customer_id, json.dumps(list(items)), order_id)).fetchone()[0]


def add_item(conn, order_id, product: str = "p1", quantity: int = 1, price: float = 1.0) -> int:
    return conn.execute("CALL api.add_order_item(%s, %s, %s::integer, %s::numeric, NULL)",
                        (order_id, product, quantity, price)).fetchone()[0]


def submit_order(conn, order_id) -> int:
    return conn.execute("CALL api.submit_order(%s, NULL)", (order_id,)).fetchone()[0]


def cancel_order(conn, order_id, reason=None) -> int:
    return conn.execute("CALL api.cancel_order(%s, %s, NULL)", (order_id, reason)).fetchone()[0]


def run_projections_until_idle(conn) -> int:
    total = 0
    while n := conn.execute("SELECT api.run_projections()").fetchone()[0]:
        total += n
    return total


@contextlib.contextmanager
def raises_sqlstate(sqlstate: str, match: str | None = None):
    with pytest.raises(psycopg.Error) as info:
        yield info
    assert info.value.sqlstate == sqlstate, f"expected SQLSTATE {sqlstate}, got {info.value.sqlstate}: {info.value}"
    if match is not None:
        assert match in str(info.value), f"{match!r} not in {str(info.value)!r}"


def race(workers, timeout: float = 60) -> list:
    """Each ``worker(barrier)`` in a thread of its own, started together; the first error is raised."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)
    errors: list[BaseException] = []

    def run(i, worker):
        try:
            results[i] = worker(barrier)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
            barrier.abort()

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
