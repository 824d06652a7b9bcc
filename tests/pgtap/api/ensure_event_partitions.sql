-- pgTAP: api.ensure_event_partitions (v3 change event_partitions)
BEGIN;
SELECT plan(16);
SELECT has_function('api', 'ensure_event_partitions', ARRAY['integer']);
SELECT has_function('api', 'detach_event_partitions', ARRAY['date']);
SELECT has_function('private', 'create_event_partition', ARRAY['date']);
SELECT is_definer('api', 'ensure_event_partitions', ARRAY['integer']);
SELECT function_privs_are('api', 'ensure_event_partitions', ARRAY['integer'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'ensure_event_partitions', ARRAY['integer'], 'eventstore_writer', ARRAY[]::text[]);
SELECT function_privs_are('api', 'detach_event_partitions', ARRAY['date'], 'eventstore_projector', ARRAY[]::text[]);

SELECT is_partition_of('data', 'events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM'), 'data', 'events',
                       'this month has a partition');
SELECT is_partition_of('data', 'events_' || to_char((now() AT TIME ZONE 'UTC') + interval '1 month', 'YYYY_MM'),
                       'data', 'events', 'next month has a partition');

SELECT lives_ok('CALL api.ensure_event_partitions(6)', 'creating months ahead');
SELECT is_partition_of('data', 'events_' || to_char((now() AT TIME ZONE 'UTC') + interval '6 months', 'YYYY_MM'),
                       'data', 'events', 'six months ahead exist');
SELECT throws_ok('CALL api.ensure_event_partitions(-1)', 'ZE003', NULL, 'a negative horizon is refused');

-- An event of a month without a partition lands in DEFAULT; creating the month moves it.
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, created_at)
VALUES ('Order', '018f0000-0000-7000-8000-000000000001', 1, 'OrderCreated', '{}', '2031-05-17 12:00+00');
SELECT ok(private.create_event_partition('2031-05-01'), 'a month is created over rows in DEFAULT');
SELECT results_eq($$SELECT tableoid::regclass::text, (SELECT count(*) FROM data.events_default)
                    FROM data.events WHERE created_at = '2031-05-17 12:00+00'$$,
                  $$VALUES ('data.events_2031_05', 0::bigint)$$, 'the row moved into its month');

-- Retention: a past month is detached, not dropped.
SELECT ok(private.create_event_partition('2020-01-01'), 'a past month');
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, created_at)
VALUES ('Order', '018f0000-0000-7000-8000-000000000002', 1, 'OrderCreated', '{}', '2020-01-10 00:00+00');
CALL api.detach_event_partitions('2020-02-01');
SELECT results_eq($$SELECT (SELECT count(*) FROM data.events WHERE created_at < '2021-01-01'),
                           (SELECT count(*) FROM data.events_2020_01)$$,
                  $$VALUES (0::bigint, 1::bigint)$$, 'detached: gone from the log, kept as a table');
SELECT * FROM finish();
ROLLBACK;
