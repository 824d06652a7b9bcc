-- pgTAP: change append_indexes (the created_at and correlation indexes an append pays for)
BEGIN;
SELECT plan(8);

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
