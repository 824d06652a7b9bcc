-- pgTAP: change roles
BEGIN;
SELECT plan(9);

SELECT has_role('eventstore_reader');
SELECT has_role('eventstore_writer');
SELECT has_role('eventstore_projector');
SELECT has_role('eventstore_admin');
SELECT is((SELECT count(*)::integer FROM pg_roles WHERE rolname LIKE 'eventstore\_%' AND rolcanlogin), 0,
          'group roles cannot log in');

SELECT is_member_of('eventstore_reader', 'eventstore_writer');
SELECT is_member_of('eventstore_reader', 'eventstore_projector');
SELECT is_member_of('eventstore_writer', 'eventstore_admin');
SELECT is_member_of('eventstore_projector', 'eventstore_admin');

SELECT * FROM finish();
ROLLBACK;
