-- pgTAP: change events_upcast
BEGIN;
SELECT plan(4);

SELECT has_view('private'::name, 'events_upcast'::name);
SELECT api.register_personal_data('Signed', '$.who', ARRAY['signature']);
CALL api.append_events('Doc', '018f0000-0000-7000-8000-0000000000e1', 0,
    '[{"event_type": "Signed", "event_data": {"who": "w-1", "signature": "abc"}},
      {"event_type": "Signed", "event_data": {"who": "w-1", "signature": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}}]');
CALL api.append_events('Doc', '018f0000-0000-7000-8000-0000000000e2', 0,
    '[{"event_type": "Other", "event_data": {"signature": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}}]');
SELECT results_eq($$SELECT event_data FROM private.events_upcast WHERE stream_type = 'Doc' ORDER BY stream_id, version$$,
                  $$VALUES ('{"who": "w-1", "signature": "abc"}'::jsonb),
                           ('{"who": "w-1", "signature": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}'::jsonb),
                           ('{"signature": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}'::jsonb)$$,
                  'sealed fields open; a look-alike written into a marked field reads as written; other types untouched');
-- A look-alike planted in an unmarked field of a registered type reads as null, and nothing raises.
CALL api.append_events('Doc', '018f0000-0000-7000-8000-0000000000e3', 0,
    '[{"event_type": "Signed", "event_data": {"who": "w-2", "note": {"$es_sealed": {"key": "not a uuid", "data": "??"}}}}]');
SELECT is((SELECT event_data FROM private.events_upcast WHERE stream_id = '018f0000-0000-7000-8000-0000000000e3'),
          '{"who": "w-2", "note": null}'::jsonb, 'a planted look-alike that does not open reads as null');
SELECT lives_ok($$SELECT count(*) FROM api.get_all_events(NULL, 1000)$$, 'and no reader stops on it');

SELECT * FROM finish();
ROLLBACK;
