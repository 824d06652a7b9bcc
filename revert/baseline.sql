-- Revert eventstore:baseline from pg
-- The store's schemas and all they hold (the routines, views and wiring are reverted before
-- this: what is left is the baseline's state and what it grew, partitions and invokers). The
-- group roles stay (other databases of the cluster may use them), and so does pgcrypto (other
-- code of this database may use it).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DROP SCHEMA api, private, registered, data CASCADE;

COMMIT;
