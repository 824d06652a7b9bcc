-- pgTAP: change schemas
BEGIN;
SELECT plan(8);

SELECT has_schema('data');
SELECT has_schema('private');
SELECT has_schema('api');

SELECT schema_privs_are('api', 'eventstore_reader', ARRAY['USAGE']);
SELECT schema_privs_are('data', 'eventstore_admin', ARRAY['USAGE'], 'admins name data types (handler signatures), no more');
SELECT schema_privs_are('private', 'eventstore_admin', ARRAY[]::text[]);
SELECT schema_privs_are('data', 'public', ARRAY[]::text[]);
SELECT schema_privs_are('api', 'public', ARRAY[]::text[]);

SELECT * FROM finish();
ROLLBACK;
