-- pgTAP: change projection_status
BEGIN;
SELECT plan(6);

SELECT has_view('api', 'projection_status', 'the status view');
SELECT table_privs_are('api', 'projection_status', 'eventstore_reader', ARRAY['SELECT']);
SELECT has_column('api', 'projection_status', 'horizon_fallback', 'says when readers run on the conservative horizon');

-- Announced as an appender is (api.append_events), before this transaction takes its id: its
-- own event below is then held back whatever else the cluster runs meanwhile (without it, the
-- snapshot's xmax alone held it back, until a transaction of another database, a pg_cron job,
-- completed with a newer id).
LOCK TABLE data.event_streams IN ROW EXCLUSIVE MODE;
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT 'Tally', '018f0000-0000-7000-8000-00000000aaaa', n, 'Marked', '{}', '3', n FROM generate_series(1, 4) AS n;
-- ... and one of this transaction, which is not over: held back from readers.
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
VALUES ('Tally', '018f0000-0000-7000-8000-00000000aaaa', 5, 'Marked', '{}');

SELECT results_eq($$SELECT status, events_applied, events_behind, events_held_back
                    FROM api.projection_status WHERE projection_name = 'tallies'$$,
                  $$VALUES ('running', 0::bigint, 4::bigint, 1::bigint)$$, 'behind, and held back');
SELECT is(api.run_projection('tallies'), 4, 'apply them');
SELECT results_eq($$SELECT events_applied, events_behind FROM api.projection_status
                    WHERE projection_name = 'tallies'$$,
                  $$VALUES (4::bigint, 0::bigint)$$, 'caught up');

SELECT * FROM finish();
ROLLBACK;
