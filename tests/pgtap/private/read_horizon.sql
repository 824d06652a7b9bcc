-- pgTAP: private.read_horizon (v3 change log_order)
BEGIN;
SELECT plan(25);
SELECT has_function('private', 'conservative_horizon', ARRAY[]::text[]);
SELECT has_function('private', 'cursor_position', ARRAY['uuid']);
SELECT has_function('private', 'log_events', ARRAY['integer', 'xid8', 'bigint', 'integer', 'text[]', 'text[]', 'integer', 'xid8']);

-- The horizon that waits only for appenders (docs/read-horizon.md); across sessions:
-- tests/test_read_horizon.py.
SELECT has_function('private', 'read_horizon', ARRAY[]::text[]);
SELECT volatility_is('private', 'read_horizon', ARRAY[]::text[], 'volatile',
                     'read_horizon takes fresh snapshots');
SELECT has_sequence('data', 'read_horizon', 'the published horizon');
SELECT has_table('data', 'read_horizon_publisher', 'what publishers lock, one at a time');
SELECT table_privs_are('data', 'read_horizon_publisher', 'eventstore_reader', ARRAY[]::text[],
                       'no role of the bundle may lock it');
SELECT is(private.publish_read_horizon((SELECT last_value FROM data.read_horizon)), true, 'publishing works');
SELECT is((SELECT count(*)::integer FROM pg_locks WHERE pid = pg_backend_pid()
           AND (locktype = 'advisory' OR relation = 'data.read_horizon_publisher'::regclass)), 0,
          'and leaves no lock behind: it lived in a subtransaction');
SELECT is((SELECT h.fallback FROM private.read_horizon() AS h), NULL, 'read committed: the appenders-only horizon');
SELECT is(ARRAY[private.xid_near('5'::xid, 4294967300), private.xid_near('4294967295'::xid, 4294967300),
                private.xid_near('10'::xid, 8)],
          ARRAY[4294967301, 4294967295, 10]::bigint[], 'a 32-bit id is placed either side of the 64-bit one near it');
-- This transaction appended (it holds data.event_streams and an id): it holds its own horizon.
INSERT INTO data.event_streams (stream_type, stream_id, current_version, last_generation, last_transaction_id)
VALUES ('Tap', '018f0000-0000-7000-8000-000000000009', 1, 1, pg_current_xact_id());
SELECT is((SELECT h.transaction_id FROM private.read_horizon() AS h), pg_current_xact_id(),
          'an announced appender holds the horizon at its own id');
SELECT is((SELECT h.holder_pid FROM private.read_horizon() AS h), pg_backend_pid(), 'and is named as its holder');
SELECT ok((SELECT last_value FROM data.read_horizon)
           BETWEEN 1 AND pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
          'the reader published its H');
-- A reader that passed this transaction's id (the sequence is not transactional: restored below).
CREATE TEMP TABLE tap_published AS SELECT last_value AS v FROM data.read_horizon;
SELECT setval('data.read_horizon', pg_current_xact_id()::text::bigint + 1);
SELECT throws_ok($$SELECT private.refuse_passed_appender(pg_current_xact_id())$$, '40001', NULL,
                 'a transaction a reader has passed cannot append');
SELECT setval('data.read_horizon', (SELECT v FROM tap_published));


-- Events of transactions that ended long ago (xids 3..5) and one of this transaction.
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
VALUES ('018f0000-0000-7000-8000-00000000000c', 'Order', '018f0000-0000-7000-8000-000000000001', 1, 'OrderCreated', '{}', '5', 10),
       ('018f0000-0000-7000-8000-00000000000a', 'Order', '018f0000-0000-7000-8000-000000000002', 1, 'OrderCreated', '{}', '3', 30),
       ('018f0000-0000-7000-8000-00000000000b', 'Customer', '018f0000-0000-7000-8000-000000000003', 1, 'CustomerJoined', '{}', '3', 31),
       ('018f0000-0000-7000-8000-00000000000d', 'Order', '018f0000-0000-7000-8000-000000000002', 2, 'ItemAdded', '{}', '4', 5);
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data)
VALUES ('018f0000-0000-7000-8000-00000000000e', 'Order', '018f0000-0000-7000-8000-000000000004', 1, 'OrderCreated', '{}');

SELECT results_eq($$SELECT id FROM private.log_events(0, '0', 0, 100)$$,
                  ARRAY['018f0000-0000-7000-8000-00000000000a', '018f0000-0000-7000-8000-00000000000b',
                        '018f0000-0000-7000-8000-00000000000d', '018f0000-0000-7000-8000-00000000000c']::uuid[],
                  'log order is (transaction, position), not id; open transactions are held back');
SELECT results_eq($$SELECT id FROM private.log_events(1, '3', 31, 100)$$,
                  ARRAY['018f0000-0000-7000-8000-00000000000d', '018f0000-0000-7000-8000-00000000000c']::uuid[],
                  'after a position');
SELECT results_eq($$SELECT id FROM private.log_events(0, '0', 0, 2)$$,
                  ARRAY['018f0000-0000-7000-8000-00000000000a', '018f0000-0000-7000-8000-00000000000b']::uuid[],
                  'at most in_limit');
SELECT results_eq($$SELECT id FROM private.log_events(0, '0', 0, 100, ARRAY['OrderCreated'], ARRAY['Order'])$$,
                  ARRAY['018f0000-0000-7000-8000-00000000000a', '018f0000-0000-7000-8000-00000000000c']::uuid[],
                  'filtered by event and stream type');
SELECT results_eq($$SELECT generation, transaction_id::text, global_position
                    FROM private.cursor_position('018f0000-0000-7000-8000-00000000000b')$$,
                  $$VALUES (1, '3', 31::bigint)$$, 'an id maps to its position');
SELECT throws_ok($$SELECT private.cursor_position('018f0000-0000-7000-8000-0000000000ff')$$, 'ZE004',
                 'no event has id 018f0000-0000-7000-8000-0000000000ff');

-- After a restore into another cluster the stored generation is not ours: every stored
-- event is final and visible; our first write starts the next generation.
INSERT INTO data.store_generations (generation, system_identifier) VALUES (2, 42);
SELECT results_eq($$SELECT generation, transaction_id::text FROM private.conservative_horizon()$$,
                  $$VALUES (3, '0')$$, 'horizon after a restore: everything stored');
SELECT is((SELECT count(*)::integer FROM private.log_events(0, '0', 0, 100)), 5,
          'the events of this transaction too, being of an older generation');
SELECT throws_ok('SELECT private.check_limit(0)', 'ZE003', 'in_limit must be a positive integer, got 0');
SELECT * FROM finish();
ROLLBACK;
