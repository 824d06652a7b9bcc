-- Revert eventstore:tracking from pg

BEGIN;

SET LOCAL lock_timeout = '10s';

DROP TABLE data.tracker_roles;
DROP TABLE data.tracking;

COMMIT;
