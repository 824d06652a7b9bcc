-- Deploy eventstore:subject_streams_stream_idx to pg
-- requires: personal_data
-- data.subject_streams by stream: a snapshot saver (private.save_snapshot) looks up the keys
-- of one stream's events, and the table's key starts with the key id.
--
-- No transaction around this script: the index is built CONCURRENTLY (appends of personal
-- data, which write this table, go on; a plain CREATE INDEX would block them for the whole
-- build). A run that stops half-way can simply be run again (an invalid index left by a
-- cancelled build is dropped first).

SET lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

SELECT 'DROP INDEX CONCURRENTLY data.subject_streams_stream_idx'
FROM pg_catalog.pg_index AS i
WHERE i.indexrelid = pg_catalog.to_regclass('data.subject_streams_stream_idx') AND NOT i.indisvalid
\gexec

CREATE INDEX CONCURRENTLY IF NOT EXISTS subject_streams_stream_idx ON data.subject_streams (stream_type, stream_id);
