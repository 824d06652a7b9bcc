"""Append throughput, side by side in one run (issue 22).

Every figure of a group is measured in the same rounds, in rotated order, each on a fresh
clone of its template; a ratio is the median of the per-round ratios. The events carry the
README's standard metadata (user_id and a correlation id per call, which a batch's events
share). Every contender parses its events' JSON in each call, as it would a client's
parameters (pgbench prepares the statements: a JSON constant would be parsed once).

For 8 and for 32 clients, new streams (expected version 0, a new stream per call) and existing
streams (each client appends to 50 streams of its own, round-robin, with the version it holds):

  1 event per call      plain INSERT of the event into a same-shaped copy of data.events
                        (bench.events_plain: same defaults, constraints, indexes, partitions);
                        the two-row ceiling: the least a concurrency-checked append writes, the
                        stream row (same-shaped copy of data.event_streams, version checked)
                        and the event, one statement; api.append_events on this tree, on the
                        previous release and on v1.1.0 (the first release: each release compared
                        only with the one before it hid a drift that added up); and message-db's
                        write_message (installed from npm at run time, bench/message_db.py).
  100 events per call   plain multi-row INSERT of the 100 rows; api.append_events on this tree,
                        the previous release and v1.1.0.

Then what sealing personal data costs: the same appends of an event type whose 2 fields are
registered as personal data, against the type unregistered.
"""

from __future__ import annotations

from bench import message_db
from bench.common import alternate, fresh_database, pgbench, report, rotate
from harness.sqitch_plan import read_plan, releases, tags

DATA = '{"n": 1, "text": "hello"}'
# A correlation id per call (one business transaction; a batch's events share it), put in by
# the server: parsed() in every contender's statement alike. (One id for every call would
# put every insert of the correlation index on one leaf page.)
METADATA = '{"user_id": "u1", "correlation_id": "@cid@"}'
STANDARD = f'{{"event_type": "ThingHappened", "event_data": {DATA}, "metadata": {METADATA}}}'
# The event of the older benches (aggregates): user_id only.
EVENT = '{"event_type": "ThingHappened", "event_data": {"n": 1, "text": "hello"}, "metadata": {"user_id": "u1"}}'
FIRST_RELEASE = "v1.1.0"
OWN_STREAMS = 50
IF, ELIF = "\\if", "\\elif"
# generation is given, as the append gives it: the column default (private.writer_generation(),
# a query) is what a first write after a restore runs, not what an insert pays. So is the log
# number every event stores (data.events.log_number), the least way: the transaction id's
# block, plus the row's place.
COLUMNS = "stream_type, stream_id, version, event_type, event_data, metadata, generation, log_number"
BLOCK = "pg_current_xact_id()::text::numeric * 4294967296 + 1"

SETUP = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE bench.events_plain (LIKE data.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)
    PARTITION BY RANGE (created_at);
CREATE TABLE bench.events_plain_default PARTITION OF bench.events_plain DEFAULT;
CREATE TABLE bench.streams_plain (LIKE data.event_streams INCLUDING ALL) WITH (fillfactor = 50);
DO $$
DECLARE l record;
BEGIN
    FOR l IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'data.events'::regclass AND c.relname <> 'events_default'
    LOOP
        EXECUTE format('CREATE TABLE bench.%I PARTITION OF bench.events_plain %s', l.relname, l.bound);
    END LOOP;
