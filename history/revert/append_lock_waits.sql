-- Revert eventstore:append_lock_waits from pg

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DROP VIEW api.append_lock_waits;

COMMIT;
