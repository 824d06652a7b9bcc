"""Helpers of the Order example's tests: the commands as a caller runs them. (A refused call's
SQLSTATE and racing threads: the package's eventstore.pytest_plugin.raises_sqlstate and race.)"""

from __future__ import annotations

import json
import uuid


# -- The Order commands, as a caller runs them -----------------------------------------------

def create_customer(conn, name: str = "Customer") -> uuid.UUID:
    return conn.execute("CALL orders.create_customer(%s, NULL, NULL)", (name,)).fetchone()[0]


def create_order(conn, customer_id, items=(), order_id=None) -> uuid.UUID:
    return conn.execute("CALL orders.create_order(%s, %s::jsonb, %s)",
                        (customer_id, json.dumps(list(items)), order_id)).fetchone()[0]


def add_item(conn, order_id, product: str = "p1", quantity: int = 1, price: float = 1.0) -> int:
    return conn.execute("CALL orders.add_order_item(%s, %s, %s::integer, %s::numeric, NULL)",
                        (order_id, product, quantity, price)).fetchone()[0]


def submit_order(conn, order_id) -> int:
    return conn.execute("CALL orders.submit_order(%s, NULL)", (order_id,)).fetchone()[0]


def cancel_order(conn, order_id, reason=None) -> int:
    return conn.execute("CALL orders.cancel_order(%s, %s, NULL)", (order_id, reason)).fetchone()[0]


def run_projections_until_idle(conn) -> int:
    total = 0
    while n := conn.execute("SELECT api.run_projections()").fetchone()[0]:
        total += n
    return total
