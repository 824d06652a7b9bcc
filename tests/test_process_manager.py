"""A process manager run by `python -m eventstore consume`: the handler is given the store,
decides through it in the transaction of the acknowledgement, and each order gets exactly one
shipment, caused by the order's event, also when a delivery fails after deciding."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import eventstore as es
from eventstore.client import EventStore

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a consumer process
def test_the_consume_command_gives_a_process_manager_the_store(db, tmp_path):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.create_subscription('shipping', ARRAY['Order'])")
    orders = [uuid.uuid4() for _ in range(5)]
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=1) as writer:
        for order in orders:
            writer.append("Order", order, [es.NewEvent("Placed", {}, {"correlation_id": f"c-{order}"})],
                          expected_version=es.NO_STREAM)
    role = f"pm_{uuid.uuid4().hex[:8]}"  # roles are the cluster's: one of its own, not a grant to es_projector
    db.execute(f"CREATE ROLE {role} LOGIN IN ROLE eventstore_projector, eventstore_writer")
    consumer = subprocess.Popen(
        [sys.executable, "-m", "eventstore", "consume", db.cluster.conninfo(db.name, user=role),
         "--subscription", "shipping", "--handler", "tests.consumer_handlers:ship_order", "--idle-wait", "0.2"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), "CONSUMER_FAIL_AFTER_DECIDE": str(orders[2]),
                       "CONSUMER_MARK": str(tmp_path / "failed-once")},
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and db.scalar(
                "SELECT count(*) FROM data.events WHERE stream_type = 'Shipment'") < len(orders):
            time.sleep(0.2)
        time.sleep(0.5)  # anything more would show
        consumer.send_signal(signal.SIGTERM)
        _, stderr = consumer.communicate(timeout=30)
        assert consumer.returncode == 0, stderr
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
        db.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
    assert (tmp_path / "failed-once").exists(), "one delivery failed after deciding"
    with EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=1) as reader:
        for order in orders:
            [placed] = reader.read_stream("Order", order)
            shipment = reader.read_stream("Shipment", uuid.uuid5(order, "shipment"))
            assert [(e.event_type, e.data["order"]) for e in shipment] == [("Requested", str(order))], \
                "exactly one shipment per order (the failed delivery's decision rolled back with it)"
            assert shipment[0].metadata["causation_id"] == str(placed.id)
            assert shipment[0].metadata["correlation_id"] == f"c-{order}"
