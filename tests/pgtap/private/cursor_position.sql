-- pgTAP: private.cursor_position (v3 change log_position)
BEGIN;
SELECT plan(4);
CALL api.append_events('P', '018f0000-0000-7000-8000-0000000000b1', 0, '[{"event_type": "A", "event_data": {}}]');
SELECT is((SELECT global_position FROM private.cursor_position(NULL)), 0::bigint, 'NULL is the start of the log');
SELECT is((SELECT (p.generation, p.transaction_id, p.global_position)::text FROM private.cursor_position(e.id) AS p),
          (SELECT (e.generation, e.transaction_id, e.global_position)::text), 'an event: its position')
FROM data.events AS e WHERE e.stream_type = 'P';
SELECT throws_ok($$SELECT * FROM private.cursor_position('018f0000-0000-7000-8000-00000000dead')$$, 'ZE004');
INSERT INTO data.event_removals (kind, stream_type, stream_id, removed_by) VALUES ('purge', 'Q', gen_random_uuid(), 'tap');
INSERT INTO data.removed_events (id, generation, transaction_id, global_position, removal_id)
SELECT '018f0000-0000-7000-8000-00000000beef', 1, '42', 7, max(removal_id) FROM data.event_removals;
SELECT is((SELECT (p.generation, p.transaction_id, p.global_position)::text FROM private.cursor_position('018f0000-0000-7000-8000-00000000beef') AS p),
          '(1,42,7)', 'a removed event: where it was');
SELECT * FROM finish();
ROLLBACK;
