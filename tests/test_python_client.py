"""The Python package across real connections: sync and asyncio alike, errors as classes,
the consumer, the pytest plugin (the `eventstore` fixture below is the plugin's)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

import eventstore as es
from eventstore import errors
from eventstore.aio import AsyncEventStore
from eventstore.client import EventStore, translated
from harness.schema_snapshot import dump

REPO = Path(__file__).resolve().parent.parent


def store_as(db, user: str) -> EventStore:
    return EventStore.connect(db.cluster.conninfo(db.name, user=user), max_size=4)


# -- the plugin's fixture and the basics -----------------------------------------------------

def test_the_plugin_gives_each_test_a_fresh_store(eventstore):
    stream = uuid.uuid4()
    assert eventstore.stream_version("Account", stream) == 0
    v = eventstore.append("Account", stream, [es.NewEvent("Opened", {"owner": "ann"})], expected_version=es.NO_STREAM)
    assert v == 1
    assert [e.version for e in eventstore.read_all()] == [1]


def test_append_read_bounds_and_expected_versions(eventstore):
    stream = uuid.uuid4()
    events = [es.NewEvent("Deposited", {"amount": n}, {"user_id": "u1"}) for n in range(1, 6)]
    assert eventstore.append("Account", stream, events, expected_version=es.NO_STREAM) == 5
    assert eventstore.append("Account", stream, [es.NewEvent("Deposited", {"amount": 6})], expected_version=5) == 6
    assert eventstore.append("Account", stream, [es.NewEvent("Noted", {})], expected_version=es.ANY) == 7
    assert [e.version for e in eventstore.read_stream("Account", stream)] == [1, 2, 3, 4, 5, 6, 7]
    assert [e.version for e in eventstore.read_stream("Account", stream, from_version=2, to_version=4)] == [2, 3, 4]
    first = eventstore.read_stream("Account", stream, to_version=1)[0]
    assert (first.stream_type, first.stream_id, first.event_type, first.data, first.metadata["user_id"]) == \
        ("Account", stream, "Deposited", {"amount": 1}, "u1")
    assert first.attempt is None and first.created_at is not None
    page = eventstore.read_all(limit=3)
    assert [e.version for e in page] == [1, 2, 3]
    assert [e.version for e in eventstore.read_all(after=page[-1].id, event_types=["Noted"])] == [7]


def test_a_client_on_the_callers_own_pool_commits_each_call(db):
    """EventStore(pool) over a pool of the caller's whose connections are not autocommit: each
    call still commits (seen from another connection), and a failed call leaves its connection
    usable (rolled back, not INERROR)."""
    from psycopg_pool import ConnectionPool

    conninfo = db.cluster.conninfo(db.name, user="postgres")
    with ConnectionPool(conninfo, min_size=1, max_size=1, open=True) as pool:
        store = EventStore(pool)
        stream = uuid.uuid4()
        assert store.append("Account", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM) == 1
        with psycopg.connect(conninfo) as other:
            assert other.execute("SELECT api.get_stream_version('Account', %s)", (stream,)).fetchone()[0] == 1
        with pytest.raises(errors.WrongExpectedVersion):
            store.append("Account", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
        assert store.append("Account", stream, [es.NewEvent("Noted", {})], expected_version=1) == 2
        with pool.connection() as c:
            assert c.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_wrong_expected_version_carries_its_facts(eventstore):
    stream = uuid.uuid4()
    eventstore.append("Account", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
    with pytest.raises(es.WrongExpectedVersion) as info:
        eventstore.append("Account", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
    e = info.value
    assert (e.sqlstate, e.stream_type, e.stream_id, e.expected, e.actual, e.retryable) == \
        ("ZE001", "Account", stream, 0, 1, False)
    with pytest.raises(es.MalformedEvents) as bad:
        eventstore.append("Account", uuid.uuid4(), [es.NewEvent("Ok", {}), es.NewEvent("", {})],
                          expected_version=es.NO_STREAM)
    assert bad.value.index == 2


def test_an_append_joins_the_callers_transaction(db):
    db.execute("CREATE TABLE public.balances (id uuid PRIMARY KEY, balance int); "
               "GRANT ALL ON public.balances TO eventstore_writer")
    store = store_as(db, "es_writer")
    try:
        stream = uuid.uuid4()
        with store.pool.connection() as conn:
            with conn.transaction():
                conn.execute("INSERT INTO public.balances VALUES (%s, 10)", (stream,))
                store.append("Account", stream, [es.NewEvent("Deposited", {"amount": 10})],
                             expected_version=es.NO_STREAM, conn=conn)
            with pytest.raises(RuntimeError), conn.transaction():
                conn.execute("UPDATE public.balances SET balance = 20 WHERE id = %s", (stream,))
                store.append("Account", stream, [es.NewEvent("Deposited", {"amount": 10})], expected_version=1,
                             conn=conn)
                raise RuntimeError("the caller's unit of work fails")
        assert store.stream_version("Account", stream) == 1, "the rolled-back append is gone with the row"
        assert db.scalar("SELECT balance FROM public.balances") == 10
    finally:
        store.close()


def test_decide_retries_a_concurrency_conflict_and_never_overdraws(db):
    stores = [store_as(db, "es_writer") for _ in range(4)]
    account = uuid.uuid4()
    stores[0].append("Account", account, [es.NewEvent("Deposited", {"amount": 100})], expected_version=es.NO_STREAM)

    def balance(state: int, event: es.RecordedEvent) -> int:
        return state + (event.data["amount"] if event.event_type == "Deposited" else -event.data["amount"])

    def withdraw(state: int) -> list[es.NewEvent]:
        return [es.NewEvent("Withdrawn", {"amount": 10})] if state >= 10 else []

    barrier = threading.Barrier(4)

    def worker(store: EventStore) -> None:
        barrier.wait()
        for _ in range(5):
            store.decide("Account", account, fold=balance, decide=withdraw, initial=0, max_retries=50)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    events = stores[0].read_stream("Account", account)
    total = 0
    for e in events:
        total = balance(total, e)
    assert total == 0 and len(events) == 11, "ten withdrawals of 10 out of 100, none more"
    for s in stores:
        s.close()


def test_follow_pages_the_log_then_waits_for_new_events(eventstore):
    stream = uuid.uuid4()
    eventstore.append("Feed", stream, [es.NewEvent("E", {"n": n}) for n in range(5)], expected_version=es.NO_STREAM)
    seen: list[int] = []
    follower = eventstore.follow(page_size=2, poll_interval=0.2)
    for event in follower:
        seen.append(event.data["n"])
        if len(seen) == 5:
            eventstore.append("Feed", stream, [es.NewEvent("E", {"n": 5})], expected_version=5)
        if len(seen) == 6:
            break
    follower.close()
    assert seen == [0, 1, 2, 3, 4, 5]


def test_load_and_forensics(db):
    store = store_as(db, "es_admin")
    try:
        db.execute("CREATE FUNCTION public.total(s jsonb, e data.events) RETURNS jsonb LANGUAGE sql IMMUTABLE AS "
                   "$$ SELECT jsonb_build_object('total', coalesce((s->>'total')::int, 0) + (e.event_data->>'n')::int) $$")
        with store.pool.connection() as conn:
            conn.execute("SELECT api.register_reducer('Sum', 'public.total(jsonb, data.events)', 1, NULL)")
        stream = uuid.uuid4()
        correlation = str(uuid.uuid4())
        store.append("Sum", stream, [es.NewEvent("Added", {"n": n}, {"correlation_id": correlation})
                                     for n in (1, 2, 3)], expected_version=es.NO_STREAM)
        assert store.load("Sum", stream) == ({"total": 6}, 3)
        assert store.load("Sum", stream, as_of_version=2) == ({"total": 3}, 2)
        assert [e.version for e in store.events_by_correlation(correlation)] == [1, 2, 3]
        assert store.delete_stream("Sum", stream, expected_version=3) == 4
        with pytest.raises(es.StreamDeleted):
            store.append("Sum", stream, [es.NewEvent("Added", {"n": 1})], expected_version=es.ANY)
    finally:
        store.close()


def test_projection_versions_and_promotion(db):
    from harness.tally_versions import REGISTER_V2, V2_SQL

    db.execute(V2_SQL)
    db.execute(REGISTER_V2)
    admin = store_as(db, "es_admin")
    try:
        versions = admin.projection_versions("tallies")
        assert [(v.name, v.version, v.live, v.status) for v in versions] == [
            ("tallies", 1, True, "running"), ("tallies@2", 2, False, "rebuilding")]
        assert {v.version_of for v in admin.projection_versions()} >= {"tallies", "notifications"}
        with pytest.raises(es.errors.UnknownProjection):
            admin.promote_projection("tallies", 3)
        admin.run_projections()
        admin.promote_projection("tallies", 2)
        assert [(v.name, v.live, v.status) for v in admin.projection_versions("tallies")] == [
            ("tallies", True, "running"), ("tallies@1", False, "paused")]
        admin.promote_projection("tallies", 1)  # a rollback is one call
        assert [(v.name, v.live, v.status) for v in admin.projection_versions("tallies")] == [
            ("tallies", True, "running"), ("tallies@2", False, "paused")]
    finally:
        admin.close()


# -- asyncio, mirrored -----------------------------------------------------------------------

def test_the_async_client_mirrors_the_sync_one(db):
    conninfo = db.cluster.conninfo(db.name, user="es_writer")
    public = {n for n in dir(EventStore) if not n.startswith("_")} - {"pool", "conninfo"}
    assert public <= {n for n in dir(AsyncEventStore) if not n.startswith("_")}

    async def main() -> None:
        store = await AsyncEventStore.connect(conninfo, max_size=4)
        try:
            stream = uuid.uuid4()
            assert await store.append("A", stream, [es.NewEvent("E", {"n": 1})], expected_version=es.NO_STREAM) == 1
            with pytest.raises(es.WrongExpectedVersion) as info:
                await store.append("A", stream, [es.NewEvent("E", {})], expected_version=0)
            assert info.value.actual == 1
            assert [e.data for e in await store.read_stream("A", stream)] == [{"n": 1}]

            async def add(state: int) -> list[es.NewEvent]:
                return [es.NewEvent("E", {"n": state + 1})]

            results = await asyncio.gather(*[
                store.decide("A", stream, fold=lambda s, e: e.data["n"], decide=add, initial=0, max_retries=50)
                for _ in range(5)])
            assert sorted(results) == [2, 3, 4, 5, 6]
            assert [e.data["n"] for e in await store.read_stream("A", stream)] == [1, 2, 3, 4, 5, 6]
            follower = store.follow(poll_interval=0.2)
            got = [await follower.__anext__() for _ in range(6)]
            await follower.aclose()
            assert [e.version for e in got] == [1, 2, 3, 4, 5, 6]
        finally:
            await store.close()

    asyncio.run(main())


# -- the consumer --------------------------------------------------------------------------

def poisoned_subscription(db, name: str, streams: int, max_attempts: int) -> uuid.UUID:
    """A read-model table public.seen, subscription ``name`` over stream type C, ``streams``
    streams of 3 events, then a stream whose first event the handlers fail on; its id."""
    db.execute("CREATE TABLE public.seen (id uuid PRIMARY KEY, n int); GRANT ALL ON public.seen TO eventstore_projector")
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription(%s, ARRAY['C'], in_max_attempts := %s)", (name, max_attempts))
    writer = store_as(db, "es_writer")
    for _ in range(streams):
        writer.append("C", uuid.uuid4(), [es.NewEvent("E", {"n": n}) for n in range(3)], expected_version=es.NO_STREAM)
    poison = uuid.uuid4()
    writer.append("C", poison, [es.NewEvent("Poison", {}), es.NewEvent("E", {"n": 9})], expected_version=es.NO_STREAM)
    writer.close()
    return poison


def test_a_transactional_consumer_writes_its_read_model_with_the_ack(db):
    poison = poisoned_subscription(db, "model", 10, max_attempts=2)

    def handle(event: es.RecordedEvent, conn: psycopg.Connection) -> None:
        conn.execute("INSERT INTO public.seen VALUES (%s, %s)", (event.id, event.data.get("n")))
        if event.event_type == "Poison":
            raise ValueError("cannot")  # its row goes with the rolled-back transaction

    store = store_as(db, "es_projector")
    try:
        consumer = es.Consumer(store, "model", handle, batch=7)
        consumer.run_until_idle()
        consumer.run_until_idle()  # the poison event again (attempt 2), then parked
    finally:
        store.close()
    assert db.scalar("SELECT count(*) FROM public.seen") == 30
    assert db.execute("SELECT stream_id, version FROM api.parked_events") == [(poison, 1)]
    with db.connect("es_admin") as a:
        status = a.execute("SELECT in_flight, waiting FROM api.subscription_status").fetchone()
    assert status == (0, 1), "everything acknowledged but the parked event and the one behind it"


def test_the_async_consumer_mirrors_the_sync_one(db):
    public = {n for n in dir(es.Consumer) if not n.startswith("_")}
    assert public == {n for n in dir(es.AsyncConsumer) if not n.startswith("_")}
    poison = poisoned_subscription(db, "amodel", 5, max_attempts=1)

    async def handle(event: es.RecordedEvent, conn: psycopg.AsyncConnection) -> None:
        await conn.execute("INSERT INTO public.seen VALUES (%s, %s)", (event.id, event.data.get("n")))
        if event.event_type == "Poison":
            raise ValueError("cannot")

    async def main() -> int:
        store = await AsyncEventStore.connect(db.cluster.conninfo(db.name, user="es_projector"), max_size=2)
        try:
            consumer = es.AsyncConsumer(store, "amodel", handle, batch=4, idle_wait=0.2)
            drained = await consumer.run_until_idle()
            runner = asyncio.create_task(consumer.run())
            await asyncio.sleep(0.3)
            consumer.stop()
            await asyncio.wait_for(runner, 5)
            return drained
        finally:
            await store.close()

    assert asyncio.run(main()) == 16
    assert db.scalar("SELECT count(*) FROM public.seen") == 15, "the poison's row went with its transaction"
    assert db.execute("SELECT stream_id, version FROM api.parked_events") == [(poison, 1)]


# -- every documented error arrives as its class ----------------------------------------------

def readme_codes() -> set[str]:
    """The codes of the documented error table (docs/reference/errors.md, the site's Errors page)."""
    section = (REPO / "docs" / "reference" / "errors.md").read_text()
    return set(re.findall(r"^\| `([0-9A-Z]{5})` \|", section, re.M))


def test_every_documented_sqlstate_has_its_class():
    codes = readme_codes()
    assert "ZE001" in codes and "40001" in codes and len(codes) >= 19
    classes = {cls.sqlstate: cls for cls in vars(errors).values()
               if isinstance(cls, type) and issubclass(cls, errors.EventStoreError) and cls.sqlstate}
    assert codes <= set(classes), f"no class for {codes - set(classes)}"
    # ZE021: a failed condition is cured by reading again and appending again.
    assert {c for c in codes if classes[c].retryable} == {"40001", "55P03", "ZE021"}


E = '[{"event_type": "E", "event_data": {}}]'
DELETED = "018f0000-0000-7000-8000-000000000002"
PERSONAL = "018f0000-0000-7000-8000-000000000003"
# What raises each documented SQLSTATE: (the role that calls, the statements), on a database
# where stream Del/DELETED exists.
TRIGGERS: dict[str, tuple[str, list[str]]] = {
    "ZE001": ("es_writer", [f"CALL api.append_events('Del', '{DELETED}', 5, '{E}', NULL)"]),
    "ZE002": ("es_writer", ["CALL api.append_events('T', gen_random_uuid(), 0, '[]', NULL)"]),
    "ZE003": ("es_reader", ["SELECT * FROM api.get_all_events(NULL, 0)"]),
    "ZE004": ("es_reader", ["SELECT * FROM api.get_all_events(gen_random_uuid(), 1)"]),
    "ZE005": ("es_projector", ["SELECT api.run_projection('nope')"]),
    "ZE006": ("postgres", ["""SELECT api.register_event_schema('Typed', 1, '{"type": "object", "required": ["x"]}')""",
                           """CALL api.append_events('T', gen_random_uuid(), 0, '[{"event_type": "Typed", "event_data": {}}]', NULL)"""]),
    "ZE007": ("es_writer", [f"CALL api.append_events_idempotent('T', gen_random_uuid(), 0, '{E}', "
                            "'018f0000-0000-7000-8000-0000000000aa', NULL)"] * 2),
    "ZE008": ("postgres", ["DELETE FROM data.events"]),
    # the code of an application's command (the Order example's, say) refusing by its rules
    "ZE009": ("es_writer", ["DO $$ BEGIN RAISE EXCEPTION 'the tally is closed' USING ERRCODE = 'ZE009'; END $$"]),
    "ZE010": ("es_admin", ["SELECT api.register_reducer('T', 'pg_catalog.now()', 1, NULL)"]),
    "ZE011": ("es_admin", ["SELECT api.resume_projection('snapshots')"]),
    "ZE012": ("postgres", ["CREATE FUNCTION public.boom(e data.events[]) RETURNS void LANGUAGE plpgsql "
                           "AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$",
                           "CREATE FUNCTION public.unboom() RETURNS void LANGUAGE sql AS $$ SELECT $$",
                           "SELECT api.register_projection('boom', 'public.boom(data.events[])', 'public.unboom()')",
                           "CALL api.rebuild_projection('boom')"]),
    "ZE013": ("es_projector", ["SELECT * FROM api.claim_events('nope', 'c')"]),
    "ZE014": ("es_admin", ["SELECT api.create_subscription('twice')"] * 2),
    "ZE015": ("es_writer", [f"SELECT api.delete_stream('Del', '{DELETED}', NULL)",
                            f"CALL api.append_events('Del', '{DELETED}', NULL, '{E}', NULL)"]),
    "ZE016": ("es_admin", [f"SELECT api.purge_stream('Del', '{DELETED}')"]),
    "ZE017": ("es_projector", ["SELECT * FROM api.claim_events('reserved', 'c')"]),
    "ZE018": ("es_writer", ["SELECT api.record_tracking('down', 'up', 2)", "SELECT api.record_tracking('down', 'up', 1)"]),
    "ZE019": ("postgres", ["SET LOCAL ROLE es_writer", "SELECT api.record_tracking('down', 'up', 1)", "RESET ROLE",
                           "SET LOCAL ROLE es_projector", "SELECT api.record_tracking('down', 'up', 2)"]),
    "ZE021": ("es_writer", ["""SELECT api.append_tagged('[{"event_type": "E", "event_data": {}, "tags": ["t"]}]', '[]')"""]
              * 2),
    "ZE020": ("postgres", ["SELECT api.register_personal_data('PD', '$.p', ARRAY['n'])",
                           f"CALL api.append_events('PDS', '{PERSONAL}', 0, "
                           "'[{\"event_type\": \"PD\", \"event_data\": {\"p\": \"s1\", \"n\": \"x\"}}]', NULL)",
                           "SELECT api.forget_subject('s1')",
                           f"CALL private.save_snapshot('PDS', '{PERSONAL}', 1, '{{}}')"]),
    "42501": ("es_reader", [f"CALL api.append_events('T', gen_random_uuid(), 0, '{E}', NULL)"]),
}


def test_every_code_of_the_readme_is_raised_here():
    # 40001 has a test of its own (two connections); 55P03 needs a minute of lock retries: its
    # class is checked by the mapping only (test_every_documented_sqlstate_has_its_class);
    # 2D000 is raised by a sharded store's endpoint, and arrives as its class there
    # (tests/test_sharding.py).
    assert readme_codes() - {"40001", "55P03", "2D000"} == set(TRIGGERS)


@pytest.mark.parametrize("sqlstate", sorted(TRIGGERS))
def test_documented_errors_arrive_as_their_classes(db, sqlstate):
    with db.connect("es_writer") as w:
        w.execute(f"CALL api.append_events('Del', '{DELETED}', 0, '{E}', NULL)")
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription('reserved')")
        a.execute("SELECT api.set_subscription_role('reserved', 'es_admin')")
    user, statements = TRIGGERS[sqlstate]
    store = store_as(db, user)
    try:
        with pytest.raises(es.EventStoreError) as info:
            with store.connection() as conn, conn.transaction(), translated():
                for statement in statements:
                    conn.execute(statement)
        assert type(info.value) is errors._BY_SQLSTATE[sqlstate]
        assert info.value.sqlstate == sqlstate and info.value.message
    finally:
        store.close()


def test_a_passed_late_appender_gets_append_order_conflict(db):
    db.execute("CREATE TABLE public.app (x int); GRANT ALL ON public.app TO eventstore_writer")
    store, reader = store_as(db, "es_writer"), store_as(db, "es_reader")
    try:
        with store.connection() as conn:
            with pytest.raises(es.AppendOrderConflict) as info, conn.transaction():
                conn.execute("INSERT INTO public.app VALUES (1)")  # this transaction has its id
                store.append("T", uuid.uuid4(), [es.NewEvent("Newer", {})], expected_version=es.NO_STREAM)
                assert [e.event_type for e in reader.read_all()] == ["Newer"]  # a reader reads past it
                store.append("T", uuid.uuid4(), [es.NewEvent("E", {})], expected_version=es.NO_STREAM, conn=conn)
        assert info.value.retryable and info.value.sqlstate == "40001"
    finally:
        store.close()
        reader.close()


# -- the consumer as a process, killed mid-batch; the sample service ---------------------------

def test_a_transactional_consumer_killed_mid_batch_leaves_no_event_unhandled_or_handled_twice(db):
    db.execute("CREATE TABLE public.handled (id uuid, pid int); GRANT ALL ON public.handled TO eventstore_projector")
    with db.connect("es_admin") as a:
        a.execute("SELECT api.create_subscription('killed', ARRAY['K'], in_lease := '1 second')")
    writer = store_as(db, "es_writer")
    for _ in range(20):
        writer.append("K", uuid.uuid4(), [es.NewEvent("E", {}) for _ in range(3)], expected_version=es.NO_STREAM)
    writer.close()
    expected = {r[0] for r in db.execute("SELECT id FROM data.events WHERE stream_type = 'K'")}

    def start(delay: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "eventstore", "consume", db.cluster.conninfo(db.name, user="es_projector"),
             "--subscription", "killed", "--handler", "tests.consumer_handlers:record_row", "--batch", "10",
             "--idle-wait", "0.2"],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), "CONSUMER_DELAY": delay})

    first = start("0.05")
    deadline = time.monotonic() + 30
    while db.scalar("SELECT count(*) FROM public.handled") < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # mid-batch: a transaction of its may be open
    first.wait(10)
    handled_before = db.scalar("SELECT count(*) FROM public.handled")
    assert 15 <= handled_before < 60
    second = start("0")
    deadline = time.monotonic() + 60
    while db.scalar("SELECT count(*) FROM public.handled") < 60 and time.monotonic() < deadline:
        time.sleep(0.1)
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0, "SIGTERM: a clean stop"
    rows = [r[0] for r in db.execute("SELECT id FROM public.handled")]
    assert set(rows) == expected, "nothing lost"
    assert len(rows) == len(expected), "nothing handled twice: the read model and the acks commit together"


