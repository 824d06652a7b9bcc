"""High availability on a real pg_auto_failover formation (harness/formation.py: a monitor, a
primary, two synchronous-quorum standbys, pg_cron on every node), with real processes killed:
no acknowledged append is lost, appends with an idempotency key land exactly once, and the
package's clients (writers, a transactional consumer, a follower) and a projection under
pg_cron carry on from the new primary (docs/high-availability.md)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

import eventstore as es
from eventstore.errors import OutcomeUnknown
from harness.formation import Formation, free_ports

pytestmark = pytest.mark.slow

ROLES = """
CREATE ROLE es_writer LOGIN IN ROLE eventstore_writer;
CREATE ROLE es_reader LOGIN IN ROLE eventstore_reader;
CREATE ROLE es_projector LOGIN IN ROLE eventstore_projector;
CREATE ROLE es_admin LOGIN IN ROLE eventstore_admin;
CREATE TABLE public.handled (id uuid NOT NULL);   -- the consumer's read model: no key, a duplicate shows
CREATE TABLE public.projected (id uuid NOT NULL); -- the projection's, likewise
GRANT INSERT, SELECT ON public.handled TO eventstore_projector;
GRANT INSERT, SELECT, DELETE ON public.projected TO eventstore_admin;
CREATE FUNCTION public.project(in_events data.events[]) RETURNS void LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ INSERT INTO public.projected SELECT e.id FROM unnest(in_events) AS e $$;
CREATE FUNCTION public.unproject() RETURNS void LANGUAGE sql
    SET search_path = pg_catalog, pg_temp AS $$ DELETE FROM public.projected $$;
ALTER FUNCTION public.project(data.events[]) OWNER TO es_admin;
ALTER FUNCTION public.unproject() OWNER TO es_admin;
"""


def worker_ports(count: int) -> int:
    """Ports of the pytest-xdist worker's own range (two workers bringing formations up at once
    would find the same free ports)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return free_ports(count, 59100 + 200 * (int(worker) if worker.isdigit() else 0))


def bring_up() -> Formation:
    """A formation at full strength. A standby's bring-up has stayed in catchingup for minutes
    now and then (2 of 8 full CI runs, beside every other test on two cores): such a formation is
    taken down and made again, once. Bringing it up is the tests' setting, not what they test."""
    for attempt in (1, 2):
        # Under /tmp: pytest's own temporary directories are closed to the postgres OS user.
        base = Path(tempfile.mkdtemp(prefix="eventstore-formation-")) / "f"
        base.parent.chmod(0o755)
        f = Formation(base, port=worker_ports(4))
        try:
            f.up(with_sqitch=False)
            return f
        except TimeoutError as stuck:
            f.down()
            shutil.rmtree(base.parent, ignore_errors=True)
            if attempt == 2 or "the standbys not within" not in str(stuck):
                raise
            warnings.warn(f"made the formation again: {stuck}", stacklevel=1)
    raise AssertionError("unreachable")


@pytest.fixture
def formation() -> Iterator[Formation]:
    f = bring_up()
    base = f.base
    try:
        with psycopg.connect(f.node_conninfo(f.nodes[0]), autocommit=True) as conn:
            conn.execute(ROLES)
        with psycopg.connect(f.node_conninfo(f.nodes[0], user="es_admin"), autocommit=True) as conn:
            conn.execute("SELECT api.register_projection('ha_projected', 'public.project(data.events[])', "
                         "'public.unproject()', NULL, ARRAY['HA'])")
            conn.execute("SELECT api.create_subscription('ha', ARRAY['HA'], in_lease := '5 seconds')")
        yield f
    finally:
        f.down()
        shutil.rmtree(base.parent, ignore_errors=True)


