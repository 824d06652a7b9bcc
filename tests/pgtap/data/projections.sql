-- pgTAP: change projections
BEGIN;
SELECT plan(9);

SELECT has_table('data'::name, 'projections'::name);
SELECT has_table('data'::name, 'projection_checkpoints'::name);
SELECT has_table('data'::name, 'projection_skips'::name);
SELECT col_is_pk('data'::name, 'projections'::name, 'projection_name'::name, 'primary key of data.projections');
SELECT col_type_is('data'::name, 'projections'::name, 'handler'::name, 'regprocedure');
SELECT col_default_is('data'::name, 'projection_checkpoints'::name, 'status'::name, 'running'::text, 'a new projection runs');
SELECT fk_ok('data', 'projection_checkpoints', 'projection_name', 'data', 'projections', 'projection_name');
SELECT throws_ok($$INSERT INTO data.projections (projection_name, version_of, handler) VALUES ('Bad Name', 'Bad Name', 'pg_catalog.now()')$$,
                 '23514', NULL, 'projection names are identifiers');
SELECT table_privs_are('data', 'projection_checkpoints', 'eventstore_projector', ARRAY[]::text[]);

SELECT * FROM finish();
ROLLBACK;
