"""eventsourcing's own conformance suites (the test cases its wheel ships for every persistence
module) run on eventstore.eventsourcing, against a fresh database of the store per test, as a
role with eventstore_writer and eventstore_projector rights only.

Overrides, each because the store numbers notifications by its gap-free log order (log
numbers: strictly increasing, one block per transaction, not contiguous across transactions),
where eventsourcing's own PostgreSQL module serialises writers to count 1, 2, 3:
- ``EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False`` (the subscribe test then checks order and
  content, not the values 1, 2, 3);
- ``ApplicationRecorderTestCase.test_insert_select``: the same calls and checks, with the ids
  the inserts returned in place of the literals 1, 2 and 3;
- ``ApplicationTestCase.test_save_returns_recording_event``: the same, ids increasing instead
  of 1, 2, 3, 4.
Added: ``test_insert_subscribe`` runs the suite's ``optional_test_insert_subscribe``, as
eventsourcing's own PostgreSQL tests do."""

from __future__ import annotations

import base64
import os
import uuid
from decimal import Decimal

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.cipher import AESCipher
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, StoredEvent, Tracking

# Modules, not their classes: a test case imported by name would be collected and run itself.
from eventsourcing.tests import application as suite_application
from eventsourcing.tests import persistence as suite
from eventsourcing.tests.domain import BankAccount
from eventsourcing.utils import Environment, get_topic

from eventstore.eventsourcing import (
    Datastore,
    EventStoreAggregateRecorder,
    EventStoreApplicationRecorder,
    EventStoreProcessRecorder,
    EventStoreTrackingRecorder,
    Factory,
)
from eventstore.testing import clone, drop

ROLE = "es_eventsourcing"