@pytest.mark.slow
def test_the_bank_example_passes_its_own_tests_on_the_plugin():
    """examples/bank: a service written with the package; its tests use the plugin with no
    server named, so the plugin makes a throwaway one and deploys the store with sqitch."""
    env = {k: v for k, v in os.environ.items() if k != "EVENTSTORE_TEST_DSN"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "eventstore.pytest_plugin", "-q", "-p", "no:cacheprovider",
                        "--durations=0", "tests"], cwd=REPO / "examples" / "bank",
                       env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 passed" in r.stdout


CATALOG = """
SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc) || ' ' || coalesce(array_to_string(p.proconfig, ','), '')
       || ' ' || coalesce(p.proacl::text, '') || ' ' || p.prosecdef::text
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname IN ('api', 'private', 'data', 'registered')
UNION ALL
SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '')
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'private', 'data', 'registered') AND c.relname NOT LIKE 'events\\_20%'
UNION ALL
SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'data') AND a.attnum > 0 AND NOT a.attisdropped AND c.relname NOT LIKE 'events\\_20%'
UNION ALL
SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || t.tgenabled::text
FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'data' AND NOT t.tgisinternal AND c.relname NOT LIKE 'events\\_20%'
UNION ALL
SELECT 'projection ' || projection_name || ' ' || handler::text FROM data.projections
ORDER BY 1
"""


