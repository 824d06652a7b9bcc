-- Deploy eventstore:append_indexes to pg
-- requires: events
-- requires: event_correlation
-- The two indexes of data.events an append paid most for beyond what it needs (issue 22):
-- - events_created_idx becomes a BRIN index: created_at is the time of the appending
--   transaction, so the heap is in created_at order within a partition, and a BRIN index
--   answers time ranges (retention, operators' queries) for a few pages per 1 MB of events
--   where the B-tree took an entry per event. autosummarize summarizes each range once full.
-- - events_correlation_idx keys on the correlation id alone: every event of a batch carries
--   the same id, and B-tree deduplication keeps one key with a list of rows, where the key
--   with the log position made each entry unique. api.get_events_by_correlation sorts the
--   events of one correlation id, which are few.
--
-- No transaction around the builds: each partition's index is built CONCURRENTLY (appends go
-- on), attached to a parent made ON ONLY, and the swap is one short transaction. A run that
-- stops half-way can simply be run again.

SET lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- events_created_idx: build the new one beside it as data.events_created_brin (its partitions' indexes end in
-- _created_brin), then swap; nothing while events_created_idx is BRIN already.
SELECT pg_catalog.format('DROP INDEX CONCURRENTLY %s', i.indexrelid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_index AS i ON i.indrelid = h.inhrelid
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND NOT i.indisvalid AND c.relname LIKE '%\_created\_brin'
\gexec

SELECT 'CREATE INDEX IF NOT EXISTS events_created_brin ON ONLY data.events USING brin (created_at) WITH (autosummarize = on)'
WHERE (SELECT a.amname FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_am AS a ON a.oid = c.relam WHERE c.oid = 'data.events_created_idx'::pg_catalog.regclass) = 'btree'
\gexec

SELECT pg_catalog.format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %s USING brin (created_at) WITH (autosummarize = on)',
                         c.relname || '_created_brin', c.oid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_created_brin') IS NOT NULL
ORDER BY c.relname
\gexec

SELECT pg_catalog.format('ALTER INDEX data.events_created_brin ATTACH PARTITION %s', x.index)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.quote_ident(n.nspname) || '.'
                                                  || pg_catalog.quote_ident(c.relname || '_created_brin')) AS index) AS x
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_created_brin') IS NOT NULL
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits AS ih WHERE ih.inhrelid = x.index)
ORDER BY c.relname
\gexec

-- The swap, in one short transaction: the old index goes (with its partitions'), the new one
-- takes its name.
BEGIN;
DO $$
BEGIN
    IF pg_catalog.to_regclass('data.events_created_brin') IS NOT NULL THEN
        DROP INDEX data.events_created_idx;
        ALTER INDEX data.events_created_brin RENAME TO events_created_idx;
    END IF;
END
$$;
COMMIT;

-- events_correlation_idx: build the new one beside it as data.events_correlation_key (its partitions' indexes end in
-- _correlation_key), then swap; nothing while events_correlation_idx is on the id alone already.
SELECT pg_catalog.format('DROP INDEX CONCURRENTLY %s', i.indexrelid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_index AS i ON i.indrelid = h.inhrelid
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND NOT i.indisvalid AND c.relname LIKE '%\_correlation\_key'
\gexec

SELECT 'CREATE INDEX IF NOT EXISTS events_correlation_key ON ONLY data.events ((metadata ->> ''correlation_id'')) WHERE metadata ? ''correlation_id'''
WHERE (SELECT i.indnkeyatts FROM pg_catalog.pg_index AS i WHERE i.indexrelid = 'data.events_correlation_idx'::pg_catalog.regclass) > 1
\gexec

SELECT pg_catalog.format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %s ((metadata ->> ''correlation_id'')) WHERE metadata ? ''correlation_id''',
                         c.relname || '_correlation_key', c.oid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_correlation_key') IS NOT NULL
ORDER BY c.relname
\gexec

SELECT pg_catalog.format('ALTER INDEX data.events_correlation_key ATTACH PARTITION %s', x.index)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.quote_ident(n.nspname) || '.'
                                                  || pg_catalog.quote_ident(c.relname || '_correlation_key')) AS index) AS x
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_correlation_key') IS NOT NULL
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits AS ih WHERE ih.inhrelid = x.index)
ORDER BY c.relname
\gexec

-- The swap, in one short transaction: the old index goes (with its partitions'), the new one
-- takes its name.
BEGIN;
DO $$
BEGIN
    IF pg_catalog.to_regclass('data.events_correlation_key') IS NOT NULL THEN
        DROP INDEX data.events_correlation_idx;
        ALTER INDEX data.events_correlation_key RENAME TO events_correlation_idx;
    END IF;
END
$$;
COMMIT;
