-- Verify eventstore:append_indexes on pg

BEGIN;

-- events_created_idx is BRIN and events_correlation_idx keys on the correlation id alone,
-- both valid (every partition's index attached).
SELECT 1 / pg_catalog.count(*)
FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_am AS a ON a.oid = c.relam
WHERE i.indexrelid = 'data.events_created_idx'::pg_catalog.regclass AND a.amname = 'brin' AND i.indisvalid;

SELECT 1 / pg_catalog.count(*)
FROM pg_catalog.pg_index AS i
WHERE i.indexrelid = 'data.events_correlation_idx'::pg_catalog.regclass AND i.indnkeyatts = 1 AND i.indisvalid;

ROLLBACK;
