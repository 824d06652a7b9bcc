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
