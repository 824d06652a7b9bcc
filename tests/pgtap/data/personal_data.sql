-- pgTAP: change personal_data
BEGIN;
SELECT plan(31);

SELECT has_table('data'::name, 'personal_data'::name);
SELECT has_table('data'::name, 'subject_keys'::name);
SELECT has_table('data'::name, 'subject_streams'::name);
SELECT has_table('data'::name, 'forgotten_subjects'::name);
SELECT function_privs_are('api', 'register_personal_data', ARRAY['text', 'text', 'text[]'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'forget_subject', ARRAY['text'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'forget_subject', ARRAY['text'], 'eventstore_writer', ARRAY[]::text[]);
SELECT table_privs_are('data', 'subject_keys', 'eventstore_admin', ARRAY[]::text[], 'no role but the owner reads the keys');
SELECT has_function('private', 'open_sealed', ARRAY['jsonb']);
SELECT function_privs_are('private', 'open_sealed', ARRAY['jsonb'], 'public', ARRAY[]::text[]);
SELECT has_column('data', 'forgotten_subjects', 'forgotten_xid', 'an erasure records its transaction');
SELECT is(private.open_sealed('{"key": "not a uuid", "data": "x"}'), NULL, 'a look-alike opens to NULL');
SELECT is(private.open_sealed(jsonb_build_object('key', gen_random_uuid(), 'data', 'AAAA')), NULL, 'no such key: NULL');

-- Bad registrations: ZE003, nothing registered.
SELECT throws_ok($$SELECT api.register_personal_data('', '$.id', ARRAY['name'])$$, 'ZE003');
SELECT throws_ok($$SELECT api.register_personal_data('Registered', 'not a path (', ARRAY['name'])$$, 'ZE003',
                 'in_subject_path must be a JSON path such as $.customer_id, got not a path (');
SELECT throws_ok($$SELECT api.register_personal_data('Registered', '$.id', ARRAY[]::text[])$$, 'ZE003');
SELECT throws_ok($$SELECT api.register_personal_data('Registered', '$.id', ARRAY['name', 'name'])$$, 'ZE003');
SELECT throws_ok($$SELECT api.register_personal_data('Registered', '$.id', ARRAY['name', NULL])$$, 'ZE003');
SELECT is((SELECT count(*)::integer FROM data.personal_data WHERE event_type IN ('', 'Registered')), 0, 'nothing registered by bad calls');

SELECT api.register_personal_data('Registered', '$.id', ARRAY['name']);
SELECT api.register_personal_data('Registered', '$.person.id', ARRAY['name', 'email']);
SELECT is((SELECT subject_path::text || ' ' || fields::text FROM data.personal_data WHERE event_type = 'Registered'),
          '$."person"."id" {name,email}', 'registering again replaces');

CALL api.append_events('Person', '018f0000-0000-7000-8000-0000000000f1', 0,
    '[{"event_type": "Registered", "event_data": {"person": {"id": "p-1"}, "name": "Ann", "email": "a@x.org", "age": 40}}]');
SELECT ok((SELECT event_data -> 'name' ? '$es_sealed' AND event_data -> 'email' ? '$es_sealed'
                  AND event_data ->> 'age' = '40' AND NOT event_data::text LIKE '%Ann%'
           FROM data.events WHERE stream_type = 'Person'),
          'the marked fields are stored sealed, the others as written');
SELECT is((SELECT event_data FROM api.get_events('Person', '018f0000-0000-7000-8000-0000000000f1')),
          '{"person": {"id": "p-1"}, "name": "Ann", "email": "a@x.org", "age": 40}'::jsonb, 'readers see the plaintext');
SELECT throws_ok($$CALL api.append_events('Person', '018f0000-0000-7000-8000-0000000000f2', 0,
                     '[{"event_type": "Registered", "event_data": {"name": "Bob"}}]')$$, 'ZE002', NULL,
                 'an event without its subject id is ZE002');
SELECT is((SELECT count(*)::integer FROM data.events WHERE stream_id = '018f0000-0000-7000-8000-0000000000f2'), 0,
          'and nothing is appended');
SELECT throws_ok($$CALL api.append_events('Person', '018f0000-0000-7000-8000-0000000000f3', 0,
                     '[{"event_type": "Registered", "event_data": {"person": {"id": "p-1"}, "name": "Bob",
                        "x": {"$es_sealed": {"key": "018f0000-0000-7000-8000-000000000000", "data": "AAAA"}}}}]')$$,
                 'ZE002', 'an event of type Registered holds a field that looks sealed already ({"$es_sealed": ...})',
                 'a look-alike sealed value is refused');
SELECT is((SELECT count(*)::integer FROM data.events WHERE stream_id = '018f0000-0000-7000-8000-0000000000f3'), 0,
          'and nothing is appended');

SELECT is(api.forget_subject('p-1'), true, 'forget destroys the key');
SELECT is((SELECT event_data FROM api.get_events('Person', '018f0000-0000-7000-8000-0000000000f1')),
          '{"person": {"id": "p-1"}, "name": null, "email": null, "age": 40}'::jsonb, 'then readers see null');
SELECT is(api.forget_subject('p-1'), false, 'a subject without a key: false');
SELECT results_eq($$SELECT e.event_type, e.event_data ->> 'subject_id' FROM data.forgotten_subjects AS f
                    CROSS JOIN LATERAL api.get_events('$subject', f.key_id) AS e$$,
                  $$VALUES ('$SubjectForgotten', 'p-1')$$, 'read models hear of it');
SELECT is((SELECT count(*)::integer FROM data.subject_streams WHERE stream_type = 'Person'), 1,
          'the subject''s streams stay listed (snapshot savers check them)');

SELECT * FROM finish();
ROLLBACK;
