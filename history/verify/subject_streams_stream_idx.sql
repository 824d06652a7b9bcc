-- Verify eventstore:subject_streams_stream_idx on pg

BEGIN;

SELECT 1 / pg_catalog.count(*)
FROM pg_catalog.pg_index AS i
WHERE i.indexrelid = 'data.subject_streams_stream_idx'::pg_catalog.regclass AND i.indisvalid;

ROLLBACK;
