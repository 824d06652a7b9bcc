"""Handlers for examples/consumer.py when the tests run it as real processes.

Configured by environment variables, since each consumer is a separate process:
  CONSUMER_LOG     a file: one JSON line per handled event (appended and flushed before the
                   handler returns, so a SIGKILL loses only what was not handled yet)
  CONSUMER_DELAY   seconds to sleep in each event (a consumer slow enough to kill mid-batch)
  CONSUMER_POISON  an event type the handler fails on (raises)
  CONSUMER_CRASH   an event type on which the whole process dies at once (os._exit)
"""

from __future__ import annotations

import json
import os
import time


def record(event: dict) -> None:
    if event["event_type"] == os.environ.get("CONSUMER_CRASH"):
        os._exit(3)
    if event["event_type"] == os.environ.get("CONSUMER_POISON"):
        raise ValueError(f"cannot handle {event['event_type']}")
    delay = float(os.environ.get("CONSUMER_DELAY", "0"))
    if delay:
        time.sleep(delay)
    with open(os.environ["CONSUMER_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"id": str(event["id"]), "stream_id": str(event["stream_id"]),
                              "version": event["version"], "attempt": event["attempt"],
                              "event_type": event["event_type"], "at": time.time(),
                              "pid": os.getpid()}) + "\n")
        log.flush()


def record_row(event, conn) -> None:
    """For `python -m eventstore consume` (transactional): a row per handled event, written in the
    transaction of its acknowledgement. public.handled has no key: a duplicate would show."""
    delay = float(os.environ.get("CONSUMER_DELAY", "0"))
    if delay:
        time.sleep(delay)
    conn.execute("INSERT INTO public.handled VALUES (%s, %s)", (event.id, os.getpid()))


def ship_order(event, conn, store) -> None:
    """For `python -m eventstore consume` as a process manager: each Placed order decides a
    Shipment through the store it is given, in the transaction of the acknowledgement, caused by
    the order's event (its derived idempotency key makes a second delivery append nothing).
    CONSUMER_FAIL_AFTER_DECIDE (an order id): fail once after deciding, so the delivery is
    rolled back and made again."""
    import uuid

    from eventstore import NewEvent

    shipment = uuid.uuid5(event.stream_id, "shipment")
    store.decide("Shipment", shipment, fold=lambda n, e: n + 1, initial=0, caused_by=event, conn=conn,
                 decide=lambda n: [NewEvent("Requested", {"order": str(event.stream_id)})] if n == 0 else [])
    marker = os.environ.get("CONSUMER_FAIL_AFTER_DECIDE")
    if marker and marker == str(event.stream_id) and not os.path.exists(os.environ["CONSUMER_MARK"]):
        open(os.environ["CONSUMER_MARK"], "w").close()
        raise RuntimeError("fails once after deciding")
