-- Revert eventstore:event_correlation from pg

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DROP FUNCTION api.get_causation_chain(uuid);
DROP FUNCTION api.get_events_by_correlation(text);
-- The partitions' indexes go with the parent's.
DROP INDEX data.events_causation_idx;
DROP INDEX data.events_correlation_idx;

COMMIT;
