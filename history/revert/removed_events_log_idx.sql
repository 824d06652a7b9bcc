-- Revert eventstore:removed_events_log_idx from pg

SET lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DROP INDEX CONCURRENTLY data.removed_events_log_idx;
