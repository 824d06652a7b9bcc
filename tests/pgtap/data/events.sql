-- pgTAP: change events
BEGIN;
SELECT plan(24);

SELECT has_table('data'::name, 'events'::name);
SELECT is_partitioned('data'::name, 'events'::name);
SELECT is_partition_of('data', 'events_default', 'data', 'events');
SELECT col_is_pk('data'::name, 'events'::name, ARRAY['id', 'created_at']::name[], 'primary key of data.events');

SELECT col_type_is('data'::name, 'events'::name, 'id'::name, 'uuid');
SELECT col_type_is('data'::name, 'events'::name, 'stream_type'::name, 'text');
SELECT col_type_is('data'::name, 'events'::name, 'stream_id'::name, 'uuid');
SELECT col_type_is('data'::name, 'events'::name, 'version'::name, 'integer');
SELECT col_type_is('data'::name, 'events'::name, 'event_type'::name, 'text');
SELECT col_type_is('data'::name, 'events'::name, 'event_data'::name, 'jsonb');
SELECT col_type_is('data'::name, 'events'::name, 'metadata'::name, 'jsonb');
SELECT col_type_is('data'::name, 'events'::name, 'created_at'::name, 'timestamp with time zone');
SELECT col_type_is('data'::name, 'events'::name, 'global_position'::name, 'bigint');
SELECT col_type_is('data'::name, 'events'::name, 'transaction_id'::name, 'xid8');
SELECT col_default_is('data'::name, 'events'::name, 'transaction_id'::name, 'pg_current_xact_id()'::text, 'default of data.events.transaction_id');
SELECT col_default_is('data'::name, 'events'::name, 'metadata'::name, '{}'::text, 'default of data.events.metadata');

SELECT has_index('data', 'events', 'events_stream_idx', ARRAY['stream_type', 'stream_id', 'version']);
SELECT has_index('data', 'events', 'events_type_idx',
                 ARRAY['event_type', 'generation', 'transaction_id', 'global_position']);
SELECT has_index('data', 'events', 'events_created_idx', ARRAY['created_at']);
SELECT has_index('data', 'events', 'events_log_idx', ARRAY['generation', 'transaction_id', 'global_position']);

SELECT table_privs_are('data', 'events', 'eventstore_admin', ARRAY[]::text[], 'no role touches the table directly');

-- Defaults fill the ordering columns of a row written without them.
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
VALUES ('Order', '018f0000-0000-7000-8000-000000000001', 1, 'OrderCreated', '{}');
SELECT ok((SELECT transaction_id = pg_current_xact_id() AND generation = 1 AND global_position > 0
                  AND substr(id::text, 15, 1) = '7'
           FROM data.events), 'defaults: uuidv7 id, this transaction, generation, position');

SELECT throws_ok($$INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
                  VALUES ('Order', gen_random_uuid(), 1, 'X', '[]')$$, '23514', NULL,
                 'event_data must be an object');
SELECT throws_ok($$INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
                  VALUES ('Order', gen_random_uuid(), 0, 'X', '{}')$$, '23514', NULL,
                 'versions start at 1');

SELECT * FROM finish();
ROLLBACK;
