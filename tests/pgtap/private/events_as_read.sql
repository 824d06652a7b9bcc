-- pgTAP: private.events_as_read (v3 change events_upcast)
BEGIN;
SELECT plan(6);
SELECT has_view('private'::name, 'events_as_read'::name);
SELECT api.register_personal_data('Signed', '$.who', ARRAY['signature']);
CALL api.append_events('Doc', '018f0000-0000-7000-8000-0000000000e1', 0,
    '[{"event_type": "Signed", "event_data": {"who": "w-1", "signature": "abc"}}]');
CALL api.append_events('Doc', '018f0000-0000-7000-8000-0000000000e2', 0,
    '[{"event_type": "Other", "event_data": {"signature": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}}]');
SELECT results_eq($$SELECT event_data FROM private.events_as_read WHERE stream_type = 'Doc' ORDER BY stream_id, version$$,
                  $$VALUES ('{"who": "w-1", "signature": "abc"}'::jsonb),
                           ('{"signature": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}'::jsonb)$$,
                  'sealed fields open; other types untouched, look-alikes included');
-- A registered type refuses look-alikes (only the store seals) ...
SELECT throws_ok($$CALL api.append_events('Doc', '018f0000-0000-7000-8000-0000000000e3', 0,
    '[{"event_type": "Signed", "event_data": {"who": "w-2", "note": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}}]')$$,
                 'ZE002', NULL, 'a look-alike sealed value in a registered type is refused');
-- ... but one written before its type was registered reads as null, and nothing raises.
SELECT api.register_personal_data('Other', '$.who', ARRAY['who']);
SELECT is((SELECT event_data FROM private.events_as_read WHERE stream_id = '018f0000-0000-7000-8000-0000000000e2'),
          '{"signature": null}'::jsonb, 'a planted look-alike that does not open reads as null');
SELECT is((SELECT event_data FROM private.events_as_read WHERE stream_id = '018f0000-0000-7000-8000-0000000000e1'),
          '{"who": "w-1", "signature": "abc"}'::jsonb, 'the real sealed field still opens');
SELECT lives_ok($$SELECT count(*) FROM api.get_all_events(NULL, 1000)$$, 'and no reader stops on it');
SELECT * FROM finish();
ROLLBACK;
