-- pgTAP: change event_log_numbers (each event's log number, stored at append; the numbering
-- of events stored before the change: tests of the upgrades from each release)
BEGIN;
SELECT plan(7);
SELECT has_column('data'::name, 'events'::name, 'log_number'::name, 'data.events has a log_number');
SELECT col_type_is('data'::name, 'events'::name, 'log_number'::name, 'numeric');
SELECT col_not_null('data'::name, 'events'::name, 'log_number'::name);
-- Three appends in one transaction (this one wrote before: pgTAP's tables): a batch, one event
-- into another stream, and one more after a purge of the first stream in between would have
-- been possible; the stored numbers are those private.log_number works out.
CALL api.append_events('TapNumbers', '018f0000-0000-7000-8000-0000000000b1', 0,
                       '[{"event_type": "A", "event_data": {}}, {"event_type": "B", "event_data": {}}, {"event_type": "C", "event_data": {}}]');
CALL api.append_events('TapNumbers', '018f0000-0000-7000-8000-0000000000b2', 0, '[{"event_type": "D", "event_data": {}}]');
CALL api.append_events('TapNumbers', '018f0000-0000-7000-8000-0000000000b1', 3,
                       '[{"event_type": "E", "event_data": {}}, {"event_type": "F", "event_data": {}}]');
SELECT is((SELECT count(*) FROM data.events AS e
           WHERE e.stream_type = 'TapNumbers'
             AND e.log_number = private.log_number(e.generation, e.transaction_id, e.global_position, e.created_at)),
          6::bigint, 'each appended event''s stored number is its log number');
SELECT is((SELECT pg_catalog.min(e.log_number) - private.log_block(e.generation, e.transaction_id)
           FROM data.events AS e WHERE e.stream_type = 'TapNumbers' GROUP BY e.generation, e.transaction_id),
          1::numeric, 'the transaction''s first event is number 1 of its block');
SELECT is((SELECT pg_catalog.array_agg(e.event_type ORDER BY e.log_number) FROM data.events AS e
           WHERE e.stream_type = 'TapNumbers'),
          (SELECT pg_catalog.array_agg(e.event_type ORDER BY e.global_position) FROM data.events AS e
           WHERE e.stream_type = 'TapNumbers'),
          'numbers follow the log order');
CREATE TEMP TABLE tap_returned AS
SELECT api.append_versioned('TapNumbers', '[{"stream_id": "018f0000-0000-7000-8000-0000000000b3", "events": [{"event_type": "G", "event_data": {}, "metadata": {"originator_version": 1}}, {"event_type": "H", "event_data": {}, "metadata": {"originator_version": 2}}]}]') AS n;
SELECT is((SELECT n FROM tap_returned),
          (SELECT pg_catalog.array_agg(e.log_number ORDER BY e.version) FROM data.events AS e
           WHERE e.stream_id = '018f0000-0000-7000-8000-0000000000b3'),
          'api.append_versioned returns the stored numbers');
SELECT * FROM finish();
ROLLBACK;