@pytest.fixture(scope="session")
def eventsourcing_role(cluster, template_db) -> str:
    with cluster.connect("postgres") as conn:
        conn.execute(f"DO $$ BEGIN CREATE ROLE {ROLE} LOGIN IN ROLE eventstore_writer, eventstore_projector; "
                     "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    return ROLE


def env_for(cluster, dbname: str, role: str) -> dict[str, str]:
    """eventsourcing's PostgreSQL variables for a database of the store."""
    return {"POSTGRES_DBNAME": dbname, "POSTGRES_HOST": str(cluster.socket_dir), "POSTGRES_PORT": str(cluster.port),
            "POSTGRES_USER": role, "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "20"}


@pytest.fixture
def postgres_env(cluster, db, eventsourcing_role) -> dict[str, str]:
    """A fresh database of the store (applications name their stream types themselves)."""
    return env_for(cluster, db.name, eventsourcing_role)


@pytest.fixture(scope="module")
def shared_env(cluster, eventstore_server, template_db, eventsourcing_role):
    """One database for the module's recorder tests (a clone costs 0.3 s): each test's recorders
    use stream types and trackers of their own, so each starts with a recorder that has
    recorded nothing."""
    name = clone(eventstore_server, template_db)
    try:
        yield env_for(cluster, name, eventsourcing_role)
    finally:
        drop(eventstore_server, name)


class OnTheStore:
    """Recorders of a name of the test's own (a fresh application), closed afterwards."""

    @pytest.fixture(autouse=True)
    def _store(self, shared_env):
        self.postgres_env = shared_env
        self.conninfo = (f"dbname={shared_env['POSTGRES_DBNAME']} host={shared_env['POSTGRES_HOST']} "
                         f"port={shared_env['POSTGRES_PORT']} user={shared_env['POSTGRES_USER']}")
        self.app = f"App{uuid.uuid4().hex[:12]}"
        self.datastores: list[Datastore] = []
        yield
        for datastore in self.datastores:
            datastore.close()

    def datastore(self) -> Datastore:
        datastore = Datastore(self.conninfo, pool_size=1, max_overflow=20)
        self.datastores.append(datastore)
        return datastore


class TestAggregateRecorder(OnTheStore, suite.AggregateRecorderTestCase):
    def create_recorder(self) -> EventStoreAggregateRecorder:
        return EventStoreAggregateRecorder(self.datastore(), self.app)


class TestSnapshotRecorder(OnTheStore, suite.AggregateRecorderTestCase):
    """The same suite on the snapshot recorder (versions with gaps)."""

    def create_recorder(self) -> EventStoreAggregateRecorder:
        return EventStoreAggregateRecorder(self.datastore(), f"{self.app}.snapshots", gaps=True)


class TestAggregateRecorderWithStringIds(OnTheStore, suite.AggregateRecorderTestCase):
    def new_originator_id(self) -> str:
        return f"account-{uuid.uuid4()}"

    def create_recorder(self) -> EventStoreAggregateRecorder:
        return EventStoreAggregateRecorder(self.datastore(), self.app)


class TestApplicationRecorder(OnTheStore, suite.ApplicationRecorderTestCase[EventStoreApplicationRecorder]):
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False

    def create_recorder(self) -> EventStoreApplicationRecorder:
        return EventStoreApplicationRecorder(self.datastore(), self.app)

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_insert_select(self) -> None:
        """The suite's test_insert_select with the ids the inserts returned in place of 1, 2, 3."""
        recorder = self.create_recorder()
        self.assertEqual(len(recorder.select_notifications(start=None, limit=3)), 0)
        self.assertEqual(len(recorder.select_notifications(start=None, limit=3, topics=["topic1"])), 0)
        self.assertIsNone(recorder.max_notification_id())

        originator_id1, originator_id2 = self.new_originator_id(), self.new_originator_id()
        e1 = StoredEvent(originator_id1, self.INITIAL_VERSION, "topic1", b"state1")
        e2 = StoredEvent(originator_id1, self.INITIAL_VERSION + 1, "topic2", b"state2")
        e3 = StoredEvent(originator_id2, self.INITIAL_VERSION, "topic3", b"state3")
        ids = recorder.insert_events([e1, e2])
        assert ids is not None and len(ids) == 2
        n1, n2 = ids
        ids = recorder.insert_events([e3])
        assert ids is not None and len(ids) == 1
        (n3,) = ids
        self.assertTrue(0 < n1 < n2 < n3, (n1, n2, n3))
        self.assertEqual(n2, n1 + 1, "one transaction's events are numbered one after the other")

        self.assertEqual(len(recorder.select_events(originator_id1)), 2)
        self.assertEqual(len(recorder.select_events(originator_id2)), 1)
        with self.assertRaises(Exception) as raised:
            recorder.insert_events([e3])
        self.assertEqual(type(raised.exception).__name__, "IntegrityError")

        def ids_of(*args, **kwargs) -> list[int]:
            return [n.id for n in recorder.select_notifications(*args, **kwargs)]

        every = recorder.select_notifications(start=None, limit=10)
        self.assertEqual([(n.id, n.originator_id, n.topic, n.state) for n in every],
                         [(n1, originator_id1, "topic1", b"state1"), (n2, originator_id1, "topic2", b"state2"),
                          (n3, originator_id2, "topic3", b"state3")])
        self.assertEqual(ids_of(start=n1, limit=10), [n1, n2, n3])
        self.assertEqual(ids_of(start=None, stop=n2, limit=10), [n1, n2])
        self.assertEqual(ids_of(start=n1, limit=10, inclusive_of_start=False), [n2, n3])
        self.assertEqual(ids_of(start=n2, limit=10, inclusive_of_start=False), [n3])
        self.assertEqual(ids_of(start=None, limit=10, topics=["topic1", "topic2", "topic3"]), [n1, n2, n3])
        self.assertEqual(ids_of(n1, 10, topics=["topic1"]), [n1])
        self.assertEqual(ids_of(n1, 3, topics=["topic2"]), [n2])
        self.assertEqual(ids_of(n1, 3, topics=["topic3"]), [n3])
        self.assertEqual(ids_of(n1, 3, topics=["topic1", "topic3"]), [n1, n3])
        self.assertEqual(recorder.max_notification_id(), n3)
        self.assertEqual(ids_of(None, 1), [n1])
        self.assertEqual(ids_of(n2, 1), [n2])
        self.assertEqual(ids_of(n1, 1, inclusive_of_start=False), [n2])
        self.assertEqual(ids_of(n2, 2), [n2, n3])
        self.assertEqual(ids_of(n3, 1), [n3])
        self.assertEqual(ids_of(n3, 1, inclusive_of_start=False), [])
        self.assertEqual(ids_of(start=n2, limit=10, stop=n2), [n2])
        self.assertEqual(ids_of(start=n1, limit=10, stop=n2), [n1, n2])
        self.assertEqual(ids_of(start=n1, limit=10, stop=n2, inclusive_of_start=False), [n2])
        # Between two of them (a number no event has) and before the first: still in order.
        self.assertEqual(ids_of(start=n2 + 1, limit=10), [n3])
        self.assertEqual(ids_of(start=1, limit=10), [n1, n2, n3])


class TestApplicationRecorderWithStringIds(TestApplicationRecorder):
    """Notifications give a string originator id back as the string (kept in metadata)."""

    def new_originator_id(self) -> str:
        return str(uuid.uuid4())  # looks like a UUID, and must still come back as a str


class TestNonInterleavingNotificationIds(OnTheStore, suite.NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return EventStoreApplicationRecorder(self.datastore(), self.app)


class TestTrackingRecorder(OnTheStore, suite.TrackingRecorderTestCase):
    def create_recorder(self) -> EventStoreTrackingRecorder:
        return EventStoreTrackingRecorder(self.datastore(), self.app)


class TestProcessRecorder(OnTheStore, suite.ProcessRecorderTestCase):
    def create_recorder(self) -> EventStoreProcessRecorder:
        return EventStoreProcessRecorder(self.datastore(), self.app, self.app)


class SubclassOfTrackingRecorder(EventStoreTrackingRecorder):
    pass


class TestFactory(OnTheStore, suite.InfrastructureFactoryTestCase[Factory]):
    def setUp(self) -> None:
        self.env = Environment(self.app)
        self.env.update({"PERSISTENCE_MODULE": "eventstore.eventsourcing", **self.postgres_env})
        super().setUp()

    def expected_factory_class(self) -> type[Factory]:
        return Factory

    def expected_aggregate_recorder_class(self) -> type[EventStoreAggregateRecorder]:
        return EventStoreAggregateRecorder

    def expected_application_recorder_class(self) -> type[EventStoreApplicationRecorder]:
        return EventStoreApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[EventStoreTrackingRecorder]:
        return EventStoreTrackingRecorder

    def tracking_recorder_subclass(self) -> type[EventStoreTrackingRecorder]:
        return SubclassOfTrackingRecorder

    def expected_process_recorder_class(self) -> type[EventStoreProcessRecorder]:
        return EventStoreProcessRecorder


class WithPersistenceModule:
    """eventsourcing applications that pick the module from the environment, as users do."""

    @pytest.fixture(autouse=True)
    def _environment(self, postgres_env, monkeypatch):
        monkeypatch.setenv("PERSISTENCE_MODULE", "eventstore.eventsourcing")
        for name, value in postgres_env.items():
            monkeypatch.setenv(name, value)


class TestExampleApplication(WithPersistenceModule, suite_application.ExampleApplicationTestCase):
    expected_factory_topic = "eventstore.eventsourcing:Factory"


class TestApplication(WithPersistenceModule, suite_application.ApplicationTestCase):
    def test_save_returns_recording_event(self) -> None:
        """The suite's test with increasing ids in place of 1, 2, 3, 4."""
        app = Application[uuid.UUID]()
        self.assertEqual(app.save(), [])
        self.assertEqual(app.save(None), [])
        ids = []
        for aggregates in ((Aggregate(),), (Aggregate(),), (Aggregate(), Aggregate())):
            recordings = app.save(*aggregates)
            self.assertEqual(len(recordings), len(aggregates))
            ids += [r.notification.id for r in recordings]
        self.assertEqual(ids, sorted(set(ids)))
        self.assertEqual(ids[3], ids[2] + 1, "one save's events are numbered one after the other")


def test_the_factory_is_what_persistence_module_selects(postgres_env, monkeypatch):
    monkeypatch.setattr(os, "environ", {**os.environ, "PERSISTENCE_MODULE": "eventstore.eventsourcing",
                                        **postgres_env})
    app = Application[uuid.UUID]()
    try:
        assert type(app.factory) is Factory
        assert app.factory.application_name == "Application"
    finally:
        app.close()


def test_decimal_state_round_trips_as_json(postgres_env, monkeypatch):
    """Balances are Decimal (a JSON string through eventsourcing's transcoding): stored as JSON."""
    monkeypatch.setattr(os, "environ", {**os.environ, "PERSISTENCE_MODULE": "eventstore.eventsourcing",
                                        **postgres_env})
    
    app = suite_application.BankAccounts()
    try:
        account_id = app.open_account("Alice", "alice@example.com")
        app.credit_account(account_id, Decimal("10.00"))
        assert app.get_balance(account_id) == Decimal("10.00")
    finally:
        app.close()


def test_an_applications_events_feed_the_stores_readers_projections_and_subscriptions(db, postgres_env, monkeypatch):
    """An eventsourcing application's events are events of the store: its JSON in event_data, its
    topics as event types, the aggregate as the stream. SQL reads them, a projection keeps a read
    model of them, a subscription hands them out, and a snapshot is a stream of its own."""

    monkeypatch.setattr(os, "environ", {**os.environ, "PERSISTENCE_MODULE": "eventstore.eventsourcing",
                                        "IS_SNAPSHOTTING_ENABLED": "y", **postgres_env})
    db.execute("""
        CREATE SCHEMA bank;
        CREATE TABLE bank.balances (account_id uuid PRIMARY KEY, full_name text, credits integer NOT NULL);
        CREATE FUNCTION bank.apply(in_events data.events[]) RETURNS void LANGUAGE sql
        SET search_path = pg_catalog, pg_temp AS $$
            INSERT INTO bank.balances AS b (account_id, full_name, credits)
            SELECT e.stream_id, e.event_data ->> 'full_name', 0
            FROM unnest(in_events) AS e WHERE e.event_type = %(opened)s
            ON CONFLICT DO NOTHING;
            UPDATE bank.balances AS b SET credits = b.credits + c.n
            FROM (SELECT e.stream_id, count(*)::integer AS n FROM unnest(in_events) AS e
                  WHERE e.event_type = %(credited)s GROUP BY e.stream_id) AS c
            WHERE b.account_id = c.stream_id;
        $$;
        CREATE FUNCTION bank.reset() RETURNS void LANGUAGE sql AS $$ TRUNCATE bank.balances $$;
        SELECT api.register_projection('balances', 'bank.apply(data.events[])', 'bank.reset()',
                                       in_stream_types := ARRAY['BankAccounts']);
        SELECT api.create_subscription('mailer', ARRAY['BankAccounts']);
    """ .replace("%(opened)s", "'" + get_topic(BankAccount.Opened) + "'")
        .replace("%(credited)s", "'" + get_topic(BankAccount.TransactionAppended) + "'"))

    app = suite_application.BankAccounts()
    try:
        account_id = app.open_account("Alice", "alice@example.com")
        app.credit_account(account_id, Decimal("10.00"))
        app.credit_account(account_id, Decimal("25.00"))
        app.take_snapshot(account_id)
        notifications = app.notification_log.select(start=1, limit=10)
    finally:
        app.close()

    rows = db.execute("SELECT stream_type, stream_id, version, event_type, event_data, metadata "
                      "FROM api.get_all_events()")
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("BankAccounts", account_id, 1, get_topic(BankAccount.Opened)),
        ("BankAccounts", account_id, 2, get_topic(BankAccount.TransactionAppended)),
        ("BankAccounts", account_id, 3, get_topic(BankAccount.TransactionAppended)),
        ("BankAccounts.snapshots", account_id, 1, "eventsourcing.domain:Snapshot"),
    ]
    opened = rows[0]
    assert opened[4]["full_name"] == "Alice" and opened[5]["originator_version"] == 1, "JSON the store can read"
    assert rows[1][4]["amount"] == {"_type_": "decimal_str", "_data_": "10.00"}
    assert rows[3][5]["originator_version"] == 3, "the snapshot of version 3"
    assert [n.originator_version for n in notifications] == [1, 2, 3]
    assert [n.id for n in notifications] == [int(v) for (v,) in db.execute(
        "SELECT log_number FROM api.read_log(NULL, 10, ARRAY['BankAccounts'])")], "notification ids are log numbers"

    db.execute("SELECT api.run_projection('balances')")
    assert db.execute("SELECT account_id, full_name, credits FROM bank.balances") == [(account_id, "Alice", 2)]
    claimed = db.execute("SELECT stream_id, version, event_type FROM api.claim_events('mailer', 'm1')")
    assert [(r[0], r[1]) for r in claimed] == [(account_id, 1), (account_id, 2), (account_id, 3)]


class TestLateCommit(OnTheStore):
    def test_an_event_of_a_transaction_that_commits_late_is_never_skipped(self):
        """Notification ids follow the gap-free order: a transaction that took its id first and
        commits last holds later ones back, and a reader that paged on never skips its events."""
        recorder = EventStoreApplicationRecorder(self.datastore(), self.app)
        first = recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "before", b"{}")])
        assert first is not None
        seen = recorder.select_notifications(start=None, limit=10)
        assert [n.topic for n in seen] == ["before"]
        with psycopg.connect(self.conninfo) as late:
            (late_ids,) = late.execute(
                "SELECT api.append_versioned(%s, %s::jsonb)",
                (self.app, '[{"stream_id": "%s", "events": [{"event_type": "late", "event_data": {}, '
                 '"metadata": {"originator_version": 1}}]}]' % uuid.uuid4(),)
            ).fetchone()
            early = recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "early", b"{}")])
            assert early is not None
            assert int(late_ids[0]) < early[0], "numbered in the log order: the late transaction took its id first"
            assert recorder.select_notifications(start=seen[-1].id, limit=10, inclusive_of_start=False) == [], \
                "the committed event waits behind the open transaction"
            assert recorder.max_notification_id() == seen[-1].id
            late.commit()
        after = recorder.select_notifications(start=seen[-1].id, limit=10, inclusive_of_start=False)
        assert [(n.topic, n.id) for n in after] == [("late", int(late_ids[0])), ("early", early[0])]
        assert recorder.max_notification_id() == early[0]


