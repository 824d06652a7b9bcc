"""``python -m eventstore``: deploy the bundle, adopt the v4 plan, run a consumer, or deploy the
endpoint of a sharded store.

    python -m eventstore deploy "host=db dbname=app user=admin"
    python -m eventstore adopt-baseline "host=db dbname=app user=admin" [--dependent DIR ...]
    python -m eventstore consume "host=db dbname=app user=mailer" --subscription mailer \\
        --handler myapp.mail:send [--batch 100] [--not-transactional] [--listen-conninfo ...]
    python -m eventstore proxy deploy "host=proxy dbname=app user=postgres" \
        --shard "host=shard0 dbname=app" --shard "host=shard1 dbname=app"
    python -m eventstore proxy reshard "host=proxy dbname=app user=postgres" --shard ... (all, in order)

``deploy`` runs ``sqitch deploy`` with the bundle the package carries; ``--without-sqitch``
runs its scripts through psql instead, for throwaway and test databases (sqitch refuses such a
database afterwards). ``consume`` runs :class:`eventstore.Consumer` until SIGTERM or SIGINT; the handler
is ``module:function``, called as ``handler(event, conn)`` (``handler(event)`` with
``--not-transactional``), and given the consumer's store as ``store=`` if it has a parameter of
that name (a process manager appends through it, ``conn=conn`` in the transaction).
``adopt-baseline`` moves a database at v3.1.0 to the v4 plan (:mod:`eventstore.adopt`): sqitch's
registry only, the store untouched. ``proxy deploy`` makes an empty database the endpoint of a
sharded store over shards that hold the bundle (:mod:`eventstore.proxy`, docs/sharding.md).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Any

from eventstore import proxy
from eventstore.adopt import AdoptionRefused, adopt_baseline
from eventstore.bundle import deploy
from eventstore.client import EventStore
from eventstore.consumer import Consumer


def _load(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eventstore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("deploy", help="sqitch deploy of the bundle this package carries")
    d.add_argument("conninfo")
    d.add_argument("--to", default=None, help="a change or @tag to deploy to (default: all)")
    d.add_argument("--without-sqitch", action="store_true",
                   help="for throwaway and test databases: the scripts through psql; sqitch then refuses the database")
    a = commands.add_parser("adopt-baseline", help="a database at v3.1.0 takes up the v4 plan (sqitch's registry only)")
    a.add_argument("conninfo")
    a.add_argument("--dependent", action="append", default=[], metavar="DIR",
                   help="a sqitch project deployed on the store (its history/ and its new plan), e.g. examples/orders")
    c = commands.add_parser("consume", help="run a consumer of a subscription")
    c.add_argument("conninfo")
    c.add_argument("--subscription", required=True)
    c.add_argument("--handler", required=True, help="module:function")
    c.add_argument("--consumer-id", default=None)
    c.add_argument("--batch", type=int, default=100)
    c.add_argument("--idle-wait", type=float, default=5.0)
    c.add_argument("--not-transactional", action="store_true")
    c.add_argument("--listen-conninfo", default=None, help="a direct connection for LISTEN (behind a pooler)")
    c.add_argument("--no-listen", action="store_true", help="poll only")
    c.add_argument("--transaction-pooling", action="store_true",
                   help="behind a pgbouncer in transaction pooling: no prepared statements")
    p = commands.add_parser("proxy", help="the endpoint of a sharded store (PL/Proxy, docs/sharding.md)")
    proxy_commands = p.add_subparsers(dest="proxy_command", required=True)
    pd = proxy_commands.add_parser("deploy", help="deploy the endpoint into an empty database over shards that "
                                                  "hold the bundle")
    pd.add_argument("conninfo", help="the proxy database (a superuser's connection)")
    pd.add_argument("--shard", action="append", required=True, metavar="CONNINFO",
                    help="a shard, as the proxy's server connects to it, in order (the i-th is partition i); "
                         "a power of two of them; no password here (it would be kept in the catalog)")
    pd.add_argument("--statement-timeout", default="30s",
                    help="the proxy database's statement_timeout: a hung shard fails its calls after it (default 30s)")
    pr = proxy_commands.add_parser("reshard", help="route the endpoint to more shards: the ones it has, in order, "
                                                   "then promoted physical copies of them (docs/sharding.md)")
    pr.add_argument("conninfo", help="the proxy database (a superuser's connection)")
    pr.add_argument("--shard", action="append", required=True, metavar="CONNINFO",
                    help="every shard, in order: the current ones, then the copies")
    args = parser.parse_args(argv)

    if args.command == "deploy":
        # On a terminal each change is shown as it goes; in a pipe the output comes once, at the end.
        live = sys.stdout.isatty()
        out = deploy(args.conninfo, to=args.to, without_sqitch=args.without_sqitch,
                     progress=(lambda line: print(line, flush=True)) if live else None)
        if not live:
            print(out, end="")
        return 0
    if args.command == "proxy":
        try:
            if args.proxy_command == "reshard":
                print(proxy.reshard(args.conninfo, args.shard))
            else:
                print(proxy.deploy(args.conninfo, args.shard, statement_timeout=args.statement_timeout))
        except proxy.ProxyRefused as refused:
            print(f"proxy {args.proxy_command} refused, nothing changed: {refused}", file=sys.stderr)
            return 2
        return 0
    if args.command == "adopt-baseline":
        try:
            print(adopt_baseline(args.conninfo, args.dependent), end="")
        except AdoptionRefused as refused:
            print(f"adopt-baseline refused, nothing changed: {refused}", file=sys.stderr)
            return 2
        return 0
    # What a consumer says of itself (a lost connection, a lease that ran out) goes to stderr.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with EventStore.connect(args.conninfo, max_size=2, prepared_statements=not args.transaction_pooling) as store:
        Consumer(store, args.subscription, _load(args.handler), consumer_id=args.consumer_id, batch=args.batch,
                 transactional=not args.not_transactional, idle_wait=args.idle_wait,
                 listen_conninfo=args.listen_conninfo, listen=not args.no_listen).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
