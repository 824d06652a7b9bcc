-- Deploy eventstore:events_upcast to pg
-- Nothing to deploy. The change `code` renamed private.events_upcast, the view every reader reads, which upcasts and reveals personal data, to
-- private.events_as_read, and dropped the old name (sql/drops.sql). sqitch runs the verify script
-- of a change's latest instance only: this instance exists so that `sqitch verify` checks the
-- object by its new name.

BEGIN;
COMMIT;
