-- Deploy eventstore:removed_events_log_idx to pg
-- requires: event_removals
-- data.removed_events by log position: an event's log number counts from the first position
-- its transaction took (private.log_number), removed events included, so that a purge does
-- not renumber the events that stay; that lookup needs this index.
--
-- No transaction around this script: the index is built CONCURRENTLY (purges, which write
-- this table, go on). A run that stops half-way can simply be run again (an invalid index
-- left by a cancelled build is dropped first).

SET lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

SELECT 'DROP INDEX CONCURRENTLY data.removed_events_log_idx'
FROM pg_catalog.pg_index AS i
WHERE i.indexrelid = pg_catalog.to_regclass('data.removed_events_log_idx') AND NOT i.indisvalid
\gexec

CREATE INDEX CONCURRENTLY IF NOT EXISTS removed_events_log_idx
    ON data.removed_events (generation, transaction_id, global_position);
