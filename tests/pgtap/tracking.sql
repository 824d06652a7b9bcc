-- pgTAP: change tracking (data.tracking, written through api.record_tracking)
BEGIN;
SELECT plan(14);

SELECT has_table('data', 'tracking', 'a table of consumers'' positions');
SELECT col_is_pk('data', 'tracking', ARRAY['tracker', 'upstream'], 'one row per consumer and log');
SELECT table_privs_are('data', 'tracking', 'eventstore_writer', ARRAY[]::text[], 'written through api only');
SELECT function_privs_are('api', 'record_tracking', ARRAY['text', 'text', 'numeric'], 'eventstore_writer', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'record_tracking', ARRAY['text', 'text', 'numeric'], 'eventstore_reader', ARRAY[]::text[]);
SELECT function_privs_are('api', 'tracking_position', ARRAY['text', 'text'], 'eventstore_reader', ARRAY['EXECUTE']);

SET ROLE eventstore_writer;
SELECT lives_ok($$SELECT api.record_tracking('down', 'up', 21)$$, 'a first position');
SELECT lives_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000001)$$, 'a later one, past a bigint');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 22)$$, 'ZE018', NULL, 'never back');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000001)$$, 'ZE018', NULL, 'nor the same again');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 1.5)$$, 'ZE003', NULL, 'positions are integers');
SELECT is(api.tracking_position('down', 'up'), 4300000000000000000001::numeric, 'the recorded position');
RESET ROLE;
SET ROLE eventstore_projector;
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000002)$$, 'ZE019', NULL,
                 'another role cannot move a tracker it does not own');
RESET ROLE;
SELECT lives_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000002)$$, 'an admin can');

SELECT * FROM finish();
ROLLBACK;
