-- pgTAP: change event_streams
BEGIN;
SELECT plan(7);

SELECT has_table('data'::name, 'event_streams'::name);
SELECT col_is_pk('data'::name, 'event_streams'::name, ARRAY['stream_type', 'stream_id']::name[], 'primary key of data.event_streams');
SELECT col_type_is('data'::name, 'event_streams'::name, 'current_version'::name, 'integer');
SELECT col_default_is('data'::name, 'event_streams'::name, 'current_version'::name, '0'::text, 'default of data.event_streams.current_version');
SELECT col_type_is('data'::name, 'event_streams'::name, 'last_transaction_id'::name, 'xid8');
SELECT table_privs_are('data', 'event_streams', 'eventstore_writer', ARRAY[]::text[]);
SELECT throws_ok($$INSERT INTO data.event_streams (stream_type, stream_id, current_version, last_generation,
                   last_transaction_id) VALUES ('Order', gen_random_uuid(), -1, 1, '1')$$, '23514', NULL,
                 'versions are not negative');

SELECT * FROM finish();
ROLLBACK;
