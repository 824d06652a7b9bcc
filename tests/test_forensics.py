"""Time travel and forensics across real connections: aggregates as of a version or a time,
stream reads up to a version, a business transaction by correlation id, causation chains."""

from __future__ import annotations

import time

from tests.helpers import append, close_tally, event, mark, new_id, open_tally, raises_sqlstate


def test_an_aggregate_as_it_was_at_a_version_and_at_a_time(db):
    with db.connect("es_writer") as w:
        tally = open_tally(w, marks=[{"label": "p", "count": 2, "weight": 3}])
        mark(w, tally, "q", 1, 4)
        between = w.execute("SELECT clock_timestamp()").fetchone()[0]
        time.sleep(0.05)  # the next append's transaction starts after `between`
        close_tally(w, tally)
    with db.connect("es_reader") as r:
        now = r.execute("SELECT state, version FROM api.load_aggregate('Tally', %s)", (tally,)).fetchone()
        assert now[1] == 3 and now[0]["status"] == "closed"
        at_2 = r.execute("SELECT state, version FROM api.load_aggregate('Tally', %s, 2)", (tally,)).fetchone()
        assert at_2[1] == 2 and at_2[0]["status"] != "closed" and len(at_2[0]["marks"]) == 2
        assert r.execute("SELECT state, version FROM api.load_aggregate('Tally', %s, in_as_of := %s)",
                         (tally, between)).fetchone() == at_2, "as of a time between the appends: the state after version 2"
        assert [row[0] for row in r.execute("SELECT version FROM api.get_events('Tally', %s, 0, 2)", (tally,))] == [1, 2]
        with raises_sqlstate("ZE003"):
            r.execute("SELECT * FROM api.load_aggregate('Tally', %s, -1)", (tally,))


def test_a_business_transaction_and_its_causation_chain_across_streams(db):
    with db.connect("es_writer") as w:
        order, payment, shipment = new_id(), new_id(), new_id()
        append(w, "Checkout", order, 0, [event("OrderPlaced", metadata={"correlation_id": "co-1"})])
        placed = w.execute("SELECT id FROM api.get_events('Checkout', %s)", (order,)).fetchone()[0]
        append(w, "Payment", payment, 0, [event("PaymentTaken", metadata={"correlation_id": "co-1",
                                                                          "causation_id": str(placed)})])
        paid = w.execute("SELECT id FROM api.get_events('Payment', %s)", (payment,)).fetchone()[0]
        append(w, "Shipment", shipment, 0, [event("Shipped", metadata={"correlation_id": "co-1",
                                                                       "causation_id": str(paid)})])
        append(w, "Checkout", new_id(), 0, [event("OrderPlaced", metadata={"correlation_id": "co-2"})])
    with db.connect("es_reader") as r:
        rows = r.execute("SELECT stream_type, event_type FROM api.get_events_by_correlation('co-1')").fetchall()
        assert rows == [("Checkout", "OrderPlaced"), ("Payment", "PaymentTaken"), ("Shipment", "Shipped")]
        chain = r.execute("SELECT event_type FROM api.get_causation_chain(%s)", (paid,)).fetchall()
        assert [c[0] for c in chain] == ["OrderPlaced", "PaymentTaken", "Shipped"]
        columns = [d.name for d in r.execute("SELECT * FROM api.get_causation_chain(%s)", (paid,)).description]
        assert columns == [d.name for d in r.execute("SELECT * FROM api.get_all_events(NULL, 1)").description], \
            "the columns of api.get_all_events, id first"
        with raises_sqlstate("ZE004"):
            r.execute("SELECT * FROM api.get_causation_chain(%s)", (new_id(),))
