"""Append throughput: api.append_events against a plain INSERT of the same rows.

8 clients, 1 event per call. Two workloads:
  new streams   each call appends version 1 of a new stream (expected version 0);
  own streams   each client appends to 50 streams of its own with the version it holds
                (expected version N, pgbench keeps it per client), round-robin.
The baseline inserts the same rows into bench.events_plain, created LIKE data.events with
the same defaults, constraints, indexes and monthly partitions, without the stream row.

Personal data: the same appends (new streams, a new data subject each) of an event type
whose 2 fields are registered as personal data (sealed with the subject's key on append)
against the same event type unregistered, in two copies of this tree's template.

Then the same appends against the previous release (the last tag in sqitch.plan before the
head, deployed into a second template) and against this tree: what the changes since that
release cost on the append path, as a ratio measured in this run.

And against v1.1.0, the first release, with the standard metadata of the README (user_id and
correlation_id), 1 and 100 events per call: each release compared only with the one before
it hid a drift that added up (issue 22), so every run measures the whole way back too.
"""

from __future__ import annotations

from bench.common import alternate, fresh_database, pgbench, report
from harness.cluster import REPO
from harness.sqitch_plan import parse_plan, tags

EVENT = '{"event_type": "ThingHappened", "event_data": {"n": 1, "text": "hello"}, "metadata": {"user_id": "u1"}}'

SETUP = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE bench.events_plain (LIKE data.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)
    PARTITION BY RANGE (created_at);
CREATE TABLE bench.events_plain_default PARTITION OF bench.events_plain DEFAULT;
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

APPEND_NEW = f"CALL api.append_events('Bench', gen_random_uuid(), 0, '[{EVENT}]');\n"
# The README's standard metadata; a batch carries one correlation id for all its events.
STANDARD = ('{"event_type": "ThingHappened", "event_data": {"n": 1, "text": "hello"}, '
            '"metadata": {"user_id": "u1", "correlation_id": "018f0000-0000-7000-8000-00000000c0de"}}')
FIRST_RELEASE = "v1.1.0"


def append_standard(events: int) -> str:
    """A new stream per call, ``events`` events with the standard metadata (five arguments: the
    INOUT version has no default in v1.1.0)."""
    return f"CALL api.append_events('Bench', gen_random_uuid(), 0, '[{', '.join([STANDARD] * events)}]', NULL);\n"
PLAIN = ("INSERT INTO bench.events_plain (stream_type, stream_id, version, event_type, event_data, metadata) "
         "VALUES ('Bench', gen_random_uuid(), 1, 'ThingHappened', '{\"n\": 1, \"text\": \"hello\"}', "
         "'{\"user_id\": \"u1\"}');\n")
# A new stream and a new data subject per call; 2 of its fields are personal data where registered.
APPEND_PERSON = ("CALL api.append_events('Person', gen_random_uuid(), 0, jsonb_build_array(jsonb_build_object("
                 "'event_type', 'PersonNamed', 'event_data', jsonb_build_object('person_id', gen_random_uuid(), "
                 "'name', 'Ann Example', 'email', 'ann@example.org', 'plan', 'gold'))));\n")
REGISTER_PERSON = "SELECT api.register_personal_data('PersonNamed', '$.person_id', ARRAY['name', 'email'])"
# Own streams: 50 per client, visited round-robin; pgbench keeps each one's version in v0..v49.
OWN_STREAMS = 50


def own_streams_script(plain: bool) -> str:
    """Round-robin over the client's streams. The append passes the version it holds; the
    plain baseline inserts the very same rows (same stream ids, next version)."""
    lines = ["\\set k mod(:i, 50)", "\\set i :i + 1"]
    # pgbench has no arrays: one \if branch per stream slot.
    for k in range(OWN_STREAMS):
        kw = "\\if" if k == 0 else "\\elif"
        stream = f"md5(:client_id || '-{k}-' || :run)::uuid"
        lines.append(f"{kw} :k = {k}")
        if plain:
            lines.append("INSERT INTO bench.events_plain (stream_type, stream_id, version, event_type, event_data, "
                         f"metadata) VALUES ('Bench', {stream}, :v{k} + 1, 'ThingHappened', "
                         "'{\"n\": 1, \"text\": \"hello\"}', '{\"user_id\": \"u1\"}');")
            lines.append(f"\\set v{k} :v{k} + 1")
        else:
            lines.append(f"CALL api.append_events('Bench', {stream}, :v{k}, '[{EVENT}]', NULL) \\gset g_")
            lines.append(f"\\set v{k} :g_io_new_version")
    lines.append("\\endif")
    return "\n".join(lines) + "\n"


