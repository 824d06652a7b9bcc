-- pgTAP: api.set_retention (v3 change retention)
BEGIN;
SELECT plan(15);
SELECT has_table('data'::name, 'retention_policies'::name);
SELECT function_privs_are('api', 'set_retention', ARRAY['text', 'interval'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'set_retention', ARRAY['text', 'interval'], 'eventstore_writer', ARRAY[]::text[]);
SELECT function_privs_are('api', 'apply_retention_step', ARRAY['integer'], 'eventstore_writer', ARRAY[]::text[]);

SELECT throws_ok($$SELECT api.set_retention('', '1 year')$$, 'ZE003');
SELECT throws_ok($$SELECT api.set_retention('Log', '1 hour')$$, 'ZE003', NULL, 'at least a day');
SELECT throws_ok($$SELECT api.set_retention('Log', '-1 year 361 days')$$, 'ZE003', NULL,
                 'a keep that compares as a day but reaches into the future');
SELECT is(private.retention_cutoff('-1 year 361 days'), NULL, 'a policy whose cutoff is not in the past removes nothing');
SELECT is(private.retention_cutoff('30 days'), now() - interval '30 days', 'else events created before now() - keep');
SELECT throws_ok($$SELECT api.apply_retention_step(0)$$, 'ZE003');
SELECT api.set_retention('Log', '30 days');
SELECT api.set_retention('Log', '40 days');
SELECT is((SELECT keep FROM data.retention_policies WHERE stream_type = 'Log'), interval '40 days', 'setting again replaces');

-- Events of 'Log' from 60 days ago (written as the owner: appends of another time), one 'Keep'.
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, created_at, transaction_id, generation)
SELECT s, gen_random_uuid(), 1, 'Logged', '{}', now() - interval '60 days', pg_current_xact_id(), 1
FROM unnest(ARRAY['Log', 'Log', 'Log', 'Keep']) AS s;
CALL api.append_events('Log', '018f0000-0000-7000-8000-0000000000a9', 0, '[{"event_type": "Fresh", "event_data": {}}]');
SELECT is(api.apply_retention_step(2), 2, 'a step removes at most its batch');
SELECT is(api.apply_retention_step(2), 1, 'then the rest');
SELECT results_eq($$SELECT stream_type, event_type FROM data.events ORDER BY stream_type$$,
                  $$VALUES ('Keep', 'Logged'), ('Log', 'Fresh')$$, 'expired events of Log are gone, the rest stay');
SELECT api.set_retention('Log', NULL);
SELECT is_empty($$SELECT FROM data.retention_policies$$, 'NULL keeps for ever');
SELECT * FROM finish();
ROLLBACK;
