"""The README's first command: a throwaway PostgreSQL 15 with pg_cron and pgTAP (as the
postgres OS user, in $EVENTSTORE_DEMO_DIR, default /tmp/eventstore-demo, port
$EVENTSTORE_DEMO_PORT, default 54329), the bundle deployed with sqitch into database
"eventstore", and the store shown working: appends and reads in SQL, the CQRS example, the
projections, then the same through the Python client (EventStore).

    scripts/demo          bring it up (or reuse it), deploy, show it working
    scripts/demo stop     stop it and delete it
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path

import psycopg

from harness.cluster import CRON_DATABASE, Cluster

BASE = Path(os.environ.get("EVENTSTORE_DEMO_DIR", "/tmp/eventstore-demo"))
PORT = int(os.environ.get("EVENTSTORE_DEMO_PORT", "54329"))


def show(conn, title: str, sql: str, params=None) -> None:
    print(f"\n-- {title}\n{sql.strip()}")
    cur = conn.execute(sql, params)
    if cur.description:
        cols = [d.name for d in cur.description]
        rows = cur.fetchall()
        print("   " + " | ".join(cols))
        for r in rows:
            print("   " + " | ".join(json.dumps(v) if isinstance(v, (dict, list)) else str(v) for v in r))


def up() -> int:
    cluster = Cluster.of_directory(BASE, PORT)
    if not cluster.data_dir.exists():
        cluster = Cluster.make(BASE, PORT)
    if not cluster.is_running():
        cluster.start()
    cluster.wait_ready()
    if not cluster.execute("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (CRON_DATABASE,)):
        cluster.create_database(CRON_DATABASE)
    print(cluster.deploy_all(CRON_DATABASE))

    order, customer = uuid.uuid4(), uuid.uuid4()
    with cluster.connect(CRON_DATABASE) as conn:
        show(conn, "Create a new order (expected version 0: a new stream)",
             f"""CALL api.append_events(
    in_stream_type := 'Order',
    in_stream_id := '{order}',
    in_expected_version := 0,
    in_events := '[{{"event_type": "OrderCreated",
                    "event_data": {{"customer_id": "{customer}",
                                   "items": [{{"product_id": "prod-1", "quantity": 2, "price": 9.5}}]}},
                    "metadata": {{"user_id": "demo", "correlation_id": "{uuid.uuid4()}"}}}}]'::jsonb)""")
        show(conn, "Add an item to it (expected version 1)",
             f"""CALL api.append_events('Order', '{order}', 1,
    '[{{"event_type": "ItemAdded", "event_data": {{"product_id": "prod-2", "quantity": 1, "price": 4}}}}]')""")
        sql = f"""CALL api.append_events('Order', '{order}', 1,
    '[{{"event_type": "ItemAdded", "event_data": {{}}}}]')"""
        print(f"\n-- A stale writer still believes the order is at version 1\n{sql}")
        try:
            conn.execute(sql)
        except psycopg.Error as exc:  # the point of this step
            print(f"   ERROR {exc.sqlstate}: {exc.diag.message_primary}")
        show(conn, "Read the stream", f"SELECT version, event_type, event_data FROM api.get_events('Order', '{order}')")
        show(conn, "Read the whole log, gap-free", "SELECT id, stream_type, version, event_type FROM api.get_all_events(NULL, 10)")
        show(conn, "CQRS: a customer and an order through the commands",
             f"""CALL orders.create_customer('Ann', NULL, '{customer}')""")
        show(conn, "", f"""CALL orders.create_order('{customer}',
    '[{{"product_id": "p1", "quantity": 2, "price": 9.5}}, {{"product_id": "p2", "quantity": 1, "price": 4}}]', NULL)""")
        show(conn, "Apply the projections now (the pg_cron job does it within a minute of deploy, then continuously)",
             "SELECT api.run_projections()")
        show(conn, "Query the read model", f"SELECT * FROM orders.get_customer_orders('{customer}')")
        show(conn, "Projection status", "SELECT projection_name, status, events_applied, events_behind FROM api.projection_status")
        show(conn, "pg_cron jobs", "SELECT jobname, schedule, command FROM cron.job ORDER BY jobname")
    python_client(cluster.conninfo(CRON_DATABASE))
    env = "".join(f"{k}={v} " for k, v in (("EVENTSTORE_DEMO_DIR", os.environ.get("EVENTSTORE_DEMO_DIR")),
                                             ("EVENTSTORE_DEMO_PORT", os.environ.get("EVENTSTORE_DEMO_PORT"))) if v)
    print(f"\nConnect: psql \"{cluster.conninfo(CRON_DATABASE)}\"\nStop and delete: {env}scripts/demo stop")
    return 0


PYTHON = '''from eventstore import EventStore, NewEvent, NO_STREAM

with EventStore.connect(CONNINFO) as store:
    account = uuid.uuid4()
    version = store.append("Account", account, [NewEvent("Opened", {"owner": "ann"})], expected_version=NO_STREAM)
    decision = store.decide("Account", account, fold=lambda balance, e: balance + e.data.get("amount", 0),
                            initial=0, decide=lambda balance: [NewEvent("Credited", {"amount": 10})])
    events = store.read_stream("Account", account)
'''


def python_client(conninfo: str) -> None:
    """The same store through the Python client: the code, run, and what it gave."""
    print("\n-- The Python client (the package eventstore; pip install pg-eventstore)\n" + PYTHON.rstrip())
    scope: dict[str, object] = {"CONNINFO": conninfo, "uuid": uuid}
    exec(PYTHON, scope)  # noqa: S102 - the demo runs the code it shows
    print(f"   version = {scope['version']}; decide() appended {[e.event_type for e in scope['decision'].events]}, "
          f"now at version {scope['decision']}")
    for e in scope["events"]:
        print(f"   {e.version} | {e.event_type} | {json.dumps(e.data)}")


def stop() -> int:
    Cluster.of_directory(BASE, PORT).stop()
    print(f"stopped and removed {BASE}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", nargs="?", choices=["up", "stop"], default="up",
                        help="up (the default): bring it up and show it; stop: stop it and delete it")
    args = parser.parse_args(argv)
    return stop() if args.action == "stop" else up()


if __name__ == "__main__":
    sys.exit(main())
