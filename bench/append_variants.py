"""What a candidate change of the append path would buy, or what one piece of it costs, before
anything is changed (issue 22): the same appends as ``bench append``'s comparison with v1.1.0
(8 clients, a new stream per call, the standard metadata, 1 and 100 events per call) on this
tree and on a copy of it with one change made, alternating. Each variant is a ratio variant /
HEAD; none is a proposal by itself (most give up what the piece serves: they measure it). A
variant is SQL run in the copy, or edits of api.append_events' text (old -> new) applied to
the copy; ``BENCH_VARIANTS=name,name`` runs only those."""

from __future__ import annotations

import os

from bench.append_throughput import append_standard
from bench.common import alternate, fresh_database, pgbench, report
from harness.cluster import REPO

SETUP = ""
APPEND = REPO / "sql" / "api" / "append_events.sql"


def _stream_statement() -> str:
    """The loop of api.append_events that moves the stream row (and starts a generation)."""
    text = APPEND.read_text()
    start = text.index("    FOR l_attempt IN 1 .. 2 LOOP")
    return text[start:text.index("    END LOOP;\n", start) + len("    END LOOP;\n")]


VARIANTS: dict[str, str | list[tuple[str, str]]] = {
    "no correlation index": "DROP INDEX data.events_correlation_idx",
    "no created_at index": "DROP INDEX data.events_created_idx",
    "id default gen_random_uuid()": "ALTER TABLE data.events ALTER COLUMN id SET DEFAULT gen_random_uuid()",
    "no numbering trigger": "DROP TRIGGER events_number ON data.events",
    "no stored log number": [("l_first, l_base + l_first", "l_first, 0"),
                             ("b.global_position, l_base + b.global_position", "b.global_position, 0")],
    # What a one-statement append could save at most: the stream row's statement taken out
    # whole (its write too, which one statement would still make). New streams only.
    "no stream statement": [(_stream_statement(), "    l_version := l_count; l_generation := 1;\n"
                                                   "    l_xid := pg_catalog.pg_current_xact_id();\n")],
    "no ORDER BY ord": [("            ORDER BY e.ord\n            OFFSET 0) AS b;", "            OFFSET 0) AS b;")],
    "no privilege switch": [("SECURITY DEFINER\nSET search_path = pg_catalog, pg_temp\n", "")],
    "no queueing lock": [("        l_lock := pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(in_stream_type),\n"
                          "                                                   pg_catalog.hashtext(in_stream_id::text))::text;",
                          "        NULL;")],
    "no batch check": [("l_count := private.check_event_batch(in_events);",
                        "l_count := pg_catalog.jsonb_array_length(in_events);")],
    "no event-type join (1 event)": [(
        "        LEFT JOIN data.event_types AS t ON t.event_type = e.event_type\n"
        "        WHERE t.event_type IS NULL\n"
        "           OR private.check_event_schema(e.event_type, COALESCE((e.metadata ->> 'version')::numeric::integer, "
        "t.current_version),\n"
        "                                         e.event_data, 1);",
        "        CROSS JOIN (SELECT NULL::integer AS current_version) AS t;")],
}


def edited(edits: list[tuple[str, str]]) -> str:
    """api.append_events' text with the edits made; each old text must be there."""
    text = APPEND.read_text()
    for old, new in edits:
        if old not in text:
            raise ValueError(f"not in {APPEND.name}: {old[:60]!r}")
        text = text.replace(old, new)
    return text


def run(cluster, template, rounds: int, seconds: float, clients: int = 8, **_) -> dict:
    def measure(script: str, on: str):
        def go() -> float:
            with fresh_database(cluster, on) as db:
                return pgbench(cluster, db, script, clients, seconds)
        return go

    only = os.environ.get("BENCH_VARIANTS")
    results = {}
    for i, (name, change) in enumerate(VARIANTS.items()):
        if only and name not in only.split(","):
            continue
        variant = f"bench_variant_{i}"
        cluster.create_database(variant, template=template)
        cluster.psql(variant, "-q", "-c", change if isinstance(change, str) else edited(change))
        for events in (1, 100):
            print(f" {name}, {events} event(s) per call, calls/s:", flush=True)
            r = alternate(rounds, measure(append_standard(events), template), measure(append_standard(events), variant),
                          "HEAD", name)
            report(f"{name} / HEAD, {events} event(s) per call", r["ratio"], "reported")
            results[(name, events)] = r["ratio"]
        cluster.drop_database(variant)
    return results