@pytest.mark.slow
def test_a_store_deployed_without_sqitch_is_the_same_store_and_sqitch_refuses_it(cluster):
    """For throwaway and test databases: the plan's scripts through psql give the catalog sqitch
    gives; sqitch then refuses that database with a message saying why."""
    from eventstore.bundle import deploy

    names = [f"nosqitch_{uuid.uuid4().hex[:8]}", f"sqitch_{uuid.uuid4().hex[:8]}"]
    for name in names:
        cluster.create_database(name)
    try:
        deploy(cluster.conninfo(names[0]), without_sqitch=True)
        cluster.sqitch("deploy", dbname=names[1])
        without, with_sqitch = (cluster.execute(n, CATALOG) for n in names)
        assert len(without) > 300
        assert without == with_sqitch
        # The whole schema, as the committed snapshot records it (tests/test_schema_snapshot.py
        # deploys without sqitch and relies on this).
        assert dump(cluster, names[0]) == dump(cluster, names[1])
        refused = cluster.sqitch("status", dbname=names[0], check=False)
        assert refused.returncode != 0 and "deployed into this database without sqitch" in refused.stderr
        with pytest.raises(RuntimeError, match="without the store"):
            deploy(cluster.conninfo(names[0]), without_sqitch=True)
        with EventStore.connect(cluster.conninfo(names[0]), max_size=1) as store:
            stream = uuid.uuid4()
            store.append("T", stream, [es.NewEvent("E", {"n": 1})], expected_version=es.NO_STREAM)
            assert [e.data for e in store.read_stream("T", stream)] == [{"n": 1}]
    finally:
        for name in names:
            cluster.drop_database(name)
