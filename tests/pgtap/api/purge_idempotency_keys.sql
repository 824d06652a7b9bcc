-- pgTAP: api.purge_idempotency_keys (v3 change idempotency_key_retention)
BEGIN;
SELECT plan(6);
SELECT has_function('api', 'purge_idempotency_keys', ARRAY['interval']);
SELECT is_definer('api', 'purge_idempotency_keys', ARRAY['interval']);
SELECT function_privs_are('api', 'purge_idempotency_keys', ARRAY['interval'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'purge_idempotency_keys', ARRAY['interval'], 'eventstore_writer', ARRAY[]::text[]);

INSERT INTO data.idempotency_keys (idempotency_key, stream_type, stream_id, created_at)
SELECT gen_random_uuid(), 'Order', gen_random_uuid(), now() - d * interval '1 day' FROM generate_series(0, 9) AS d;
SELECT is(api.purge_idempotency_keys('5 days'), 4::bigint, 'keys older than the window go');
SELECT throws_ok($$SELECT api.purge_idempotency_keys('1 minute')$$, 'ZE003', 'in_older_than must be from 01:00:00 to 1000 years (its effect on now(), both ways), got 00:01:00');
SELECT * FROM finish();
ROLLBACK;