def previous_release() -> str | None:
    """The release before the head of the plan: the last tag, or the one before it when the
    head is that tag (so a release is measured against its predecessor); None if there is none."""
    plan = parse_plan((REPO / "sqitch.plan").read_text())
    released = tags(plan)
    if released and released[-1][1] == len(plan) - 1:
        released = released[:-1]
    return released[-1][0] if released else None


def run(cluster, template, rounds: int, seconds: float, clients: int = 8, **_) -> dict:
    def measure(script, defines=None, on=template):
        def go():
            with fresh_database(cluster, on) as db:
                return pgbench(cluster, db, script, clients, seconds, defines)
        return go

    print(f"append throughput: {clients} clients, 1 event per call, {rounds} rounds of {seconds:.0f}s")
    print(" new streams (expected version 0), appends/s:")
    new = alternate(rounds, measure(PLAIN), measure(APPEND_NEW), "plain INSERT", "append_events")
    defines = {"i": "0", "run": "1", **{f"v{k}": "0" for k in range(OWN_STREAMS)}}
    print(" own streams (expected version N), appends/s:")
    own = alternate(rounds, measure(own_streams_script(plain=True), defines),
                    measure(own_streams_script(plain=False), defines), "plain INSERT", "append_events")
    personal = f"{template}_personal"
    cluster.create_database(personal, template=template)
    cluster.execute(personal, REGISTER_PERSON)
    print(" personal data: 2 fields sealed vs none (same event), new streams and subjects, appends/s:")
    pii = alternate(rounds, measure(APPEND_PERSON), measure(APPEND_PERSON, on=personal), "no personal data",
                    "2 fields sealed")
    cluster.drop_database(personal)
    report("append_events/plain INSERT, new streams", new["ratio"], ">= 0.7")
    report("append_events/plain INSERT, own streams", own["ratio"], ">= 0.7")
    print(f"       appends/s (medians): plain {new['a']:.0f}, new streams {new['b']:.0f}, own streams {own['b']:.0f}")
    report("append_events with 2 personal data fields/without", pii["ratio"], "reported (the cost of sealing)")

    release = previous_release()
    if release is None:
        return {"new": new, "own": own, "personal": pii}
    before = f"bench_template_{release.replace('.', '_')}"
    cluster.create_database(before)
    cluster.sqitch("deploy", "--to", f"@{release}", dbname=before)
    print(f" this tree against @{release} (before), new streams, appends/s:")
    new_release = alternate(rounds, measure(APPEND_NEW, on=before), measure(APPEND_NEW), f"@{release}", "HEAD")
    print(f" this tree against @{release} (before), own streams, appends/s:")
    own_release = alternate(rounds, measure(own_streams_script(plain=False), defines, on=before),
                            measure(own_streams_script(plain=False), defines), f"@{release}", "HEAD")
    report(f"append_events HEAD/@{release}, new streams", new_release["ratio"], ">= 0.95")
    report(f"append_events HEAD/@{release}, own streams", own_release["ratio"], ">= 0.95")
    results = {"new": new, "own": own, "personal": pii, "new_release": new_release, "own_release": own_release}

    first = f"bench_template_{FIRST_RELEASE.replace('.', '_')}"
    if release != FIRST_RELEASE:
        cluster.create_database(first)
        cluster.sqitch("deploy", "--to", f"@{FIRST_RELEASE}", dbname=first)
    for events in (1, 100):
        print(f" this tree against @{FIRST_RELEASE}, {events} event(s) per call with user_id and correlation_id, "
              "calls/s:")
        drift = alternate(rounds, measure(append_standard(events), on=first), measure(append_standard(events)),
                          f"@{FIRST_RELEASE}", "HEAD")
        report(f"append_events HEAD/@{FIRST_RELEASE}, {events} event(s) per call, standard metadata", drift["ratio"],
               ">= 1.0 (issue 22)")
        results[f"first_release_{events}"] = drift
    return results