END $$;
"""


def literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def parsed(text: str, cid: str = "gen_random_uuid()::text") -> str:
    """JSON text (an SQL expression) parsed in each call, as a client's parameter would be (a
    constant would be parsed once, when pgbench prepares the statement), with the call's
    correlation id (an SQL expression; a new one by default) in place of @cid@."""
    return f"pg_catalog.replace({text}, '@cid@', {cid})::jsonb"


def append_standard(events: int) -> str:
    """A new stream per call, ``events`` events with the standard metadata (five arguments: the
    INOUT version has no default in v1.1.0)."""
    batch = "[" + ", ".join([STANDARD] * events) + "]"
    return f"CALL api.append_events('Bench', gen_random_uuid(), 0, {parsed(literal(batch))}, NULL);\n"


def plain_rows(events: int, stream: str, first: str) -> str:
    """A multi-row INSERT of ``events`` events of one stream, versions first, first + 1, ...;
    each row's JSON parsed in the call, as the append's is."""
    rows = ", ".join(f"({k}, 'ThingHappened', {literal(DATA)})" for k in range(events))
    return (f"INSERT INTO bench.events_plain ({COLUMNS}) SELECT 'Bench', s.id, {first} + v.k, v.t, "
            f"{parsed('v.d', 's.cid')}, {parsed(literal(METADATA), 's.cid')}, 1, s.block + v.k "
            f"FROM (SELECT {stream} AS id, gen_random_uuid()::text AS cid, {BLOCK} AS block) AS s, "
            f"(VALUES {rows}) AS v(k, t, d);")


def two_row(stream: str, expected: str) -> str:
    """The stream row, created or moved on from the expected version, and the event."""
    return ("WITH s AS (INSERT INTO bench.streams_plain AS s (stream_type, stream_id, current_version, "
            f"last_generation, last_transaction_id) VALUES ('Bench', {stream}, {expected} + 1, 1, pg_current_xact_id()) "
            "ON CONFLICT (stream_type, stream_id) DO UPDATE SET current_version = s.current_version + 1, "
            f"updated_at = now(), last_transaction_id = excluded.last_transaction_id WHERE s.current_version = {expected} "
            f"RETURNING s.stream_id, s.current_version) INSERT INTO bench.events_plain ({COLUMNS}) "
            f"SELECT 'Bench', s.stream_id, s.current_version, 'ThingHappened', {parsed(literal(DATA), 'c.cid')}, "
            f"{parsed(literal(METADATA), 'c.cid')}, 1, {BLOCK} FROM s, (SELECT gen_random_uuid()::text AS cid) AS c;")


def message_db_write(stream: str, expected: str) -> str:
    """write_message: its positions start at 0, so its expected version is ours - 1 (-1: new)."""
    return (f"SELECT message_store.write_message(gen_random_uuid()::text, 'bench-' || ({stream})::text, "
            f"'ThingHappened', {parsed(literal(DATA), 'c.cid')}, {parsed(literal(METADATA), 'c.cid')}, {expected} - 1) "
            "FROM (SELECT gen_random_uuid()::text AS cid) AS c;")


def new_streams(kind: str, events: int) -> str:
    """One call of ``kind`` to a new stream."""
    if kind == "append":
        return append_standard(events)
    if kind == "plain":
        return plain_rows(events, "gen_random_uuid()", "1") + "\n"
    if kind == "two-row":
        return two_row("gen_random_uuid()", "0") + "\n"
    return message_db_write("gen_random_uuid()", "0") + "\n"


def own_streams(kind: str, events: int = 1, event: str = STANDARD) -> str:
    """Round-robin over the client's 50 streams, each call at the version the client holds
    (pgbench keeps them in v0..v49; it has no arrays, so one \\if branch per stream)."""
    batch = f"[{', '.join([event] * events)}]"
    lines = ["\\set k mod(:i, 50)", "\\set i :i + 1"]
    for k in range(OWN_STREAMS):
        stream = f"md5(:client_id || '-{k}-' || :run)::uuid"
        lines.append(f"{IF if k == 0 else ELIF} :k = {k}")
        if kind == "append":
            lines.append(f"CALL api.append_events('Bench', {stream}, :v{k}, {parsed(literal(batch))}, NULL) \\gset g_")
            lines.append(f"\\set v{k} :g_io_new_version")
            continue
        if kind == "plain":
            lines.append(plain_rows(events, stream, f":v{k} + 1"))
        elif kind == "two-row":
            lines.append(two_row(stream, f":v{k}"))
        else:
            lines.append(message_db_write(stream, f":v{k}"))
        lines.append(f"\\set v{k} :v{k} + {events}")
    lines.append("\\endif")
    return "\n".join(lines) + "\n"


def own_streams_script() -> str:
    """The older benches' own-streams appends (the event with user_id only)."""
    return own_streams("append", 1, EVENT)


