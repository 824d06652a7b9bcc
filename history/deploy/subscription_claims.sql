-- Deploy eventstore:subscription_claims to pg
-- Nothing to deploy. The change `code` renamed private.log_positions, the refs of a stretch of the log, to
-- private.log_refs, and dropped the old name (sql/drops.sql). sqitch runs the verify script
-- of a change's latest instance only: this instance exists so that `sqitch verify` checks the
-- object by its new name.

BEGIN;
COMMIT;
