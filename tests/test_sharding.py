"""A sharded store on one machine (docs/sharding.md): shard clusters that each hold the bundle,
and an endpoint database in a cluster of its own, deployed by ``python -m eventstore proxy
deploy``; the package's client talks to the endpoint as to one store. Real PL/Proxy, real
separate servers, a shard really stopped and really hung."""

from __future__ import annotations

import os
import random
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

import eventstore as es
from eventstore import proxy
from eventstore.__main__ import main
from harness.cluster import Cluster, free_port, throwaway_cluster
from tests.conftest import create_login_roles, deploy_template

pytestmark = pytest.mark.slow

SHARD_DB = "store"


@dataclass
class Sharded:
    proxy: Cluster
    shards: list[Cluster]
    dbname: str  # the endpoint's database on the proxy cluster; the shards' is SHARD_DB

    def shard_conninfo(self, i: int, user: str = "postgres") -> str:
        c = self.shards[i]
        return f"host={c.socket_dir} port={c.port} dbname={SHARD_DB} user={user}"

    def conninfo(self, user: str = "postgres") -> str:
        return f"host={self.proxy.socket_dir} port={self.proxy.port} dbname={self.dbname} user={user}"

    def on_shard(self, i: int, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.shard_conninfo(i), autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []


@pytest.fixture(scope="module")
def machines(template_db: str) -> Iterator[tuple[Cluster, list[Cluster]]]:
    """A proxy cluster and four shard clusters, each shard with the bundle in SHARD_DB (the
    session's deploy, restored) and the tests' login roles."""
    made: list[Cluster] = []
    try:
        proxy_cluster = throwaway_cluster("eventstore-proxy-", port_from=57300, cron_database=False)
        made.append(proxy_cluster)
        shards = []
        for i in range(4):
            shard = throwaway_cluster(f"eventstore-shard{i}-", port_from=57310 + 10 * i, cron_database=False)
            made.append(shard)
            shard.create_database(SHARD_DB)
            deploy_template(shard, SHARD_DB)
            create_login_roles(shard)
            shards.append(shard)
        yield proxy_cluster, shards
    finally:
        for c in made:
            c.stop()


def endpoint(machines: tuple[Cluster, list[Cluster]], dbname: str, count: int, **deploy_options: str) -> Sharded:
    proxy_cluster, shards = machines
    proxy_cluster.create_database(dbname)
    s = Sharded(proxy_cluster, shards[:count], dbname)
    print(proxy.deploy(s.conninfo(), [s.shard_conninfo(i).removesuffix(" user=postgres") for i in range(count)],
                       **deploy_options))
    create_login_roles(proxy_cluster)
    return s


def streams_on_every_shard(s: Sharded, per_shard: int = 1) -> dict[int, list[uuid.UUID]]:
    found: dict[int, list[uuid.UUID]] = {i: [] for i in range(len(s.shards))}
    with psycopg.connect(s.conninfo()) as conn:
        while any(len(v) < per_shard for v in found.values()):
            stream = uuid.uuid4()
            found[conn.execute("SELECT api.shard_of(%s)", (stream,)).fetchone()[0]].append(stream)
    return found


@pytest.fixture(scope="module")
def four(machines: tuple[Cluster, list[Cluster]]) -> Sharded:
    return endpoint(machines, "four", 4, statement_timeout="4s")


def test_the_deploy_command_refuses_what_cannot_hold_and_changes_nothing_the_second_time(machines, capsys):
    proxy_cluster, shards = machines
    proxy_cluster.create_database("two")
    s = Sharded(proxy_cluster, shards[:2], "two")
    shard_args = [a for i in range(2) for a in ("--shard", s.shard_conninfo(i).removesuffix(" user=postgres"))]
    assert main(["proxy", "deploy", s.conninfo(), *shard_args]) == 0
    assert "deployed the endpoint over 2 shards" in capsys.readouterr().out
    assert main(["proxy", "deploy", s.conninfo(), *shard_args]) == 0
    assert "nothing to do" in capsys.readouterr().out
    # Other shards, a number that is not a power of two, a shard without the bundle: refused.
    assert main(["proxy", "deploy", s.conninfo(), *shard_args[:2]]) == 2
    assert "reshard" in capsys.readouterr().err
    proxy_cluster.create_database("three")
    three = [a for i in range(3) for a in ("--shard", Sharded(proxy_cluster, shards, "").shard_conninfo(i))]
    assert main(["proxy", "deploy", s.conninfo().replace("dbname=two", "dbname=three"), *three]) == 2
    assert "power of two" in capsys.readouterr().err
    bare = f"host={shards[0].socket_dir} port={shards[0].port} dbname=postgres"
    assert main(["proxy", "deploy", s.conninfo().replace("dbname=two", "dbname=three"),
                 "--shard", bare, "--shard", s.shard_conninfo(1)]) == 2
    assert "does not hold this package's bundle" in capsys.readouterr().err
    with psycopg.connect(s.conninfo().replace("dbname=two", "dbname=three")) as conn:
        assert conn.execute("SELECT to_regnamespace('api')").fetchone()[0] is None, "a refused deploy wrote nothing"

    # The endpoint works: each call lands on the shard its stream hashes to.
    create_login_roles(proxy_cluster)
    with es.EventStore.connect(s.conninfo("es_writer")) as store:
        for _ in range(20):
            stream = uuid.uuid4()
            store.append("Pair", stream, [es.NewEvent("E", {"n": 1})], expected_version=es.NO_STREAM)
            with psycopg.connect(s.conninfo()) as conn:
                home = conn.execute("SELECT api.shard_of(%s)", (stream,)).fetchone()[0]
            assert [len(s.on_shard(i, "SELECT 1 FROM data.events WHERE stream_id = %s", (stream,)))
                    for i in range(2)] == [1 if i == home else 0 for i in range(2)]


def test_concurrent_writers_through_the_endpoint_conflict_per_stream_and_every_event_is_on_its_shard(four):
    """Eight writers on 32 streams through the endpoint, each appending at the version it read
    (so that they collide): every conflict is the client's WrongExpectedVersion, as from one
    server; each stream's versions are 1..n with no gap, all on the shard api.shard_of names and
    on no other; nothing acknowledged is missing."""
    streams = [uuid.uuid4() for _ in range(32)]
    acked: list[tuple[uuid.UUID, int]] = []
    conflicts: list[es.WrongExpectedVersion] = []
    errors: list[BaseException] = []
    store = es.EventStore.connect(four.conninfo("es_writer"), max_size=8)

    def write(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(40):
                stream = rng.choice(streams)
                version = store.stream_version("Acct", stream)
                try:
                    new = store.append("Acct", stream, [es.NewEvent("Deposited", {"by": seed})], expected_version=version)
                    acked.append((stream, new))
                except es.WrongExpectedVersion as conflict:
                    conflicts.append(conflict)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    store.close()
    assert errors == []
    assert conflicts, "writers on 32 streams collide"
    assert all(c.sqlstate == "ZE001" and "REMOTE" not in c.message for c in conflicts)
    with psycopg.connect(four.conninfo()) as conn:
        home = {s: conn.execute("SELECT api.shard_of(%s)", (s,)).fetchone()[0] for s in streams}
    assert len(set(home.values())) == 4, "32 streams spread over the 4 shards"
    for stream in streams:
        found = {i: [r[0] for r in four.on_shard(i, "SELECT version FROM data.events WHERE stream_id = %s "
                                                    "ORDER BY version", (stream,))]
                 for i in range(4)}
        on = [i for i, versions in found.items() if versions]
        assert on in ([], [home[stream]]), f"stream {stream} on shards {on}, its shard is {home[stream]}"
        versions = found[home[stream]]
        assert versions == list(range(1, len(versions) + 1)), "gap-free versions"
        assert sorted(v for s, v in acked if s == stream) == versions, "every acknowledged append, once"


def test_errors_and_rights_through_the_endpoint_are_the_shards(four):
    stream = uuid.uuid4()
    with es.EventStore.connect(four.conninfo("es_writer")) as store:
        store.append("Acct", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
        with pytest.raises(es.WrongExpectedVersion) as wrong:
            store.append("Acct", stream, [es.NewEvent("Opened", {})], expected_version=es.NO_STREAM)
        # The structured details as from one server (the endpoint prefixes them: the client
        # takes the shard's fields back).
        assert (wrong.value.stream_id, wrong.value.expected, wrong.value.actual) == (stream, 0, 1), wrong.value.detail
        assert "REMOTE" not in wrong.value.message, wrong.value.message
        with pytest.raises(es.MalformedEvents):
            store.append("Acct", stream, [es.NewEvent("", {})], expected_version=1)
        key = uuid.uuid4()
        assert store.append("Acct", stream, [es.NewEvent("Deposited", {})], expected_version=1, idempotency_key=key) == 2
        assert store.append("Acct", stream, [es.NewEvent("Deposited", {})], expected_version=1, idempotency_key=key) == 2
        assert [e.version for e in store.read_stream("Acct", stream)] == [1, 2]
        assert store.stream_version("Acct", stream) == 2
    with es.EventStore.connect(four.conninfo("es_reader")) as reader:
        assert reader.stream_version("Acct", stream) == 2
        with pytest.raises(es.errors.PermissionDenied):
            reader.append("Acct", uuid.uuid4(), [es.NewEvent("E", {})], expected_version=es.NO_STREAM)


def test_a_reader_of_the_whole_log_sees_each_event_once_while_appends_go_on(four):
    stop = threading.Event()
    written: list[uuid.UUID] = []

    def write() -> None:
        with es.EventStore.connect(four.conninfo("es_writer"), max_size=2) as store:
            while not stop.is_set():
                stream = uuid.uuid4()
                store.append("Log", stream, [es.NewEvent("A", {}), es.NewEvent("B", {})], expected_version=es.NO_STREAM)
                written.append(stream)

    writers = [threading.Thread(target=write) for _ in range(3)]
    for t in writers:
        t.start()
    seen: list[tuple[int, uuid.UUID, str]] = []
    last: dict[int, object] = {}
    with es.EventStore.connect(four.conninfo("es_reader")) as reader:
        after = None
        deadline = time.monotonic() + 4
        while True:
            page = reader.read_shards(after=after, event_types=["A", "B"], limit=50)
            for shard, event in zip(page.shards, page.events, strict=True):
                seen.append((shard, event.stream_id, event.event_type))
            after = page.after
            if time.monotonic() > deadline and not stop.is_set():
                stop.set()
                for t in writers:
                    t.join(30)
            elif stop.is_set() and not page.events:
                break
            for i, position in enumerate(after):
                assert position is None or last.get(i) is None or position >= last[i]  # never back
                last[i] = position
    assert len(written) > 20
    events = [(s, t) for _, s, t in seen if s in set(written)]
    assert len(events) == len(set(events)) == 2 * len(written), "each event exactly once"
    with psycopg.connect(four.conninfo()) as conn:
        for shard, stream, _ in seen:
            if stream in set(written):
                assert conn.execute("SELECT api.shard_of(%s)", (stream,)).fetchone()[0] == shard
    per_stream = {}
    for _, stream, event_type in seen:
        per_stream.setdefault(stream, []).append(event_type)
    assert all(types == ["A", "B"] for s, types in per_stream.items() if s in set(written)), "a stream in order"


def test_a_stopped_or_hung_shard_fails_only_its_own_streams_calls(four):
    streams_by_shard = streams_on_every_shard(four, per_shard=2)
    with es.EventStore.connect(four.conninfo("es_writer"), max_size=2, reconnect_timeout=0) as store:
        for i in range(4):
            store.append("Iso", streams_by_shard[i][0], [es.NewEvent("E", {})], expected_version=es.NO_STREAM)

        def outcome(stream: uuid.UUID) -> tuple[str, float]:
            started = time.monotonic()
            try:
                store.stream_version("Iso", stream)
                return "ok", time.monotonic() - started
            except psycopg.Error as error:
                return type(error).__name__, time.monotonic() - started

        # Stopped: its calls fail at once; the other shards' calls go on.
        four.shards[3].shutdown()
        try:
            failed, took = outcome(streams_by_shard[3][0])
            assert failed != "ok" and took < 5, (failed, took)
            assert all(outcome(streams_by_shard[i][0])[0] == "ok" for i in range(3))
        finally:
            four.shards[3].start()
        assert outcome(streams_by_shard[3][0])[0] == "ok", "back with its shard"

        # Hung: a call held on its shard (a lock another session holds there) fails after the
        # endpoint's statement_timeout (4 s here), and the other shards' calls go on meanwhile.
        stuck = streams_by_shard[2][0]
        with psycopg.connect(four.shard_conninfo(2)) as holder:
            holder.execute("SELECT pg_advisory_xact_lock(hashtext('Iso'), hashtext(%s::text))", (stuck,))
            results: dict[str, tuple[str, float]] = {}

            def held() -> None:
                started = time.monotonic()
                try:
                    store.append("Iso", stuck, [es.NewEvent("E", {})], expected_version=1)
                    results["held"] = ("ok", time.monotonic() - started)
                except psycopg.Error as error:
                    results["held"] = (type(error).__name__, time.monotonic() - started)

            t = threading.Thread(target=held)
            t.start()
            time.sleep(0.5)
            assert all(outcome(streams_by_shard[i][0])[0] == "ok" for i in (0, 1, 3)), "not held up by shard 2"
            t.join(30)
        assert results["held"][0] == "QueryCanceled" and 3.5 < results["held"][1] < 15, results
        assert store.stream_version("Iso", stuck) == 1, "the cancelled append wrote nothing"

        # Frozen: every process of shard 2 stopped (SIGSTOP). The other shards' calls go on; the
        # frozen shard's call outlives statement_timeout (PL/Proxy's cancel request waits for the
        # frozen postmaster: docs/sharding.md) and fails with 57014 once the shard runs again.
        postmaster = int((four.shards[2].data_dir / "postmaster.pid").read_text().split()[0])
        frozen = [postmaster, *(int(p) for p in os.popen(f"pgrep -P {postmaster}").read().split())]
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            t = threading.Thread(target=lambda: results.setdefault("frozen", outcome(streams_by_shard[2][1])))
            t.start()
            time.sleep(0.5)
            assert all(outcome(streams_by_shard[i][0])[0] == "ok" for i in (0, 1, 3)), "not held up by shard 2"
            time.sleep(5)
            assert "frozen" not in results, results
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        t.join(30)
        assert results["frozen"][0] == "QueryCanceled", results
        assert outcome(streams_by_shard[2][0])[0] == "ok"


def test_registries_reach_every_shard_and_appends_are_refused_inside_a_transaction(four):
    on = streams_on_every_shard(four)
    with psycopg.connect(four.conninfo("es_admin"), autocommit=True) as admin:
        admin.execute("SELECT api.register_event_schema('Checked', 1, %s)",
                      ('{"type": "object", "required": ["n"]}',))
    with es.EventStore.connect(four.conninfo("es_writer")) as store:
        for i in range(4):
            with pytest.raises(es.SchemaViolation):
                store.append("Chk", on[i][0], [es.NewEvent("Checked", {})], expected_version=es.NO_STREAM)
            store.append("Chk", on[i][0], [es.NewEvent("Checked", {"n": i}, {"correlation_id": "corr-1"})],
                         expected_version=es.NO_STREAM)
        assert sorted(e.data["n"] for e in store.events_by_correlation("corr-1")) == [0, 1, 2, 3]

        # A write inside a transaction block (conn= in a transaction) is refused, nothing written;
        # the same call on its own (autocommit) is made.
        stream = uuid.uuid4()
        with psycopg.connect(four.conninfo("es_writer")) as conn:
            with pytest.raises(es.errors.WriteInTransactionBlock) as refused:
                store.append("Chk", stream, [es.NewEvent("Checked", {"n": 9})], expected_version=es.NO_STREAM,
                             conn=conn)
            assert refused.value.sqlstate == "2D000"
        assert store.stream_version("Chk", stream) == 0
        with psycopg.connect(four.conninfo("es_writer"), autocommit=True) as conn:
            assert store.append("Chk", stream, [es.NewEvent("Checked", {"n": 9})], expected_version=es.NO_STREAM,
                                conn=conn) == 1


def test_the_endpoints_rights_mirror_the_shards(four):
    """Each api routine of the endpoint grants EXECUTE to the same group roles as the shard's
    routine of that name (a writer on the endpoint is a writer on the shards and nothing more),
    and PUBLIC to none."""
    query = """SELECT p.proname, r.rolname, bool_or(has_function_privilege(r.rolname, p.oid, 'EXECUTE'))
               FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
               CROSS JOIN (VALUES ('eventstore_reader'), ('eventstore_writer'), ('eventstore_projector'),
                                  ('eventstore_admin')) AS r(rolname)
               WHERE n.nspname = 'api' GROUP BY 1, 2"""
    with psycopg.connect(four.conninfo()) as conn:
        endpoint_rights = {(name, role): can for name, role, can in conn.execute(query)}
        public = conn.execute("""SELECT p.oid::regprocedure::text FROM pg_proc AS p
                                 JOIN pg_namespace AS n ON n.oid = p.pronamespace
                                 WHERE n.nspname IN ('api', 'shards')
                                   AND EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner)))
                                               WHERE grantee = 0)""").fetchall()
    assert public == [], "PUBLIC can execute none of the endpoint's routines"
    shard_rights = {(name, role): can for name, role, can in four.on_shard(0, query)}
    local = {"shard_count", "shard_of", "read_log_shards"}  # the endpoint's own
    compared = {name for name, _ in endpoint_rights} - local
    assert {"append_events", "get_events", "register_reducer", "forget_subject"} <= compared
    for (name, role), can in endpoint_rights.items():
        if name in compared:
            assert can == shard_rights[(name, role)], (name, role, can)


def test_a_reshard_from_two_to_four_moves_every_stream_with_nothing_lost(machines):
    """Two shards through the endpoint, with events on 40 streams and a reader part way; writes
    stopped; each shard copied (pg_basebackup, promoted) into a new cluster; ``proxy reshard``
    over the four. Then: every stream reads whole through the endpoint, new appends land on the
    stream's shard of four, and the reader's two-shard cursor reads on: every event once."""
    proxy_cluster, shards = machines
    for c in shards[:2]:
        c.create_database("pair")
        deploy_template(c, "pair")
    proxy_cluster.create_database("grow")

    def shard_conninfo(c: Cluster) -> str:
        return f"host={c.socket_dir} port={c.port} dbname=pair"

    endpoint_conninfo = f"host={proxy_cluster.socket_dir} port={proxy_cluster.port} dbname=grow"
    print(proxy.deploy(endpoint_conninfo + " user=postgres", [shard_conninfo(c) for c in shards[:2]]))
    create_login_roles(proxy_cluster)
    streams = [uuid.uuid4() for _ in range(40)]
    seen: list[tuple[uuid.UUID, int]] = []
    with es.EventStore.connect(endpoint_conninfo + " user=es_writer") as store, \
            es.EventStore.connect(endpoint_conninfo + " user=es_reader") as reader:
        for n, stream in enumerate(streams):
            store.append("Grow", stream, [es.NewEvent("E", {"n": n}), es.NewEvent("E", {"n": n})],
                         expected_version=es.NO_STREAM)
        page = reader.read_shards(limit=30)
        after_two = page.after
        assert len(after_two) == 2
        seen += [(e.stream_id, e.version) for e in page.events]

        # Writes stopped (nothing appends from here until the reshard): copy each shard.
        copies = []
        try:
            for i, original in enumerate(shards[:2]):
                # Under /tmp: pytest's own temporary directories are closed to the postgres OS user.
                base = Path(tempfile.mkdtemp(prefix=f"eventstore-shard-copy{i}-"))
                base.chmod(0o755)
                copy = original.make_standby(base / "c", free_port(57400 + 10 * i))
                copies.append(copy)
                copy._pg_ctl("promote", "-w")
            four_shards = [shard_conninfo(c) for c in [*shards[:2], *copies]]
            wrong = [four_shards[0], four_shards[1], four_shards[3], four_shards[2]]
            with pytest.raises(proxy.ProxyRefused, match="not a copy of shard 0"):
                proxy.reshard(endpoint_conninfo + " user=postgres", wrong)
            print(proxy.reshard(endpoint_conninfo + " user=postgres", four_shards))
            assert "nothing to do" in proxy.reshard(endpoint_conninfo + " user=postgres", four_shards)

            # Writes resume: the store's pooled sessions were ended by the reshard and connect again.
            with psycopg.connect(endpoint_conninfo + " user=postgres") as conn:
                assert conn.execute("SELECT api.shard_count()").fetchone()[0] == 4
                home = {s: conn.execute("SELECT api.shard_of(%s)", (s,)).fetchone()[0] for s in streams}
            assert len(set(home.values())) == 4
            for n, stream in enumerate(streams):
                assert [e.data["n"] for e in store.read_stream("Grow", stream)] == [n, n], "nothing lost"
                assert store.append("Grow", stream, [es.NewEvent("F", {"n": n})], expected_version=2) == 3

            def versions_on(c: Cluster, stream: uuid.UUID) -> list[int]:
                with psycopg.connect(shard_conninfo(c) + " user=postgres") as conn:
                    return [r[0] for r in conn.execute("SELECT version FROM data.events WHERE stream_id = %s "
                                                       "ORDER BY version", (stream,))]
            clusters = [*shards[:2], *copies]
            for stream in streams:
                assert versions_on(clusters[home[stream]], stream) == [1, 2, 3], "the new event on its shard of four"
                sibling = clusters[home[stream] ^ 2]
                assert versions_on(sibling, stream) == [1, 2], "its sibling keeps the copy, and gets nothing new"

            # The reader's cursor from before goes on: every event once.
            after = after_two
            while True:
                page = reader.read_shards(after=after, limit=30)
                if not page.events:
                    break
                seen += [(e.stream_id, e.version) for e in page.events]
                after = page.after
            assert len(after) == 4
            assert sorted(seen) == sorted((s, v) for s in streams for v in (1, 2, 3)), "each event exactly once"
        finally:
            for c in copies:
                c.stop()
                shutil.rmtree(c.base_dir.parent, ignore_errors=True)


def test_a_consumer_group_per_shard_sees_each_event_once_while_appends_go_on(four):
    """A subscription is a shard's (its claims, leases and cursor are rows of that shard's
    store): the group runs one transactional consumer per shard, each on its shard's store,
    while writers append through the endpoint; the read models (one per shard, written in the
    consumer's transaction) hold each event exactly once, and only the events of their shard."""
    name = f"grp_{uuid.uuid4().hex[:8]}"
    for i in range(4):
        four.on_shard(i, f"CREATE TABLE public.{name} (id uuid NOT NULL, stream_id uuid NOT NULL)")
        four.on_shard(i, f"GRANT INSERT, SELECT ON public.{name} TO eventstore_projector")
        with es.EventStore.connect(four.shard_conninfo(i, "es_admin")) as admin:
            admin.create_subscription(name, stream_types=["Grp"])
    stop = threading.Event()
    written: list[uuid.UUID] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with es.EventStore.connect(four.conninfo("es_writer"), max_size=1) as store:
                while not stop.is_set():
                    stream = uuid.uuid4()
                    store.append("Grp", stream, [es.NewEvent("A", {}), es.NewEvent("B", {})],
                                 expected_version=es.NO_STREAM)
                    written.append(stream)
        except BaseException as error:
            errors.append(error)

    def handle(event: es.RecordedEvent, conn: psycopg.Connection) -> None:
        conn.execute(f"INSERT INTO public.{name} VALUES (%s, %s)", (event.id, event.stream_id))

    stores = [es.EventStore.connect(four.shard_conninfo(i, "es_projector"), max_size=2) for i in range(4)]
    consumers = [es.Consumer(s, name, handle, batch=20, idle_wait=0.2) for s in stores]
    threads = [threading.Thread(target=c.run) for c in consumers] + [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(4)
        stop.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            handled = sum(four.on_shard(i, f"SELECT count(*) FROM public.{name}")[0][0] for i in range(4))
            if handled >= 2 * len(written):
                break
            time.sleep(0.3)
    finally:
        for c in consumers:
            c.stop()
        for t in threads:
            t.join(30)
        for s in stores:
            s.close()
    assert errors == []
    assert len(written) > 10
    with psycopg.connect(four.conninfo()) as conn:
        home = {s: conn.execute("SELECT api.shard_of(%s)", (s,)).fetchone()[0] for s in written}
    rows = {i: four.on_shard(i, f"SELECT id, stream_id FROM public.{name}") for i in range(4)}
    ids = [r[0] for i in range(4) for r in rows[i]]
    assert len(ids) == len(set(ids)) == 2 * len(written), "each event handled exactly once across the group"
    assert all(home[stream] == i for i in range(4) for _, stream in rows[i]), "each shard's consumer, its events"


def test_the_sharding_page_reads_the_whole_log_verbatim(four):
    """docs/sharding.md's Python block, verbatim, against the four-shard endpoint: it reads to
    the end, every event of the store once."""
    import re
    import subprocess
    import sys

    page = (Path(__file__).resolve().parent.parent / "docs" / "sharding.md").read_text()
    (code,) = re.findall(r"^```python\n(.*?)^```\n", page, re.M | re.S)
    code += "\nprint(len(read), len({e.id for e in read}))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DSN": four.conninfo("es_reader"),
                               "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert done.returncode == 0, done.stderr
    total = sum(four.on_shard(i, "SELECT count(*) FROM data.events WHERE hashtext(stream_id::text) & 3 = %s",
                              (i,))[0][0] for i in range(4))
    assert done.stdout.split() == [str(total), str(total)], (done.stdout, total)


def test_follow_shards_yields_every_new_event_once_and_its_cursor_resumes_exactly(four):
    """follow_shards() (sync and async) over the endpoint while a writer appends: every event of
    the writer's streams once; stopped part way, its ``after`` resumes a new follower exactly
    where it stopped (nothing again, nothing skipped)."""
    import asyncio

    with es.EventStore.connect(four.conninfo("es_reader")) as reader:
        start = reader.read_shards(limit=1)
        while start.events:  # the end of the log, now
            start = reader.read_shards(after=start.after, limit=1000)
        streams = [uuid.uuid4() for _ in range(30)]

        def write() -> None:
            with es.EventStore.connect(four.conninfo("es_writer"), max_size=1) as store:
                for s in streams:
                    store.append("Fol", s, [es.NewEvent("A", {}), es.NewEvent("B", {})], expected_version=es.NO_STREAM)

        writer = threading.Thread(target=write)
        writer.start()
        seen: list[tuple[uuid.UUID, int]] = []
        with reader.follow_shards(after=start.after, event_types=["A", "B"], poll_interval=0.2) as followed:
            for event in followed:
                seen.append((event.stream_id, event.version))
                if len(seen) == 25:
                    break
            resume = followed.after
        writer.join(60)

        async def rest() -> list[tuple[uuid.UUID, int]]:
            got: list[tuple[uuid.UUID, int]] = []
            async with await es.AsyncEventStore.connect(four.conninfo("es_reader")) as store:
                async with store.follow_shards(after=resume, event_types=["A", "B"], poll_interval=0.2) as more:
                    async for event in more:
                        got.append((event.stream_id, event.version))
                        if len(seen) + len(got) == 60:
                            break
            return got

        seen += asyncio.run(asyncio.wait_for(rest(), 60))
    assert sorted(seen) == sorted((s, v) for s in streams for v in (1, 2)), "every event once, none again"
