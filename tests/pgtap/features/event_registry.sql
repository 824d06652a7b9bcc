-- pgTAP: change event_registry
BEGIN;
SELECT plan(9);

SELECT has_table('data'::name, 'event_schemas'::name);
SELECT col_is_pk('data'::name, 'event_schemas'::name, ARRAY['event_type', 'version']::name[], 'primary key of data.event_schemas');
SELECT has_table('data'::name, 'event_upcasters'::name);
SELECT col_is_pk('data'::name, 'event_upcasters'::name, ARRAY['event_type', 'from_version']::name[], 'primary key of data.event_upcasters');
SELECT has_table('data'::name, 'event_types'::name);
SELECT has_function('private', 'refresh_event_type', ARRAY['text']);

INSERT INTO data.event_schemas (event_type, version, schema) VALUES ('T', 1, '{}'), ('T', 2, '{}');
SELECT private.refresh_event_type('T');
SELECT is((SELECT current_version FROM data.event_types WHERE event_type = 'T'), 2, 'the highest schema version');
INSERT INTO data.event_upcasters (event_type, from_version, upcaster) VALUES ('T', 2, 'pg_catalog.jsonb_strip_nulls(jsonb)');
SELECT private.refresh_event_type('T');
SELECT is((SELECT current_version FROM data.event_types WHERE event_type = 'T'), 3, 'or the end of the upcaster chain');
SELECT private.refresh_event_type('Unversioned');
SELECT is((SELECT count(*)::integer FROM data.event_types WHERE event_type = 'Unversioned'), 0, 'a type with neither has no row');

SELECT * FROM finish();
ROLLBACK;
