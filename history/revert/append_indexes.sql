-- Revert eventstore:append_indexes from pg
-- The B-tree indexes as they were before: created_at, and the correlation id with the log
-- position. Built beside the current ones, then swapped, as the deploy does.

SET lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- events_created_idx: build the new one beside it as data.events_created_btree (its partitions' indexes end in
-- _created_at_idx), then swap; nothing while events_created_idx is a B-tree already.
SELECT pg_catalog.format('DROP INDEX CONCURRENTLY %s', i.indexrelid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_index AS i ON i.indrelid = h.inhrelid
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND NOT i.indisvalid AND c.relname LIKE '%\_created\_at\_idx'
\gexec

SELECT 'CREATE INDEX IF NOT EXISTS events_created_btree ON ONLY data.events (created_at)'
WHERE (SELECT a.amname FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_am AS a ON a.oid = c.relam WHERE c.oid = 'data.events_created_idx'::pg_catalog.regclass) = 'brin'
\gexec

SELECT pg_catalog.format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %s (created_at)',
                         c.relname || '_created_at_idx', c.oid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_created_btree') IS NOT NULL
ORDER BY c.relname
\gexec

SELECT pg_catalog.format('ALTER INDEX data.events_created_btree ATTACH PARTITION %s', x.index)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.quote_ident(n.nspname) || '.'
                                                  || pg_catalog.quote_ident(c.relname || '_created_at_idx')) AS index) AS x
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_created_btree') IS NOT NULL
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits AS ih WHERE ih.inhrelid = x.index)
ORDER BY c.relname
\gexec

-- The swap, in one short transaction: the old index goes (with its partitions'), the new one
-- takes its name.
BEGIN;
DO $$
BEGIN
    IF pg_catalog.to_regclass('data.events_created_btree') IS NOT NULL THEN
        DROP INDEX data.events_created_idx;
        ALTER INDEX data.events_created_btree RENAME TO events_created_idx;
    END IF;
END
$$;
COMMIT;

-- events_correlation_idx: build the new one beside it as data.events_correlation_logged (its partitions' indexes end in
-- _correlation_idx), then swap; nothing while events_correlation_idx is on the id and the log position already.
SELECT pg_catalog.format('DROP INDEX CONCURRENTLY %s', i.indexrelid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_index AS i ON i.indrelid = h.inhrelid
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND NOT i.indisvalid AND c.relname LIKE '%\_correlation\_idx'
\gexec

SELECT 'CREATE INDEX IF NOT EXISTS events_correlation_logged ON ONLY data.events ((metadata ->> ''correlation_id''), generation, transaction_id, global_position) WHERE metadata ? ''correlation_id'''
WHERE (SELECT i.indnkeyatts FROM pg_catalog.pg_index AS i WHERE i.indexrelid = 'data.events_correlation_idx'::pg_catalog.regclass) = 1
\gexec

SELECT pg_catalog.format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %s ((metadata ->> ''correlation_id''), generation, transaction_id, global_position) WHERE metadata ? ''correlation_id''',
                         c.relname || '_correlation_idx', c.oid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_correlation_logged') IS NOT NULL
ORDER BY c.relname
\gexec

SELECT pg_catalog.format('ALTER INDEX data.events_correlation_logged ATTACH PARTITION %s', x.index)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.quote_ident(n.nspname) || '.'
                                                  || pg_catalog.quote_ident(c.relname || '_correlation_idx')) AS index) AS x
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND pg_catalog.to_regclass('data.events_correlation_logged') IS NOT NULL
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits AS ih WHERE ih.inhrelid = x.index)
ORDER BY c.relname
\gexec

-- The swap, in one short transaction: the old index goes (with its partitions'), the new one
-- takes its name.
BEGIN;
DO $$
BEGIN
    IF pg_catalog.to_regclass('data.events_correlation_logged') IS NOT NULL THEN
        DROP INDEX data.events_correlation_idx;
        ALTER INDEX data.events_correlation_logged RENAME TO events_correlation_idx;
    END IF;
END
$$;
COMMIT;
