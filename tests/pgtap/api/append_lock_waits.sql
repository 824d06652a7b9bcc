-- pgTAP: append_lock_waits (who holds the advisory lock an append waits on)
BEGIN;
SELECT plan(4);

SELECT has_view('api', 'append_lock_waits', 'api.append_lock_waits exists');
SELECT columns_are('api', 'append_lock_waits',
                   ARRAY['waiting_pid', 'waiting_user', 'waiting_for', 'holder_pid', 'holder_user',
                         'holder_application', 'holder_state', 'holder_xact_age', 'holder_is_writer', 'key1', 'key2']);
SELECT table_privs_are('api', 'append_lock_waits', 'eventstore_reader', ARRAY['SELECT']);
-- One session waits on nothing (the waits across sessions: tests/test_hardening.py).
SELECT is((SELECT count(*)::integer FROM api.append_lock_waits WHERE waiting_pid = pg_backend_pid()), 0,
          'this session waits on no lock');

SELECT * FROM finish();
ROLLBACK;
