-- pgTAP: change event_log_numbers_wiring (an event inserted without its number is numbered)
BEGIN;
SELECT plan(4);
SELECT has_trigger('data'::name, 'events'::name, 'events_number'::name);
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
SELECT 'TapImport', '018f0000-0000-7000-8000-0000000000c1', v, 'Imported', '{}' FROM pg_catalog.generate_series(1, 3) AS v;
SELECT is((SELECT count(*) FROM data.events AS e
           WHERE e.stream_type = 'TapImport'
             AND e.log_number = private.log_number(e.generation, e.transaction_id, e.global_position, e.created_at)),
          3::bigint, 'each event inserted without a number gets its log number');
CALL api.append_events('TapImport', '018f0000-0000-7000-8000-0000000000c2', 0, '[{"event_type": "Appended", "event_data": {}}]');
SELECT is((SELECT e.log_number FROM data.events AS e WHERE e.event_type = 'Appended'),
          (SELECT pg_catalog.max(e.log_number) FROM data.events AS e WHERE e.event_type = 'Imported')
          + (SELECT e.global_position FROM data.events AS e WHERE e.event_type = 'Appended')
          - (SELECT pg_catalog.max(e.global_position) FROM data.events AS e WHERE e.event_type = 'Imported'),
          'an append after an import in one transaction numbers on from it');
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, log_number)
VALUES ('TapImport', '018f0000-0000-7000-8000-0000000000c3', 1, 'Numbered', '{}', 12345);
SELECT is((SELECT e.log_number FROM data.events AS e WHERE e.event_type = 'Numbered'), 12345::numeric,
          'a number given is kept');
SELECT * FROM finish();
ROLLBACK;
