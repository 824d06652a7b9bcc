-- pgTAP: change tracking (data.tracking and data.tracker_roles, written through api.record_tracking
-- and api.set_tracker_role)
BEGIN;
SELECT plan(25);

SELECT has_table('data', 'tracking', 'a table of consumers'' positions');
SELECT col_is_pk('data', 'tracking', ARRAY['tracker', 'upstream'], 'one row per consumer and log');
SELECT table_privs_are('data', 'tracking', 'eventstore_writer', ARRAY[]::text[], 'written through api only');
SELECT function_privs_are('api', 'record_tracking', ARRAY['text', 'text', 'numeric'], 'eventstore_writer', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'record_tracking', ARRAY['text', 'text', 'numeric'], 'eventstore_reader', ARRAY[]::text[]);
SELECT function_privs_are('api', 'tracking_position', ARRAY['text', 'text'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT col_is_pk('data', 'tracker_roles', ARRAY['tracker'], 'one reservation per tracker');
SELECT table_privs_are('data', 'tracker_roles', 'eventstore_admin', ARRAY[]::text[], 'written through api only');
SELECT is_definer('api', 'set_tracker_role', ARRAY['text', 'name'], 'set_tracker_role is SECURITY DEFINER');
SELECT function_privs_are('api', 'set_tracker_role', ARRAY['text', 'name'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'set_tracker_role', ARRAY['text', 'name'], 'eventstore_writer', ARRAY[]::text[]);

SET ROLE eventstore_writer;
SELECT lives_ok($$SELECT api.record_tracking('down', 'up', 21)$$, 'a first position');
SELECT lives_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000001)$$, 'a later one, past a bigint');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 22)$$, 'ZE018', NULL, 'never back');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000001)$$, 'ZE018', NULL, 'nor the same again');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 1.5)$$, 'ZE003', NULL, 'positions are integers');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 'NaN')$$, 'ZE003', NULL, 'not NaN');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 'Infinity')$$, 'ZE003', NULL, 'not Infinity');
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 1e30)$$, 'ZE003', NULL, 'nor past what a log can reach');
SELECT is(api.tracking_position('down', 'up'), 4300000000000000000001::numeric, 'the recorded position');
RESET ROLE;
SET ROLE eventstore_projector;
SELECT throws_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000002)$$, 'ZE019', NULL,
                 'another role cannot move a tracker it does not own');
RESET ROLE;
SELECT lives_ok($$SELECT api.record_tracking('down', 'up', 4300000000000000000002)$$, 'an admin can');
SELECT lives_ok($$SELECT api.set_tracker_role('down', 'eventstore_projector')$$, 'an admin reserves it for projectors');
SELECT is(api.tracking_position('down', 'up'), NULL, 'what another role recorded under the name is gone');
SET ROLE eventstore_projector;
SELECT lives_ok($$SELECT api.record_tracking('down', 'up', 1)$$, 'the role it is reserved for records it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