DEFINES = {"i": "0", "run": "1", **{f"v{k}": "0" for k in range(OWN_STREAMS)}}
APPEND_PERSON = ("CALL api.append_events('Person', gen_random_uuid(), 0, jsonb_build_array(jsonb_build_object("
                 "'event_type', 'PersonNamed', 'event_data', jsonb_build_object('person_id', gen_random_uuid(), "
                 "'name', 'Ann Example', 'email', 'ann@example.org', 'plan', 'gold'))));\n")
REGISTER_PERSON = "SELECT api.register_personal_data('PersonNamed', '$.person_id', ARRAY['name', 'email'])"


def previous_release() -> str | None:
    """The release before the head of the plan: the last tag, or the one before it when the
    head is that tag (so a release is measured against its predecessor); None if there is none."""
    plan = read_plan("eventstore")
    released = releases()
    if tags(plan) and tags(plan)[-1][1] == len(plan) - 1:
        released = released[:-1]
    return released[-1] if released else None


def run(cluster, template, rounds: int, seconds: float, client_counts: str = "8,32", **_) -> dict:
    def measure(script: str, on: str, n: int, defines=None, options: str = ""):
        def go() -> float:
            with fresh_database(cluster, on) as db:
                return pgbench(cluster, db, script, n, seconds, defines, options)
        return go

    releases = {}
    for release in dict.fromkeys(r for r in (previous_release(), FIRST_RELEASE) if r):
        db = f"bench_template_{release.replace('.', '_')}"
        cluster.create_database(db)
        cluster.deploy_release(db, release)
        releases[release] = db
    mdb = "bench_template_message_db"
    why_not = message_db.install(cluster, mdb)
    print(f"message-db: {'skipped, ' + why_not if why_not else 'installed from npm (' + message_db.PACKAGE + ')'}")

    results: dict = {}
    for n in (int(c) for c in client_counts.split(",")):
        for existing in (False, True):
            where = "existing streams (expected version N)" if existing else "new streams (expected version 0)"

            def script(kind: str, events: int) -> str:
                return own_streams(kind, events) if existing else new_streams(kind, events)  # noqa: B023
            defines = DEFINES if existing else None
            for events in (1, 100):
                group = {"plain": measure(script("plain", events), template, n, defines)}
                if events == 1:
                    group["two-row"] = measure(script("two-row", 1), template, n, defines)
                group["HEAD"] = measure(script("append", events), template, n, defines)
                for release, db in releases.items():
                    group[f"@{release}"] = measure(script("append", events), db, n, defines)
                if events == 1 and not why_not:
                    group["message-db"] = measure(script("message-db", 1), mdb, n, defines, message_db.OPTIONS)
                print(f" {n} clients, {where}, {events} event(s) per call, calls/s:", flush=True)
                r = rotate(rounds, group)
                label = f"{n} clients, {'existing' if existing else 'new'} streams, {events} event(s)"
                ratio = r["ratio"]
                if events == 1:
                    report(f"append_events/two-row ceiling, {label}", ratio("HEAD", "two-row"), ">= 0.85")
                    report(f"two-row ceiling/plain INSERT, {label}", ratio("two-row", "plain"), "reported")
                    if "message-db" in group:
                        report(f"append_events/message-db, {label}", ratio("HEAD", "message-db"), ">= 2")
                else:
                    report(f"append_events/plain INSERT, {label}", ratio("HEAD", "plain"), ">= 0.85")
                for release in releases:
                    report(f"append_events HEAD/@{release}, {label}", ratio("HEAD", f"@{release}"),
                           ">= 1.0" if release == FIRST_RELEASE else ">= 0.95")
                results[(n, existing, events)] = r

    personal = f"{template}_personal"
    cluster.create_database(personal, template=template)
    cluster.execute(personal, REGISTER_PERSON)
    print(" personal data: 2 fields sealed vs none (same event), new streams and subjects, appends/s:")
    pii = alternate(rounds, measure(APPEND_PERSON, template, 8), measure(APPEND_PERSON, personal, 8),
                    "no personal data", "2 fields sealed")
    cluster.drop_database(personal)
    report("append_events with 2 personal data fields/without", pii["ratio"], "reported (the cost of sealing)")
    results["personal"] = pii
    return results
