"""The Order commands across connections: rules, errors, concurrency, roles."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pytest

from orders_helpers import (add_item, cancel_order, create_customer, create_order, run_projections_until_idle,
                            submit_order)

from eventstore.pytest_plugin import race, raises_sqlstate


def test_an_order_lifecycle_reaches_the_query_side(db):
    with db.connect("es_writer") as w:
        customer = create_customer(w, "Ann")
        order = create_order(w, customer, [{"product_id": "p1", "quantity": 2, "price": 9.99}])
        assert add_item(w, order, "p2", 3, 0.5) == 2
        assert submit_order(w, order) == 3
        other = create_order(w, customer)
        assert cancel_order(w, other, "changed mind") == 2
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    with db.connect("es_reader") as r:
        rows = r.execute("SELECT order_id, status, total_items, total_amount FROM orders.get_customer_orders(%s)",
                         (customer,)).fetchall()
        assert [tuple(x) for x in rows] == [(other, "cancelled", 0, Decimal("0.00")),
                                            (order, "submitted", 5, Decimal("21.48"))]
        assert r.execute("SELECT order_id FROM orders.get_customer_orders(%s, 'submitted')", (customer,)).fetchall() == [(order,)]


@pytest.mark.parametrize("command,sqlstate,message", [
    ("add to submitted", "ZE009", "items can only be added to an open order"),
    ("submit twice", "ZE009", "only an open order can be submitted"),
    ("submit empty", "ZE009", "an empty order cannot be submitted"),
    ("cancel twice", "ZE009", "already cancelled"),
    ("add to cancelled", "ZE009", "is cancelled: items can only be added"),
    ("unknown order", "ZE004", "Order not found"),
    ("unknown customer", "ZE004", "Customer not found"),
    ("bad quantity", "ZE003", "it must be a whole number"),
    ("no product", "ZE003", "has no product_id"),
])
def test_command_rules(db, command, sqlstate, message):
    with db.connect("es_writer") as w:
        customer = create_customer(w)
        full = create_order(w, customer, [{"product_id": "p", "quantity": 1, "price": 1}])
        empty = create_order(w, customer)
        events_before = db.scalar("SELECT count(*) FROM data.events")
        with raises_sqlstate(sqlstate, message):
            if command == "add to submitted":
                submit_order(w, full)
                events_before += 1
                add_item(w, full)
            elif command == "submit twice":
                submit_order(w, full)
                events_before += 1
                submit_order(w, full)
            elif command == "submit empty":
                submit_order(w, empty)
            elif command == "cancel twice":
                cancel_order(w, empty)
                events_before += 1
                cancel_order(w, empty)
            elif command == "add to cancelled":
                cancel_order(w, full)
                events_before += 1
                add_item(w, full)
            elif command == "unknown order":
                add_item(w, uuid.uuid4())
            elif command == "unknown customer":
                create_order(w, uuid.uuid4())
            elif command == "bad quantity":
                create_order(w, customer, [{"product_id": "p", "quantity": 1.5, "price": 1}])
            elif command == "no product":
                create_order(w, customer, [{"quantity": 1, "price": 1}])
    assert db.scalar("SELECT count(*) FROM data.events") == events_before, "a refused command writes nothing"


def test_concurrent_commands_on_one_order_conflict_and_retry(db):
    with db.connect("es_writer") as w:
        order = create_order(w, create_customer(w))
    conflicts = []

    def add_with_retry(i):
        def worker(barrier):
            with db.connect("es_writer") as conn:
                barrier.wait()
                while True:
                    try:
                        add_item(conn, order, f"p{i}", 1, 1)
                        return
                    except psycopg.Error as exc:
                        assert exc.sqlstate == "ZE001", exc
                        conflicts.append(i)
        return worker

    race([add_with_retry(i) for i in range(8)])
    assert conflicts, "racing commands on one order conflict"
    with db.connect("es_reader") as r:
        state, version = r.execute("SELECT state, version FROM api.load_aggregate('Order', %s)", (order,)).fetchone()
    assert version == 9 and state["total_items"] == 8
    assert sorted(i["product_id"] for i in state["items"]) == sorted(f"p{i}" for i in range(8))


@pytest.mark.parametrize("role", ["es_reader", "es_projector"])
def test_only_writers_run_commands(db, role):
    with db.connect("es_writer") as w:
        customer = create_customer(w)
    with db.connect(role) as conn:
        with raises_sqlstate("42501"):
            create_order(conn, customer)


def test_commands_refuse_what_the_read_model_cannot_hold(db):
    with db.connect("es_writer") as conn:
        customer = create_customer(conn, "C")
        # eventstore v1.1.0: accepted, then order_summaries failed with 22003 and every later
        # order was missing.
        with raises_sqlstate("ZE003", "price"):
            create_order(conn, customer, [{"product_id": "p", "quantity": 1, "price": 1e14}])
        with raises_sqlstate("ZE009", "at most 2147483647 items worth 9999999999999.99"):
            create_order(conn, customer, [{"product_id": "p", "quantity": 1000000, "price": 1e9}])
        order = create_order(conn, customer, [{"product_id": "p", "quantity": 9000, "price": 1e9}])
        with raises_sqlstate("ZE009", "worth"):
            add_item(conn, order, "p", 1000, 1e9)
    with db.connect("es_projector") as conn:
        run_projections_until_idle(conn)
    assert db.scalar("SELECT count(*) FROM orders.order_summaries") == 1
    assert db.scalar("SELECT count(*) FROM api.projection_status WHERE status <> 'running'") == 0


def test_a_too_long_email_is_refused_and_nothing_is_written(db):
    with db.connect("es_writer") as conn, raises_sqlstate("ZE003"):
        conn.execute("CALL orders.create_customer('C', %s, NULL)", ("e" * 3000 + "@example.com",))
    assert db.scalar("SELECT (SELECT count(*) FROM data.events) + (SELECT count(*) FROM orders.customers)") == 0


def test_the_read_model_equals_one_statement_over_the_log(db):
    """order_summaries, built batch by batch, equals the same model computed in one statement
    (harness/order_model.py); so does a rebuild."""
    from harness.order_model import ORDER_SUMMARIES_SQL, READ_MODEL_SQL

    with db.connect("es_writer") as w:
        customers = [create_customer(w, f"c{i}") for i in range(3)]
        for n in range(30):
            order = create_order(w, customers[n % 3], [{"product_id": f"p{n % 4}", "quantity": 1 + n % 3,
                                                        "price": 2.5}] * (n % 2))
            for _ in range(n % 4):
                add_item(w, order, "q", 2, 0.5)
            if n % 3 == 0 and n % 2:
                submit_order(w, order)
            elif n % 5 == 0:
                cancel_order(w, order, "changed mind")
    with db.connect("es_projector") as p:
        run_projections_until_idle(p)
    model = sorted(db.execute(READ_MODEL_SQL))
    assert len(model) == 30 and model == sorted(db.execute(ORDER_SUMMARIES_SQL))
    with db.connect("es_projector") as p:
        p.execute("CALL api.rebuild_projection('order_summaries')")
    assert sorted(db.execute(READ_MODEL_SQL)) == model


def test_on_the_store_each_order_object_is_there_once(db):
    """The core's change order_domain_moved dropped (or, holding data, kept) the v1.x Order
    objects; this project makes them again: each once."""
    assert db.execute("""SELECT (SELECT count(*) FROM data.projections WHERE projection_name = 'order_summaries'),
                                (SELECT count(*) FROM data.reducers WHERE stream_type = 'Order'),
                                (SELECT count(*) FROM data.event_upcasters WHERE event_type = 'OrderCreated'),
                                (SELECT current_version FROM data.event_types WHERE event_type = 'OrderCreated')""") \
        == [(1, 1, 1, 2)]


def test_the_example_reaches_the_store_only_through_api(db):
    """The example's functions, procedures and column defaults name none of the store's own
    private functions or data tables: they call api (the row type data.events, which
    api.register_projection asks handlers to take, is the one exception)."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    store_functions = {p.stem for p in (repo / "sql" / "private").glob("*.sql")}
    store_code = {f"{p.parent.name}.{p.stem}" for p in (repo / "sql").rglob("*.sql")}
    store_tables = set(re.findall(r"^CREATE (?:UNLOGGED )?(?:TABLE|SEQUENCE) data\.(\w+)",
                                  (repo / "schema" / "eventstore.sql").read_text(), re.M)) - {"events"}
    code = db.execute("""SELECT n.nspname || '.' || p.proname, p.prosrc
                         FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                         WHERE n.nspname = 'orders'""")
    defaults = db.execute("""SELECT c.oid::regclass::text, pg_get_expr(d.adbin, d.adrelid)
                             FROM pg_attrdef AS d JOIN pg_class AS c ON c.oid = d.adrelid
                             WHERE c.relname IN ('customers', 'order_summaries')""")
    mine = [(name, text) for name, text in code if name not in store_code] + defaults
    assert len(mine) > 10, "the example's own code was found"
    reaching = sorted({(name, ref) for name, text in mine
                       for ref in re.findall(r"\b(private\.\w+|data\.\w+)", text)
                       if (ref.startswith("private.") and ref.split(".")[1] in store_functions)
                       or (ref.startswith("data.") and ref.split(".")[1] in store_tables)})
    assert reaching == []
