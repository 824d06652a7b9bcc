-- Deploy eventstore:log_order to pg
-- Nothing to deploy. The change `code` renamed private.log_horizon(), the conservative horizon readers fall back to, to
-- private.conservative_horizon(), and dropped the old name (sql/drops.sql). sqitch runs the verify script
-- of a change's latest instance only: this instance exists so that `sqitch verify` checks the
-- object by its new name.

BEGIN;
COMMIT;
