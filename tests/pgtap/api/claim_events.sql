-- pgTAP: api.claim_events (v3 change subscription_claims; claim, ack, nack, parking; across connections:
-- tests/test_subscriptions.py)
BEGIN;
SELECT plan(40);
SELECT has_function('api', 'claim_events', ARRAY['text', 'text', 'integer']);
SELECT is_definer('api', 'claim_events', ARRAY['text', 'text', 'integer']);
SELECT volatility_is('api', 'claim_events', ARRAY['text', 'text', 'integer'], 'volatile');
SELECT function_privs_are('api', 'claim_events', ARRAY['text', 'text', 'integer'], 'eventstore_projector', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'claim_events', ARRAY['text', 'text', 'integer'], 'eventstore_writer', ARRAY[]::text[]);
SELECT function_privs_are('api', 'ack_events', ARRAY['text', 'text', 'uuid[]'], 'eventstore_projector', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'nack_event', ARRAY['text', 'text', 'uuid', 'text'], 'eventstore_projector', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'nack_event', ARRAY['text', 'text', 'uuid', 'text'], 'eventstore_reader', ARRAY[]::text[]);
SELECT function_privs_are('private', 'subscription_intake_unread', ARRAY['data.subscriptions', 'integer', 'integer', 'xid8', 'text'],
                          'public', ARRAY[]::text[]);

-- Stream a: 3 events; stream b: 2 events (log order a1 a2 b1 a3 b2).
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
VALUES ('018f0000-0000-7000-8000-000000000001', 'Tap', '018f0000-0000-7000-8000-00000000000a', 1, 'T', '{}', '3', 1),
       ('018f0000-0000-7000-8000-000000000002', 'Tap', '018f0000-0000-7000-8000-00000000000a', 2, 'T', '{}', '3', 2),
       ('018f0000-0000-7000-8000-000000000003', 'Tap', '018f0000-0000-7000-8000-00000000000b', 1, 'T', '{}', '3', 3),
       ('018f0000-0000-7000-8000-000000000004', 'Tap', '018f0000-0000-7000-8000-00000000000a', 3, 'T', '{}', '3', 4),
       ('018f0000-0000-7000-8000-000000000005', 'Tap', '018f0000-0000-7000-8000-00000000000b', 2, 'T', '{}', '3', 5);
SELECT api.create_subscription('tap', in_max_attempts := 2);

-- Bad input: documented SQLSTATEs.
SELECT throws_ok($$SELECT * FROM api.claim_events('nope', 'c')$$, 'ZE013', NULL, 'unknown subscription');
SELECT throws_ok($$SELECT * FROM api.claim_events('tap', NULL)$$, 'ZE003', NULL, 'a NULL consumer');
SELECT throws_ok($$SELECT * FROM api.claim_events('tap', 'c', 0)$$, 'ZE003', NULL, 'a limit below 1');
SELECT throws_ok($$SELECT * FROM api.claim_events('tap', 'c', 10001)$$, 'ZE003', NULL, 'a limit past 10000');
SELECT throws_ok($$SELECT api.ack_events('tap', 'c', ARRAY[['018f0000-0000-7000-8000-000000000001'::uuid]])$$, 'ZE003',
                 'in_event_ids must be a one-dimensional array of at most 10000 event ids without NULLs', 'a 2-D id array');
SELECT is((SELECT count(*)::integer FROM data.subscription_events), 0, 'nothing was taken in');

-- Consumer 1 takes two: a1 a2 (one stream, version order).
SELECT results_eq($$SELECT version, attempt FROM api.claim_events('tap', 'c1', 2)$$, $$VALUES (1, 1), (2, 1)$$,
                  'a1 a2 to c1');
-- Consumer 2: b1 goes; a3 waits behind a1/a2 in flight; b2 goes with b1.
SELECT results_eq($$SELECT stream_id, version FROM api.claim_events('tap', 'c2', 10)$$,
                  $$VALUES ('018f0000-0000-7000-8000-00000000000b'::uuid, 1), ('018f0000-0000-7000-8000-00000000000b'::uuid, 2)$$,
                  'b1 b2 to c2; a3 waits');
SELECT is((SELECT count(*)::integer FROM api.claim_events('tap', 'c3', 10)), 0, 'nothing free for c3');

SELECT throws_ok($$SELECT api.ack_events('tap', 'c1', ARRAY['018f0000-0000-7000-8000-0000000000ff'::uuid,
                                                          '018f0000-0000-7000-8000-000000000001'::uuid])$$,
                 'ZE004', NULL, 'an id that names no event');
SELECT is((SELECT count(*)::integer FROM data.subscription_leases AS l, unnest(l.events) AS r
           WHERE r.id = '018f0000-0000-7000-8000-000000000001'), 1,
          '... and nothing was acknowledged');
SELECT throws_ok($$SELECT api.ack_events('tap', 'c1', NULL)$$, 'ZE003', NULL, 'NULL ids');
SELECT is(api.ack_events('tap', 'c2', ARRAY['018f0000-0000-7000-8000-000000000001'::uuid]), 0,
          'c2 cannot acknowledge what c1 holds');
