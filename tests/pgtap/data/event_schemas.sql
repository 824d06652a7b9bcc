-- pgTAP: change event_schemas
BEGIN;
SELECT plan(32);
SELECT has_function('api', 'register_event_schema', ARRAY['text', 'integer', 'jsonb']);
SELECT is_definer('api', 'register_event_schema', ARRAY['text', 'integer', 'jsonb']);
SELECT function_privs_are('api', 'register_event_schema', ARRAY['text', 'integer', 'jsonb'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'register_event_schema', ARRAY['text', 'integer', 'jsonb'], 'eventstore_writer', ARRAY[]::text[]);

-- Each supported keyword accepts and rejects (pytest covers them one by one too).
SELECT is(private.json_schema_error('{"type": "integer"}', '3'), NULL, 'type integer accepts 3');
SELECT is(private.json_schema_error('{"type": "integer"}', '3.5'), 'at $: expected integer, got a number with a fraction', 'rejects 3.5');
SELECT is(private.json_schema_error('{"type": ["string", "null"]}', 'null'), NULL, 'a list of types');
SELECT is(private.json_schema_error('{"enum": ["a", "b"]}', '"c"'), 'at $: "c" is not one of ["a", "b"]', 'enum');
SELECT is(private.json_schema_error('{"required": ["a"], "properties": {"a": {"type": "string"}}}', '{"a": 1}'),
          'at $.a: expected string, got number', 'properties, with the path');
SELECT is(private.json_schema_error('{"additionalProperties": false, "properties": {"a": {}}}', '{"a": 1, "b": 2}'),
          'at $.b: no value is allowed here', 'additionalProperties false');
SELECT is(private.json_schema_error('{"items": {"type": "object", "required": ["q"]}}', '[{"q": 1}, {}]'),
          'at $[1]: required property q is missing', 'items, with the index');
SELECT is(private.json_schema_error('{"type": "string", "pattern": "^[a-z]+$", "maxLength": 3}', '"abcd"'),
          'at $: a string of 4 characters is outside minLength - / maxLength 3', 'maxLength');
SELECT is(private.json_schema_error('{"minimum": 1}', '0'), 'at $: 0 is less than the minimum 1', 'minimum');

SELECT throws_ok($$SELECT api.register_event_schema('T', 1, '{"oneOf": []}')$$, 'ZE010',
                 'schema of T version 1: at $: unsupported keyword oneOf');
SELECT throws_ok($$SELECT api.register_event_schema('T', 1, '{"properties": {"a": {"type": "decimal"}}}')$$, 'ZE010',
                 'schema of T version 1: at $.properties.a: type must be one of object, array, string, number, integer, boolean, null or an array of them');
SELECT throws_ok($$SELECT api.register_event_schema('T', 0, '{}')$$, 'ZE003', 'in_version must be a positive integer, got 0');

SELECT lives_ok($$SELECT api.register_event_schema('Paid', 1, '{"type": "object", "required": ["amount"],
                  "properties": {"amount": {"type": "number", "minimum": 0}}}')$$, 'register a schema');
SELECT lives_ok($$CALL api.append_events('Bill', gen_random_uuid(), 0, '[{"event_type": "Paid", "event_data": {"amount": 5}}]')$$,
                'a matching event is written');
SELECT is((SELECT schema_version FROM data.events WHERE event_type = 'Paid'), 1, 'at the current version of its type');
SELECT throws_ok($$CALL api.append_events('Bill', gen_random_uuid(), 0, '[{"event_type": "Other", "event_data": {}},
                   {"event_type": "Paid", "event_data": {"amount": -1}}]')$$, 'ZE006',
                 'event 2 of in_events (Paid version 1) does not match its schema at $.amount: -1 is less than the minimum 0');
SELECT throws_ok($$CALL api.append_events('Bill', gen_random_uuid(), 0,
                   '[{"event_type": "Paid", "event_data": {"amount": 1}, "metadata": {"version": 4}}]')$$, 'ZE006',
                 'event 1 of in_events: Paid has no schema for version 4 (registered: 1)');
SELECT throws_ok($$CALL api.append_events('Bill', gen_random_uuid(), 0,
                   '[{"event_type": "Paid", "event_data": {"amount": 1}, "metadata": {"version": "1"}}]')$$, 'ZE002',
                 'event 1 of in_events has a metadata.version (its schema version) that is not a positive integer');
SELECT is((SELECT count(*)::integer FROM data.events), 1, 'refused batches wrote nothing');

-- (of the v3 change event_registry)
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
