-- pgTAP: api.create_subscription (v3 change subscription_admin; create, drop, reset, replay, skip)
BEGIN;
SELECT plan(33);
SELECT has_function('api', 'create_subscription', ARRAY['text', 'text[]', 'text[]', 'boolean', 'integer', 'interval']);
SELECT is_definer('api', 'create_subscription', ARRAY['text', 'text[]', 'text[]', 'boolean', 'integer', 'interval']);
SELECT function_privs_are('api', 'create_subscription', ARRAY['text', 'text[]', 'text[]', 'boolean', 'integer', 'interval'],
                          'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'create_subscription', ARRAY['text', 'text[]', 'text[]', 'boolean', 'integer', 'interval'],
                          'eventstore_projector', ARRAY[]::text[]);
SELECT function_privs_are('api', 'skip_parked', ARRAY['text', 'uuid'], 'eventstore_projector', ARRAY[]::text[]);
SELECT function_privs_are('api', 'replay_parked', ARRAY['text', 'uuid'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT has_function('api', 'set_subscription_role', ARRAY['text', 'name']);
SELECT is_definer('api', 'set_subscription_role', ARRAY['text', 'name']);
SELECT function_privs_are('api', 'set_subscription_role', ARRAY['text', 'name'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'set_subscription_role', ARRAY['text', 'name'], 'eventstore_projector', ARRAY[]::text[]);

-- Bad input: ZE003, and nothing is written.
SELECT throws_ok($$SELECT api.create_subscription(NULL)$$, 'ZE003', NULL, 'a NULL name');
SELECT throws_ok($$SELECT api.create_subscription(repeat('x', 201))$$, 'ZE003', NULL, 'a name past 200 characters');
SELECT throws_ok($$SELECT api.create_subscription('s', ARRAY[ARRAY['a'], ARRAY['b']])$$, 'ZE003', NULL, 'a 2-D filter');
SELECT throws_ok($$SELECT api.create_subscription('s', ARRAY[NULL::text])$$, 'ZE003', NULL, 'a NULL type name');
SELECT throws_ok($$SELECT api.create_subscription('s', in_max_attempts := 0)$$, 'ZE003', NULL, 'no attempt');
SELECT throws_ok($$SELECT api.create_subscription('s', in_lease := '10 ms')$$, 'ZE003', NULL, 'a lease under a second');
SELECT throws_ok($$SELECT api.create_subscription('s', in_lease := '-1 year 360 days 12:00:00')$$, 'ZE003', NULL,
                 'a lease that compares as 12 hours but ends before it begins');
SELECT throws_ok($$SELECT api.create_subscription('s', in_from_beginning := NULL)$$, 'ZE003', NULL, 'from when?');
SELECT is((SELECT count(*)::integer FROM data.subscriptions), 0, 'nothing was written');

INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT ('018f0000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'Tap', '018f0000-0000-7000-8000-00000000aaaa', n,
       'Tapped', '{}', '3', n
FROM generate_series(1, 3) AS n;

SELECT lives_ok($$SELECT api.create_subscription('tap', ARRAY['Tap'])$$, 'create');
SELECT is((SELECT read_guard::text FROM data.subscriptions WHERE subscription_name = 'tap'),
          'data.subscription_reads_' || md5('tap'), 'a subscription has a read guard of its own');
SELECT throws_ok($$SELECT api.set_subscription_role('tap', 'eventstore_reader')$$, 'ZE003', NULL,
                 'only a consumer role can have a subscription');
SELECT lives_ok($$SELECT api.set_subscription_role('tap', 'eventstore_projector')$$, 'reserved for a role');
SELECT throws_ok($$SELECT api.create_subscription('tap')$$, 'ZE014', NULL, 'the name is taken');
SELECT lives_ok($$SELECT api.create_subscription('late', in_from_beginning := false)$$, 'from now');
SELECT is((SELECT count(*)::integer FROM api.claim_events('late', 'c')), 0, 'from now: the past is not delivered');
SELECT is((SELECT count(*)::integer FROM api.claim_events('tap', 'c')), 3, 'from the beginning: all of it');

SELECT throws_ok($$SELECT api.reset_subscription('tap', '018f0000-0000-7000-8000-0000000000ff')$$, 'ZE004', NULL,
                 'reset to an event that does not exist');
SELECT lives_ok($$SELECT api.reset_subscription('tap', '018f0000-0000-7000-8000-000000000001')$$, 'rewind to after event 1');
SELECT results_eq($$SELECT version, attempt FROM api.claim_events('tap', 'c')$$, $$VALUES (2, 1), (3, 1)$$,
                  'delivered again from there, first attempts');

SELECT throws_ok($$SELECT api.drop_subscription('nope')$$, 'ZE013', NULL, 'unknown subscription');
SELECT lives_ok($$SELECT api.drop_subscription('tap')$$, 'drop');
SELECT hasnt_sequence('data', 'subscription_reads_' || md5('tap'), 'its read guard goes with it');
SELECT * FROM finish();
ROLLBACK;
