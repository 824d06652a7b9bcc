-- Revert eventstore:event_tags from pg
-- The events appended with tags stay in data.events (streams of type $dcb); their tags go.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DROP TABLE data.event_tags;

COMMIT;
