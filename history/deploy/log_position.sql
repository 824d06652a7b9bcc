-- Deploy eventstore:log_position to pg
-- Nothing to deploy. The change `code` renamed private.log_position(uuid), one event's place in the log, the cursor behind in_after_id, to
-- private.cursor_position(uuid), and dropped the old name (sql/drops.sql). sqitch runs the verify script
-- of a change's latest instance only: this instance exists so that `sqitch verify` checks the
-- object by its new name.

BEGIN;
COMMIT;
