-- pgTAP: private.count_events_after (v3 change log_lag; bounded lag counts)
BEGIN;
SELECT plan(5);
SELECT has_function('private', 'count_events_after', ARRAY['integer', 'xid8', 'bigint', 'text[]', 'text[]', 'integer', 'xid8']);
SELECT function_privs_are('private', 'horizon_holder', ARRAY['integer', 'text'], 'eventstore_reader', ARRAY[]::text[]);

INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT 'Tap', '018f0000-0000-7000-8000-00000000aaaa', n, CASE WHEN n % 2 = 0 THEN 'Even' ELSE 'Odd' END, '{}', '3', n
FROM generate_series(1, 100) AS n;
SELECT results_eq($$SELECT behind, held_back, exact FROM private.count_events_after(0, '0', 0, NULL, NULL, 1, '4')$$,
                  $$VALUES (100::bigint, 0::bigint, true)$$, 'exact under 10,000');
SELECT results_eq($$SELECT behind, held_back FROM private.count_events_after(0, '0', 0, ARRAY['Even'], NULL, 1, '3')$$,
                  $$VALUES (0::bigint, 50::bigint)$$, 'past the horizon: held back, filtered');

-- Past 10,000: an estimate from positions (25,000 positions, half of them matching).
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT 'Tap', '018f0000-0000-7000-8000-00000000bbbb', n, CASE WHEN n % 2 = 0 THEN 'Even' ELSE 'Odd' END, '{}', '3', 100 + n
FROM generate_series(1, 24900) AS n;
SELECT setval('data.events_global_position_seq', 25000);
-- The share in the first 10,001 is 5,000/10,001: 25,000 x that = 12,499 (true count 12,500).
SELECT results_eq($$SELECT behind, exact FROM private.count_events_after(0, '0', 0, ARRAY['Even'], NULL, 1, '4')$$,
                  $$VALUES (12499::bigint, false)$$, 'estimated: positions times the matching share');
SELECT * FROM finish();
ROLLBACK;