SELECT is(api.ack_events('tap', 'c1', ARRAY['018f0000-0000-7000-8000-000000000001'::uuid]), 1, 'c1 acknowledges a1');

-- c1 fails a2: a2 is given back (attempt 1 failed) and goes out again before a3.
SELECT ok(api.nack_event('tap', 'c1', '018f0000-0000-7000-8000-000000000002', 'boom'), 'nack a2');
SELECT is(api.nack_event('tap', 'c1', '018f0000-0000-7000-8000-000000000002', 'again'), false,
          'a second nack of what c1 no longer holds does nothing');
SELECT results_eq($$SELECT version, attempt FROM api.claim_events('tap', 'c3', 10)$$, $$VALUES (2, 2), (3, 1)$$,
                  'a2 again (second attempt) and a3 behind it, in one claim');
-- Its second failure parks it (max_attempts 2): stream a stops, b flows on.
SELECT ok(api.nack_event('tap', 'c3', '018f0000-0000-7000-8000-000000000002', 'boom twice'), 'nack a2 again');
SELECT is((SELECT consumer FROM data.subscription_events WHERE event_id = '018f0000-0000-7000-8000-000000000004'), NULL,
          'a3, which c3 held behind a2, is given back with it');
SELECT results_eq($$SELECT id, version, attempts, last_error FROM api.parked_events$$,
                  $$VALUES ('018f0000-0000-7000-8000-000000000002'::uuid, 2, 2, 'boom twice')$$, 'a2 is parked with its error');
SELECT is((SELECT count(*)::integer FROM api.claim_events('tap', 'c3', 10)), 0, 'a3 waits behind the parked a2');

-- An expired lease is a failed attempt too (the lease is moved into the past here; real
-- expiry across connections: tests/test_subscriptions.py).
UPDATE data.subscription_leases SET leased_until = clock_timestamp() - interval '1 second' WHERE consumer = 'c2';
SELECT results_eq($$SELECT version, attempt FROM api.claim_events('tap', 'c4', 10)$$, $$VALUES (1, 2), (2, 2)$$,
                  'b1 b2 again after their lease expired, second attempt');
SELECT is((SELECT last_error FROM data.subscription_events WHERE event_id = '018f0000-0000-7000-8000-000000000003'),
          'the lease of consumer c2 expired (attempt 1)', 'the expiry is its error');

SELECT lives_ok($$SELECT api.skip_parked('tap', '018f0000-0000-7000-8000-000000000002')$$, 'skip a2');
SELECT results_eq($$SELECT version, attempt FROM api.claim_events('tap', 'c4', 10)$$, $$VALUES (3, 1)$$,
                  'a3 flows once a2 is skipped');
SELECT throws_ok($$SELECT api.skip_parked('tap', '018f0000-0000-7000-8000-000000000002')$$, 'ZE014', NULL,
                 'a skipped event is not parked any more');

-- The read guard: claims cut off while reading leave their count in a sequence (here set by
-- hand; real cancels across connections: tests/test_hardening3.py).
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
VALUES ('018f0000-0000-7000-8000-000000000011', 'G', '018f0000-0000-7000-8000-0000000000a1', 1, 'T', '{}', '3', 11),
       ('018f0000-0000-7000-8000-000000000012', 'G', '018f0000-0000-7000-8000-0000000000a2', 1, 'T', '{}', '3', 12),
       ('018f0000-0000-7000-8000-000000000013', 'G', '018f0000-0000-7000-8000-0000000000a3', 1, 'T', '{}', '3', 13);
SELECT api.create_subscription('guarded', ARRAY['G'], in_max_attempts := 2);
SELECT setval((SELECT read_guard FROM data.subscriptions WHERE subscription_name = 'guarded'), 1);
SELECT results_eq($$SELECT id FROM api.claim_events('guarded', 'g', 10)$$,
                  $$VALUES ('018f0000-0000-7000-8000-000000000011'::uuid)$$, 'after a cut-off claim: one event at a time');
SELECT is((SELECT last_value FROM data.subscription_reads_2cd3140120271187cd60082339979559), 0::bigint,
          'a claim that ends clears the count');
SELECT setval((SELECT read_guard FROM data.subscriptions WHERE subscription_name = 'guarded'), 3);
SELECT is((SELECT count(*)::integer FROM api.claim_events('guarded', 'g', 10)), 0,
          'more than max_attempts cut-offs: the next event is not read');
SELECT results_eq($$SELECT id, attempts, last_error FROM api.parked_events WHERE subscription_name = 'guarded'$$,
                  $$VALUES ('018f0000-0000-7000-8000-000000000012'::uuid, 0,
                            'unreadable: reading it was cut off 3 times in a row (a cancel or statement_timeout)')$$,
                  'it is parked unread');
SELECT results_eq($$SELECT id FROM api.claim_events('guarded', 'g', 10)$$,
                  $$VALUES ('018f0000-0000-7000-8000-000000000013'::uuid)$$, 'and the others flow');
SELECT * FROM finish();
ROLLBACK;
