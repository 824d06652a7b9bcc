-- pgTAP: change event_upcasters
BEGIN;
SELECT plan(13);

SELECT has_function('private', 'upcast_event', ARRAY['text', 'jsonb', 'integer', 'integer']);
SELECT has_function('api', 'register_upcaster', ARRAY['text', 'integer', 'regprocedure']);
SELECT has_view('private', 'events_as_read', 'the upcasting view every reader reads');
SELECT function_privs_are('api', 'register_upcaster', ARRAY['text', 'integer', 'regprocedure'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'register_upcaster', ARRAY['text', 'integer', 'regprocedure'], 'eventstore_writer', ARRAY[]::text[]);

-- A v1 event stored before any upcaster exists.
CALL api.append_events('Account', '018f0000-0000-7000-8000-00000000000a', 0,
    '[{"event_type": "Opened", "event_data": {"name": "Ann Lee"}, "metadata": {"version": 1}}]');

CREATE FUNCTION public.opened_v1(in_data jsonb) RETURNS jsonb LANGUAGE sql AS
$$ SELECT in_data - 'name' || jsonb_build_object('first', split_part(in_data ->> 'name', ' ', 1),
                                                 'last', split_part(in_data ->> 'name', ' ', 2)) $$;
CREATE FUNCTION public.opened_v2(in_data jsonb) RETURNS jsonb LANGUAGE sql AS
$$ SELECT in_data || '{"currency": "EUR"}' $$;
CREATE FUNCTION public.opened_v4(in_data jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT in_data $$;

SELECT lives_ok($$SELECT api.register_upcaster('Opened', 1, 'public.opened_v1(jsonb)')$$, 'v1 -> v2');
SELECT lives_ok($$SELECT api.register_upcaster('Opened', 2, 'public.opened_v2(jsonb)')$$, 'v2 -> v3');
SELECT throws_ok($$SELECT api.register_upcaster('Opened', 4, 'public.opened_v4(jsonb)')$$, 'ZE010',
                 'upcaster chain of Opened would have a gap: it upcasts versions 1 to 3, a step from version 4 leaves 3 -> 4 missing');
SELECT throws_ok($$SELECT api.register_upcaster('Opened', 3, 'pg_catalog.now()')$$, 'ZE010',
                 'upcaster now() must be a function (jsonb) returning jsonb');

SELECT is((SELECT event_data FROM api.get_events('Account', '018f0000-0000-7000-8000-00000000000a')),
          '{"first": "Ann", "last": "Lee", "currency": "EUR"}'::jsonb, 'the stored v1 event reads as v3');
SELECT is((SELECT event_data FROM data.events WHERE event_type = 'Opened'), '{"name": "Ann Lee"}'::jsonb,
          'stored events are never rewritten');
SELECT is((SELECT metadata FROM private.events_as_read WHERE event_type = 'Opened'), '{"version": 3}'::jsonb,
          'metadata.version follows the payload');
SELECT throws_ok($$SELECT private.upcast_event('Opened', '{}', 1, 5)$$, 'ZE010', 'no upcaster for Opened from version 3 to 4');

SELECT * FROM finish();
ROLLBACK;
