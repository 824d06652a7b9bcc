#!/usr/bin/env python3
"""A consumer of an eventstore subscription: claim, handle, acknowledge; LISTEN when idle.

    python examples/consumer.py --dsn "dbname=eventstore user=me" --subscription mail \
        --consumer "mailer-$(hostname)-$$"

Run as many as you like with the same --subscription: they share its events (a consumer
group). Each event is handled at least once; the events of one stream are handled in version
order, one consumer at a time. The role connecting needs eventstore_projector.

The loop:
  1. api.claim_events(subscription, consumer, batch): up to `batch` events leased to this
     consumer until now + the subscription's lease.
  2. the handler, event by event. An exception: api.nack_event with the error (the event is
     delivered again, or parked after the subscription's max_attempts), and the later
     events of that stream in this batch are not handled (nack gave them back too).
  3. api.ack_events for the handled ones. Ack within the lease: a batch that takes longer
     than the lease is delivered to another consumer as well (claim smaller batches).
  4. nothing claimed: wait on LISTEN eventstore_events (a notification comes when new
     events are readable) or --idle-wait seconds, whichever comes first, then claim again.

Behind a pooler in transaction pooling (pgbouncer pool_mode = transaction) it works as it is:
it prepares no statements and relies on no session state (each claim, ack and nack is a
transaction of its own). LISTEN is session state, though: give it a direct connection to the
server for that (--listen-dsn), or poll only (--no-listen).

SIGTERM or SIGINT: the batch in hand is finished and acknowledged, then the consumer exits 0.
A consumer killed outright loses nothing: its leases expire and its events go to the others
(a failed attempt each).

Write your own handler as a function taking the event (a dict with the columns of
api.claim_events) and pass it as --handler module:function; the default prints JSON lines.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import time
from typing import Any, Callable

import psycopg
from psycopg.rows import dict_row

Handler = Callable[[dict[str, Any]], None]

CHANNEL = "eventstore_events"


class Consumer:
    def __init__(self, dsn: str, subscription: str, consumer: str, batch: int = 100, idle_wait: float = 5.0,
                 listen_dsn: str | None = None, listen: bool = True):
        self.dsn = dsn
        self.listen_dsn = listen_dsn or dsn
        self.listen = listen
        self.subscription = subscription
        self.consumer = consumer
        self.batch = batch
        self.idle_wait = idle_wait
        self.stopping = False

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self, handler: Handler) -> None:
        # Autocommit: each claim, ack and nack is a transaction of its own (a claim holds the
        # subscription's row lock only while it runs). No prepared statements
        # (prepare_threshold=None): a transaction pooler hands each transaction to any server
        # connection, where a statement prepared on another does not exist.
        with psycopg.connect(self.dsn, autocommit=True, row_factory=dict_row, prepare_threshold=None) as conn:
            listener = None
            if self.listen:
                listener = psycopg.connect(self.listen_dsn, autocommit=True, prepare_threshold=None)
                listener.execute(f"LISTEN {CHANNEL}")
            try:
                while not self.stopping:
                    events = conn.execute(
                        "SELECT * FROM api.claim_events(%s, %s, %s)",
                        (self.subscription, self.consumer, self.batch)).fetchall()
                    if events:
                        self.handle_batch(conn, events, handler)
                    else:
                        self.wait(listener)
            finally:
                if listener is not None:
                    listener.close()

    def handle_batch(self, conn: psycopg.Connection, events: list[dict[str, Any]], handler: Handler) -> None:
        done, failed_streams = [], set()
        for event in events:
            stream = (event["stream_type"], event["stream_id"])
            if stream in failed_streams:
                continue  # given back with the failed one: it must not go before it
            try:
                handler(event)
            except Exception as error:  # noqa: BLE001 - any handler error is a failed attempt
                conn.execute("SELECT api.nack_event(%s, %s, %s, %s)",
                             (self.subscription, self.consumer, event["id"], f"{type(error).__name__}: {error}"))
                failed_streams.add(stream)
            else:
                done.append(event["id"])
        if done:
            conn.execute("SELECT api.ack_events(%s, %s, %s)", (self.subscription, self.consumer, done))

    def wait(self, listener: psycopg.Connection | None) -> None:
        deadline = time.monotonic() + self.idle_wait
        while not self.stopping and time.monotonic() < deadline:
            # Short slices, so that a SIGTERM is seen within a second.
            timeout = min(1.0, max(0.0, deadline - time.monotonic()))
            if listener is None:
                time.sleep(timeout)
                continue
            for _ in listener.notifies(timeout=timeout, stop_after=1):
                return


def print_event(event: dict[str, Any]) -> None:
    print(json.dumps(event, default=str), flush=True)


def load_handler(spec: str) -> Handler:
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dsn", required=True, help="libpq connection string")
    p.add_argument("--subscription", required=True)
    p.add_argument("--consumer", required=True, help="this consumer's name, unique among its group")
    p.add_argument("--batch", type=int, default=100, help="events per claim (default 100)")
    p.add_argument("--idle-wait", type=float, default=5.0,
                   help="seconds to wait for a notification before claiming again (default 5)")
    p.add_argument("--handler", default=None, help="module:function called with each event (default: print it)")
    p.add_argument("--listen-dsn", default=None,
                   help="a direct connection to the server for LISTEN (default: --dsn); needed behind a transaction pooler")
    p.add_argument("--no-listen", action="store_true", help="poll every --idle-wait seconds, no LISTEN")
    args = p.parse_args(argv)

    consumer = Consumer(args.dsn, args.subscription, args.consumer, args.batch, args.idle_wait,
                        listen_dsn=args.listen_dsn, listen=not args.no_listen)
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    consumer.run(load_handler(args.handler) if args.handler else print_event)
    return 0


if __name__ == "__main__":
    sys.exit(main())