def test_a_cipher_and_a_compressor_round_trip_the_bytes_exactly(db, postgres_env, monkeypatch):
    """Encrypted, compressed state is no JSON object: it is kept as base64 and comes back byte
    for byte (the application reads its aggregate back through the cipher)."""
    monkeypatch.setattr(os, "environ", {**os.environ, "PERSISTENCE_MODULE": "eventstore.eventsourcing",
                                        "CIPHER_KEY": AESCipher.create_key(16), "COMPRESSOR_TOPIC": "zlib",
                                        **postgres_env})
    app = suite_application.BankAccounts()
    try:
        account_id = app.open_account("Alice", "alice@example.com")
        app.credit_account(account_id, Decimal("10.00"))
        assert app.get_balance(account_id) == Decimal("10.00")
        stored = app.recorder.select_events(account_id)
    finally:
        app.close()
    rows = db.execute("SELECT event_data, metadata FROM api.get_events('BankAccounts', %s)", (account_id,))
    assert [sorted(data) for data, _ in rows] == [["base64"], ["base64"]]
    assert [meta["state_encoding"] for _, meta in rows] == ["base64", "base64"]
    assert [base64.b64decode(data["base64"]) for data, _ in rows] == [e.state for e in stored]
    assert b"Alice" not in b"".join(e.state for e in stored), "encrypted"


