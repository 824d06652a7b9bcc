-- pgTAP: change idempotency_keys
BEGIN;
SELECT plan(5);

SELECT has_table('data'::name, 'idempotency_keys'::name);
SELECT col_is_pk('data'::name, 'idempotency_keys'::name, 'idempotency_key'::name, 'primary key of data.idempotency_keys');
SELECT col_type_is('data'::name, 'idempotency_keys'::name, 'idempotency_key'::name, 'uuid');
SELECT has_index('data', 'idempotency_keys', 'idempotency_keys_created_idx', ARRAY['created_at']);
SELECT table_privs_are('data', 'idempotency_keys', 'eventstore_writer', ARRAY[]::text[]);

SELECT * FROM finish();
ROLLBACK;