class Writers:
    """Threads appending one event to a new stream of type HA each time, until stopped. Keyed
    writers give each intended append an idempotency key and make it again, same key, until it
    is acknowledged; plain writers record what was acknowledged and count the outcomes they
    cannot know (OutcomeUnknown)."""

    def __init__(self, store: es.EventStore, keyed: int, plain: int) -> None:
        self.store = store
        self.stop = threading.Event()
        self.acked: list[tuple[float, uuid.UUID]] = []
        self.intended: list[uuid.UUID] = []
        self.unknown: list[uuid.UUID] = []
        self.errors: list[BaseException] = []
        # Per stream, each attempt's start, end and outcome (monotonic seconds): for a failure's message.
        self.attempts: dict[uuid.UUID, list[tuple[float, float, str]]] = {}
        self.threads = [threading.Thread(target=self.keyed, daemon=True) for _ in range(keyed)]
        self.threads += [threading.Thread(target=self.plain, daemon=True) for _ in range(plain)]
        for t in self.threads:
            t.start()

    def keyed(self) -> None:
        while not self.stop.is_set():
            stream, key = uuid.uuid4(), uuid.uuid4()
            self.intended.append(stream)
            attempts = self.attempts.setdefault(stream, [])
            while True:
                started = time.monotonic()
                try:
                    self.store.append("HA", stream, [es.NewEvent("E", {"keyed": True})], expected_version=es.NO_STREAM,
                                      idempotency_key=key)
                    self.acked.append((time.monotonic(), stream))
                    attempts.append((started, time.monotonic(), "acknowledged"))
                    break
                except (OutcomeUnknown, psycopg.OperationalError) as lost:
                    attempts.append((started, time.monotonic(), f"{type(lost).__name__}: {str(lost)[:80]}"))
                    time.sleep(0.1)  # the client waited reconnect_timeout already: once more
                except BaseException as exc:
                    self.errors.append(exc)
                    return

    def plain(self) -> None:
        while not self.stop.is_set():
            stream = uuid.uuid4()
            try:
                self.store.append("HA", stream, [es.NewEvent("E", {})], expected_version=es.NO_STREAM)
                self.acked.append((time.monotonic(), stream))
            except OutcomeUnknown:
                self.unknown.append(stream)
            except psycopg.OperationalError:
                time.sleep(0.1)
            except BaseException as exc:
                self.errors.append(exc)
                return

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(120)
        assert not any(t.is_alive() for t in self.threads), "a writer hangs"


