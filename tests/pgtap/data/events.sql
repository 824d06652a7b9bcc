-- pgTAP: change events
BEGIN;
SELECT plan(32);
SELECT has_table('data'::name, 'events'::name);
SELECT is_partitioned('data'::name, 'events'::name);
SELECT is_partition_of('data', 'events_default', 'data', 'events');
SELECT col_is_pk('data'::name, 'events'::name, ARRAY['id', 'created_at']::name[], 'primary key of data.events');

SELECT col_type_is('data'::name, 'events'::name, 'id'::name, 'uuid');
SELECT col_type_is('data'::name, 'events'::name, 'stream_type'::name, 'text');
SELECT col_type_is('data'::name, 'events'::name, 'stream_id'::name, 'uuid');
SELECT col_type_is('data'::name, 'events'::name, 'version'::name, 'integer');
SELECT col_type_is('data'::name, 'events'::name, 'event_type'::name, 'text');
SELECT col_type_is('data'::name, 'events'::name, 'event_data'::name, 'jsonb');
SELECT col_type_is('data'::name, 'events'::name, 'metadata'::name, 'jsonb');
SELECT col_type_is('data'::name, 'events'::name, 'created_at'::name, 'timestamp with time zone');
SELECT col_type_is('data'::name, 'events'::name, 'global_position'::name, 'bigint');
SELECT col_type_is('data'::name, 'events'::name, 'transaction_id'::name, 'xid8');
SELECT col_default_is('data'::name, 'events'::name, 'transaction_id'::name, 'pg_current_xact_id()'::text, 'default of data.events.transaction_id');
SELECT col_default_is('data'::name, 'events'::name, 'metadata'::name, '{}'::text, 'default of data.events.metadata');

SELECT has_index('data', 'events', 'events_stream_idx', ARRAY['stream_type', 'stream_id', 'version']);
SELECT has_index('data', 'events', 'events_type_idx',
                 ARRAY['event_type', 'generation', 'transaction_id', 'global_position']);
SELECT has_index('data', 'events', 'events_created_idx', ARRAY['created_at']);
SELECT has_index('data', 'events', 'events_log_idx', ARRAY['generation', 'transaction_id', 'global_position']);

SELECT table_privs_are('data', 'events', 'eventstore_admin', ARRAY[]::text[], 'no role touches the table directly');

-- Defaults fill the ordering columns of a row written without them.
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
VALUES ('Order', '018f0000-0000-7000-8000-000000000001', 1, 'OrderCreated', '{}');
SELECT ok((SELECT transaction_id = pg_current_xact_id() AND generation = 1 AND global_position > 0
                  AND substr(id::text, 15, 1) = '7'
           FROM data.events), 'defaults: uuidv7 id, this transaction, generation, position');

SELECT throws_ok($$INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
                  VALUES ('Order', gen_random_uuid(), 1, 'X', '[]')$$, '23514', NULL,
                 'event_data must be an object');
SELECT throws_ok($$INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
                  VALUES ('Order', gen_random_uuid(), 0, 'X', '{}')$$, '23514', NULL,
                 'versions start at 1');

-- (of the v3 change append_indexes; the created_at and correlation indexes an append pays for)
SELECT is((SELECT a.amname::text FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_am AS a ON a.oid = c.relam
           WHERE c.oid = 'data.events_created_idx'::regclass), 'brin', 'events_created_idx is BRIN');
SELECT ok((SELECT c.reloptions @> ARRAY['autosummarize=on'] FROM pg_catalog.pg_class AS c
           WHERE c.oid = 'data.events_created_idx'::regclass), 'and summarizes each range once it is full');
SELECT has_index('data', 'events', 'events_correlation_idx', ARRAY['((metadata ->> ''correlation_id''::text))'],
                 'the correlation index keys on the id alone');
SELECT ok((SELECT bool_and(i.indisvalid) FROM pg_catalog.pg_index AS i
           WHERE i.indexrelid IN ('data.events_created_idx'::regclass, 'data.events_correlation_idx'::regclass)),
          'both valid');
-- Every partition has both (the old ones are gone with their parents).
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_inherits AS h
           WHERE h.inhparent IN ('data.events_created_idx'::regclass, 'data.events_correlation_idx'::regclass)),
          2 * (SELECT count(*)::integer FROM pg_catalog.pg_inherits AS h WHERE h.inhparent = 'data.events'::regclass),
          'every partition has both');

-- A partition made later gets both.
SELECT lives_ok($$CALL api.ensure_event_partitions(40)$$, 'partitions up to 40 months ahead');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_inherits AS h
           WHERE h.inhparent IN ('data.events_created_idx'::regclass, 'data.events_correlation_idx'::regclass)),
          2 * (SELECT count(*)::integer FROM pg_catalog.pg_inherits AS h WHERE h.inhparent = 'data.events'::regclass),
          'and it has both');

-- The correlation id stays looked up by its index (seq scans off: the tables here are tiny).
CREATE FUNCTION pg_temp.plan_of(in_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    l_plan text := '';
    l_line record;
BEGIN
    FOR l_line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || in_query LOOP
        l_plan := l_plan || l_line."QUERY PLAN" || E'\n';
    END LOOP;
    RETURN l_plan;
END $$;
SET LOCAL enable_seqscan = off;
SELECT alike(pg_temp.plan_of($$
    SELECT r.id FROM data.events AS r
    WHERE r.metadata ? 'correlation_id' AND (r.metadata ->> 'correlation_id') = 'tx-1'
    ORDER BY r.generation, r.transaction_id, r.global_position $$), '%correlation_key%',
    'a correlation id is looked up by its index (api.get_events_by_correlation''s query)');
SELECT * FROM finish();
ROLLBACK;