def test_recorders_go_on_after_their_connections_are_terminated(cluster, db, eventsourcing_role):
    """Every connection of the recorders' pool is terminated between calls (a restart, a
    failover): before, the next call raised OperationalError; now it is made again on a new
    connection. An originator_version that is not an integer (any writer can append one) does
    not break select_notifications either."""
    env = env_for(cluster, db.name, eventsourcing_role)
    datastore = Datastore(f"dbname={db.name} host={env['POSTGRES_HOST']} port={env['POSTGRES_PORT']} "
                          f"user={eventsourcing_role}", pool_size=2, max_overflow=2)
    try:
        recorder = EventStoreApplicationRecorder(datastore, "Reconnecting")
        tracking = EventStoreTrackingRecorder(datastore, "reconnecting-tracker")
        originator = uuid.uuid4()
        stored = [StoredEvent(originator_id=originator, originator_version=v, topic="t", state=b'{"a": 1}')
                  for v in (1, 2)]
        ids = recorder.insert_events(stored[:1])
        for _ in range(3):
            killed = db.scalar("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE usename = %s AND datname = current_database()", (eventsourcing_role,))
            assert killed >= 1
            assert [n.id for n in recorder.select_notifications(None, 10)] == ids
        recorder.insert_events(stored[1:])
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (eventsourcing_role,))
        assert [e.originator_version for e in recorder.select_events(originator)] == [1, 2]
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (eventsourcing_role,))
        tracking.insert_tracking(Tracking("Upstream", 5))
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (eventsourcing_role,))
        assert tracking.max_tracking_id("Upstream") == 5
        assert recorder.max_notification_id() is not None

        with db.connect("es_writer") as w:
            w.execute("CALL api.append_events('Reconnecting', %s, NULL, "
                      "'[{\"event_type\": \"t\", \"event_data\": {}, \"metadata\": {\"originator_version\": \"x\"}}]', NULL)",
                      (originator,))
        assert [n.originator_version for n in recorder.select_notifications(None, 10)] == [1, 2, 3], \
            "its store version stands for it"
    finally:
        datastore.close()