def streams_on(f: Formation, node: str | None = None) -> list[uuid.UUID]:
    """The HA streams on ``node``, by default on the primary as the monitor knows it."""
    if node is None:
        f.wait_for("one primary", lambda: f.primary() is not None, timeout=120)
        node = f.primary()
        assert node is not None
    with psycopg.connect(f.node_conninfo(node), autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT stream_id FROM data.events WHERE stream_type = 'HA'")]


def where(f: Formation, streams: set[uuid.UUID], writers: Writers | None = None,
          since: tuple[float, float] | None = None) -> str:
    """For a failure's message: the formation's state and which node has which of ``streams``;
    with ``writers``, each stream's attempts; with ``since`` (a monotonic and a wall-clock time
    of one moment), the attempts' times from it and the monitor's events after it."""
    found = {}
    for node in f.nodes:
        try:
            found[node] = len(streams & set(streams_on(f, node)))
        except psycopg.Error as error:
            found[node] = str(error)[:60]
    text = f"state {f.state()}; of {len(streams)} missing streams, each node has {found}"
    if writers is not None:
        origin = since[0] if since else 0.0
        for stream in streams:
            tried = [(round(at - origin, 2), round(end - origin, 2), outcome)
                     for at, end, outcome in writers.attempts.get(stream, [])]
            text += f"\n{stream}: attempts (start and end, s from the mark; outcome) {tried}"
    if since is not None:
        try:
            text += "\nmonitor events:\n" + "\n".join(f.events(since[1] - 5))
        except psycopg.Error as error:
            text += f"\n(no monitor events: {error})"
    # The nodes' logs outlive the formation (removed at teardown): keepers' and servers'.
    kept = Path(tempfile.mkdtemp(prefix="eventstore-ha-failure-"))
    for log in [*f.base.glob("*.log"), *f.base.glob("node*/log/*.log"), *f.base.glob("monitor/log/*.log")]:
        shutil.copy(log, kept / f"{log.parent.name}-{log.name}")
    return text + f"\nlogs kept in {kept}"


def test_a_lost_primary_loses_no_acknowledged_append_and_every_client_carries_on(formation, caplog):
    """Two keyed and one plain writer append through the client (a multi-host conninfo,
    target_session_attrs=read-write) while a transactional consumer keeps a read model, a
    follower reads the log and pg_cron runs a projection; the primary's machine is lost (every
    process of the node killed, nothing restarted). Then: every acknowledged append is on the
    new primary, each keyed one exactly once, each plain one at most once; the read model, the
    follower and the projection each saw every event once (the follower in log order). The old
    primary rejoins as a standby and the formation is at full strength again."""
    f = formation
    caplog.set_level(logging.WARNING)
    old = f.primary()
    assert old == f.nodes[0]
    writer = es.EventStore.connect(f.conninfo("es_writer"), max_size=4, timeout=20)
    projector = es.EventStore.connect(f.conninfo("es_projector"), max_size=2, timeout=20)
    reader = es.EventStore.connect(f.conninfo("es_reader"), max_size=2, timeout=20)

    def handle(event: es.RecordedEvent, conn: psycopg.Connection) -> None:
        conn.execute("INSERT INTO public.handled VALUES (%s)", (event.id,))

    consumer = es.Consumer(projector, "ha", handle, batch=20, idle_wait=0.5)
    consumer_errors: list[BaseException] = []

    def consume() -> None:
        try:
            consumer.run()
        except BaseException as exc:
            consumer_errors.append(exc)

    followed: list[uuid.UUID] = []
    follow_stop = threading.Event()

    def follow() -> None:
        try:
            for event in reader.follow(event_types=["E"], poll_interval=0.2):
                followed.append(event.id)
                if follow_stop.is_set():
                    return
        except BaseException as exc:
            consumer_errors.append(exc)

    threads = [threading.Thread(target=consume, daemon=True), threading.Thread(target=follow, daemon=True)]
    for t in threads:
        t.start()
    writers = Writers(writer, keyed=2, plain=1)
    try:
        time.sleep(4)
        before = len(writers.acked)
        lost_at, lost_wall = time.monotonic(), datetime.now(timezone.utc)
        lost_time = time.time()
        f.lose(old)
        f.wait_for("a new primary", lambda: f.primary() not in (None, old), timeout=90)
        new = f.primary()
        deadline = time.monotonic() + 60
        while not [a for a in writers.acked if a[0] > lost_at + 0.5] and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # appends go on on the new primary
    finally:
        writers.finish()
    window = min((a[0] for a in writers.acked if a[0] > lost_at + 0.5), default=None)
    assert writers.errors == [], writers.errors
    assert before > 0 and window is not None, "appends before the loss, and again after it"
    logging.getLogger(__name__).warning("no successful append for %.1f s after the loss", window - lost_at)

    stored = streams_on(f)
    acked = {s for _, s in writers.acked}
    assert acked <= set(stored), f"acknowledged appends lost: {where(f, acked - set(stored), writers, (lost_at, lost_time))}"
    assert len(stored) == len(set(stored)), "no append stored twice"
    keyed = set(writers.intended) & set(stored)
    assert {s for s in writers.intended if s in acked} <= keyed

    # Every event reaches the read model, the follower and the projection, once each.
    with psycopg.connect(f.conninfo(), autocommit=True) as conn:
        expected = [r[0] for r in conn.execute("SELECT id FROM api.get_all_events(NULL, 1000000) "
                                               "WHERE stream_type = 'HA'")]

        def counts() -> tuple[int, int, int]:
            return (conn.execute("SELECT count(*) FROM public.handled").fetchone()[0], len(followed),
                    conn.execute("SELECT count(*) FROM public.projected").fetchone()[0])

        deadline = time.monotonic() + 150  # pg_cron starts the worker on the new primary within a minute
        while counts() != (len(expected),) * 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        consumer.stop()
        follow_stop.set()
        handled = [r[0] for r in conn.execute("SELECT id FROM public.handled")]
        projected = [r[0] for r in conn.execute("SELECT id FROM public.projected")]
        ran_after = conn.execute("SELECT count(*) FROM cron.job_run_details WHERE start_time > %s",
                                 (lost_wall,)).fetchone()[0]
    for t in threads:
        t.join(30)
    assert consumer_errors == [], consumer_errors
    assert sorted(handled) == sorted(expected), "the transactional consumer handled each event once"
    assert followed[:len(expected)] == expected, "the follower saw each event once, in log order"
    assert sorted(projected) == sorted(expected), "the projection under pg_cron skipped nothing, applied nothing twice"
    assert ran_after >= 1, "pg_cron ran the worker on the new primary"
    messages = [r.getMessage() for r in caplog.records]
    assert any("lost" in m and "connection" in m for m in messages), "the clients said they lost the connection"

    # Failback: the old primary's keeper comes back; it rejoins as a standby.
    f.rejoin(old)
    f.wait_for("the old primary back as a standby", lambda: f.healthy(new), timeout=120)
    writer2 = es.EventStore.connect(f.conninfo("es_writer"), max_size=1)
    writer2.append("HA", uuid.uuid4(), [es.NewEvent("E", {})], expected_version=es.NO_STREAM)
    for store in (writer, writer2, projector, reader):
        store.close()
    with psycopg.connect(f.node_conninfo(old), autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        deadline = time.monotonic() + 30
        while (conn.execute("SELECT count(*) FROM data.events WHERE stream_type = 'HA'").fetchone()[0]
               < len(stored) + 1 and time.monotonic() < deadline):
            time.sleep(0.2)
        assert conn.execute("SELECT count(*) FROM data.events WHERE stream_type = 'HA'").fetchone()[0] \
            == len(stored) + 1, "the rejoined standby has every event"


def acked_since(writers: Writers, since: float) -> int:
    return sum(1 for at, _ in writers.acked if at > since)


def test_standbys_lost_and_a_killed_postmaster(formation):
    """With keyed writers appending throughout: a lost standby does not stop writes (the other
    one is the synchronous quorum); with both lost the primary acknowledges nothing more (an
    append waits, committed locally only, until a standby is back: never acknowledged on one
    server); the standbys rejoin and the waiting append is acknowledged. Then the primary's
    postmaster alone is SIGKILLed (its keeper restarts it, or the monitor fails over): every
    acknowledged append is stored exactly once."""
    f = formation
    primary, first, second = f.primary(), f.nodes[1], f.nodes[2]
    writer = es.EventStore.connect(f.conninfo("es_writer"), max_size=3, timeout=20)
    writers = Writers(writer, keyed=2, plain=0)
    killed, killed_at = time.monotonic(), time.time()  # the mark of a failure's message: set at the kill
    try:
        time.sleep(2)
        f.lose(first)
        lost = time.monotonic()
        time.sleep(3)
        assert acked_since(writers, lost) > 0, "one standby lost: writes go on"

        f.lose(second)
        time.sleep(1)
        waiting: list = []

        def append_alone() -> None:
            with psycopg.connect(f.conninfo("es_writer"), autocommit=True) as conn:
                conn.execute("CALL api.append_events('HA', gen_random_uuid(), 0, "
                             "'[{\"event_type\": \"Alone\", \"event_data\": {}}]', NULL)")
                waiting.append(time.monotonic())

        alone = threading.Thread(target=append_alone, daemon=True)
        alone.start()
        alone.join(5)
        assert alone.is_alive() and not waiting, "no standby: an append is not acknowledged"
        stalled = time.monotonic()
        f.rejoin(first)
        f.rejoin(second)
        alone.join(120)
        assert waiting, "acknowledged once a standby was back"
        f.wait_for("full strength", lambda: f.healthy(primary), timeout=120)
        assert acked_since(writers, stalled) > 0

        killed, killed_at = time.monotonic(), time.time()
        f.kill_postmaster(primary)
        deadline = time.monotonic() + 90
        while acked_since(writers, killed + 0.5) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert acked_since(writers, killed + 0.5) > 0, "writes resume after the postmaster's death"
        time.sleep(2)
    finally:
        writers.finish()
        writer.close()
    assert writers.errors == [], writers.errors
    stored = streams_on(f)
    missing = {s for _, s in writers.acked} - set(stored)
    assert not missing, f"acknowledged appends lost: {where(f, missing, writers, (killed, killed_at))}"
    assert len(stored) == len(set(stored)), "none stored twice"
    with psycopg.connect(f.conninfo(), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM data.events WHERE event_type = 'Alone'").fetchone()[0] == 1
        # Read your writes on a standby: the primary's WAL position after the writes, waited for.
        written = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    f.wait_for("a standby", lambda: ("secondary", "secondary") in f.state().values(), timeout=120)
    reader = es.EventStore.connect(f.conninfo("es_reader", attrs="prefer-standby"), max_size=1)
    try:
        with reader.connection() as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True, "prefer-standby: a standby"
            deadline = time.monotonic() + 30
            while conn.execute("SELECT pg_last_wal_replay_lsn() < %s::pg_lsn", (written,)).fetchone()[0] \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
        on_standby = {e.stream_id for e in reader.read_all(limit=100000) if e.stream_type == "HA"}
    finally:
        reader.close()
    assert on_standby == set(stored), "a reader on a standby reads every event once it has replayed that far"


def test_a_replayed_key_is_not_acknowledged_before_a_standby_has_its_append(formation):
    """An append with a key commits on the primary while no standby is left (it waits, not
    acknowledged); the primary's postmaster is killed and restarted by its keeper, and crash
    recovery makes that commit visible on the primary alone. The client makes the append again
    with the same key: before, the store answered at once from the key (an acknowledgement of
    what one server holds, lost if a standby is promoted next: the CI failure of the postmaster
    test); now the answer waits for a standby like any write, and comes once one is back."""
    f = formation
    primary, first, second = f.primary(), f.nodes[1], f.nodes[2]
    stream, key = uuid.uuid4(), uuid.uuid4()
    call = ("CALL api.append_events_idempotent('HA', %s, 0, "
            "'[{\"event_type\": \"E\", \"event_data\": {}}]', %s, NULL)")
    f.lose(first)
    f.lose(second)
    outcomes: list = []

    def append() -> None:
        try:
            with psycopg.connect(f.node_conninfo(primary, user="es_writer"), autocommit=True) as conn:
                outcomes.append(conn.execute(call, (stream, key)).fetchone()[0])
        except psycopg.Error as error:
            outcomes.append(error)

    waiting = threading.Thread(target=append, daemon=True)
    waiting.start()
    waiting.join(3)
    assert waiting.is_alive(), "no standby: the append waits"
    f.kill_postmaster(primary)
    waiting.join(30)
    assert len(outcomes) == 1 and isinstance(outcomes[0], psycopg.OperationalError), outcomes
    f.wait_for("the primary restarted", lambda: bool(psycopg.connect(f.node_conninfo(primary)).close() or True),
               timeout=60)
    with psycopg.connect(f.node_conninfo(primary), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM data.events WHERE stream_id = %s", (stream,)).fetchone()[0] == 1, \
            "crash recovery made the unacknowledged commit visible on the primary"
    again = threading.Thread(target=append, daemon=True)
    again.start()
    again.join(4)
    assert again.is_alive(), f"the replayed key was answered with no standby to hold it: {outcomes[1:]}"
    f.rejoin(first)
    f.rejoin(second)
    again.join(120)
    assert outcomes[1:] == [1], "answered once a standby has it"
    f.wait_for("full strength", lambda: f.healthy(), timeout=120)
    assert streams_on(f).count(stream) == 1


def test_an_append_is_acknowledged_only_once_a_standby_has_applied_it(formation):
    """pg_auto_failover elects the standby that reports the highest position, and a standby
    reports it after restarting without its primary, when the position it can give is how far it
    has *replayed* (pg_last_wal_receive_lsn() is NULL after that restart). A commit a standby had
    flushed but not yet replayed was acknowledged under synchronous_commit = on, and lost when a
    standby that reported a higher replay position was promoted (the CI failure of the postmaster
    test, where a loaded standby's replay lagged). With synchronous_commit = remote_apply (the
    formation's setting, docs/high-availability.md) the acknowledgement waits for replay.

    Made deterministic here: one standby replays with a delay of an hour (recovery_min_apply_delay
    holds back the replay of commits, not their flush); the other is lost; an append is then held
    unacknowledged; the primary is lost, the other standby comes back and is promoted (it reports
    the higher replay position); the held append was never acknowledged, and once the delay is
    lifted the new primary acknowledges appends again."""
    f = formation
    primary, first, second = f.primary(), f.nodes[1], f.nodes[2]
    with psycopg.connect(f.node_conninfo(second), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET recovery_min_apply_delay = '1h'")
        conn.execute("SELECT pg_reload_conf()")
    store = es.EventStore.connect(f.conninfo("es_writer"), max_size=2, timeout=20)
    try:
        before = uuid.uuid4()
        store.append("HA", before, [es.NewEvent("E", {})], expected_version=es.NO_STREAM)  # applied by the first
        f.lose(first)
        held, outcomes = uuid.uuid4(), []

        def append() -> None:
            try:
                with psycopg.connect(f.node_conninfo(primary, user="es_writer"), autocommit=True) as conn:
                    conn.execute("CALL api.append_events('HA', %s, 0, '[{\"event_type\": \"E\", \"event_data\": {}}]',"
                                 " NULL)", (held,))
                outcomes.append("acknowledged")
            except psycopg.Error as error:
                outcomes.append(error)

        waiting = threading.Thread(target=append, daemon=True)
        waiting.start()
        waiting.join(5)
        assert waiting.is_alive() and not outcomes, \
            "acknowledged while the only standby left had flushed the append but not applied it"
        f.lose(primary)
        waiting.join(30)
        assert outcomes and outcomes[0] != "acknowledged", outcomes
        f.rejoin(first)

        def promoted() -> str | None:  # wait_primary: promoted, no standby back yet
            found = [n for n, (reported, _) in f.state().items()
                     if n != primary and reported in ("primary", "wait_primary")]
            return found[0] if found else None

        f.wait_for("a standby promoted", lambda: promoted() is not None, timeout=120)
        assert promoted() == first, f"the standby with the higher replay position is promoted: {f.state()}"

        def lift() -> bool:
            with psycopg.connect(f.node_conninfo(second), autocommit=True) as conn:
                conn.execute("ALTER SYSTEM RESET recovery_min_apply_delay")
                conn.execute("SELECT pg_reload_conf()")
            return True

        f.wait_for("the delay lifted", lift, timeout=120)
        f.rejoin(primary)
        after = uuid.uuid4()  # with a key: the pool's connection to the lost primary is dead, the call retried
        store.append("HA", after, [es.NewEvent("E", {})], expected_version=es.NO_STREAM, idempotency_key=uuid.uuid4())
    finally:
        store.close()
    stored = streams_on(f, first)
    assert before in stored and after in stored, "what was acknowledged is on the new primary"
