-- Revert eventstore:log_order from pg
-- Nothing to revert: the change `code` gives the old name back when it is reverted.

BEGIN;
COMMIT;
