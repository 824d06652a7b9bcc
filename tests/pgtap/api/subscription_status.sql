-- pgTAP: change subscription_status
BEGIN;
SELECT plan(7);

SELECT has_view('api', 'subscription_status', 'the status view');
SELECT has_view('api', 'parked_events', 'the parked events');
SELECT table_privs_are('api', 'subscription_status', 'eventstore_admin', ARRAY['SELECT']);
SELECT has_column('api', 'subscription_status', 'horizon_fallback', 'says when readers run on the conservative horizon');
SELECT table_privs_are('api', 'parked_events', 'eventstore_projector', ARRAY[]::text[]);

INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT 'Tap', '018f0000-0000-7000-8000-00000000aaaa', n, 'T', '{}', '3', n FROM generate_series(1, 4) AS n;
SELECT api.create_subscription('tap');
SELECT results_eq($$SELECT consumers, events_behind, events_behind_exact, in_flight, waiting, parked
                    FROM api.subscription_status$$,
                  $$VALUES (0, 4::bigint, true, 0::bigint, 0::bigint, 0::bigint)$$, 'four behind, nobody claiming');
SELECT is((SELECT count(*)::integer FROM api.claim_events('tap', 'c', 3)), 3, 'claim three');
-- (the plan counts this one)

SELECT * FROM finish();
ROLLBACK;
