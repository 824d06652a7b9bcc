#!/usr/bin/env python3
"""A consumer of an eventstore subscription from the command line: claim, handle, acknowledge;
LISTEN when idle. A thin wrapper around the package's `eventstore.Consumer` for handlers that
take the event as a dict (the columns of api.claim_events); `python -m eventstore consume` is
the same for handlers that take an `eventstore.RecordedEvent` (and, by default, handle each
event in the transaction of its acknowledgement).

    python examples/consumer.py --dsn "dbname=eventstore user=me" --subscription mail \
        --consumer "mailer-$(hostname)-$$" --handler myapp.mail:send

Run as many as you like with the same --subscription: they share its events (a consumer
group). Each event is handled at least once; the events of one stream are handled in version
order, one consumer at a time. The role connecting needs eventstore_projector. A handler that
raises gives its event back (nack: delivered again, or parked after the subscription's
max_attempts), and the later events of that stream in the batch are not handled. SIGTERM or
SIGINT: the batch in hand is finished and acknowledged, then it exits 0. A consumer killed
outright loses nothing: its leases expire and its events go to the others.

Behind a pooler in transaction pooling (pgbouncer pool_mode = transaction) it works as it is:
it prepares no statements and relies on no session state. LISTEN is session state, though:
give it a direct connection to the server for that (--listen-dsn), or poll only (--no-listen).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

from eventstore import Consumer, EventStore, RecordedEvent


def as_dict(event: RecordedEvent) -> dict[str, Any]:
    return {"id": event.id, "stream_type": event.stream_type, "stream_id": event.stream_id,
            "version": event.version, "event_type": event.event_type, "event_data": event.data,
            "metadata": event.metadata, "created_at": event.created_at, "attempt": event.attempt}


def print_event(event: dict[str, Any]) -> None:
    print(json.dumps(event, default=str), flush=True)


def load_handler(spec: str) -> Callable[[dict[str, Any]], None]:
    module, _, function = spec.partition(":")
    handler: Callable[[dict[str, Any]], None] = getattr(importlib.import_module(module), function)
    return handler


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

    handler = load_handler(args.handler) if args.handler else print_event
    # No prepared statements: this consumer is the one that runs behind transaction pooling.
    with EventStore.connect(args.dsn, min_size=1, max_size=2, prepared_statements=False) as store:
        Consumer(store, args.subscription, lambda event: handler(as_dict(event)), consumer_id=args.consumer,
                 batch=args.batch, transactional=False, idle_wait=args.idle_wait,
                 listen_conninfo=args.listen_dsn, listen=not args.no_listen).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
