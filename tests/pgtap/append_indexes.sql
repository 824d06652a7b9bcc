-- pgTAP: change append_indexes (the created_at and correlation indexes an append pays for)
BEGIN;
SELECT plan(7);

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

SELECT * FROM finish();
ROLLBACK;
