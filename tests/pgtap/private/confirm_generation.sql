-- pgTAP: private.confirm_generation (v3 change generation_stamps; which server confirmed the current generation)
BEGIN;
SELECT plan(9);
SELECT has_column('data', 'store_generations', 'server_started_at', 'the stamp of the confirming server');
SELECT function_privs_are('private', 'confirm_generation', ARRAY['integer', 'bigint'], 'eventstore_writer', ARRAY[]::text[]);

-- As on a server that has not confirmed it yet (after a restart, a promotion).
UPDATE data.store_generations SET server_started_at = NULL;
SELECT is((SELECT generation FROM private.current_generation), (SELECT max(generation) FROM data.store_generations),
          'the identifier confirms this cluster''s generation');
SELECT is((SELECT server_started_at FROM data.store_generations ORDER BY generation DESC LIMIT 1),
          pg_postmaster_start_time(), 'and it is stamped with this server''s start');
CALL api.append_events('Stamp', '018f0000-0000-7000-8000-0000000000e1', 0,
                       '[{"event_type": "A", "event_data": {}}]');
SELECT is((SELECT generation FROM data.events WHERE stream_type = 'Stamp'), (SELECT max(generation) FROM data.store_generations),
          'an append writes it');

-- Another server's stamp does not count: the identifier decides.
UPDATE data.store_generations SET server_started_at = pg_postmaster_start_time() - interval '1 day';
SELECT is((SELECT count(*)::integer FROM private.current_generation), 1, 'another server''s stamp: the identifier still confirms it');

-- As after a restore from another cluster: its generation (another identifier, another
-- server's stamp) is the newest; the first append starts a new one, stamped.
INSERT INTO data.store_generations (generation, system_identifier, server_started_at)
SELECT max(generation) + 1, 42, now() - interval '1 day' FROM data.store_generations;
SELECT is_empty('SELECT * FROM private.current_generation', 'a restored generation is not this cluster''s');
CALL api.append_events('Stamp', '018f0000-0000-7000-8000-0000000000e2', 0,
                       '[{"event_type": "A", "event_data": {}}]');
SELECT results_eq($$SELECT g.system_identifier = (SELECT system_identifier FROM pg_control_system()), g.server_started_at = pg_postmaster_start_time()
                    FROM data.store_generations AS g ORDER BY g.generation DESC LIMIT 1$$,
                  $$VALUES (true, true)$$, 'the first append after it starts a new generation, stamped');
SELECT is((SELECT generation FROM data.events WHERE stream_id = '018f0000-0000-7000-8000-0000000000e2'),
          (SELECT max(generation) FROM data.store_generations), 'and writes it');
SELECT * FROM finish();
ROLLBACK;
