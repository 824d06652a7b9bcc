-- Revert eventstore:order_items_totals from pg
-- Nothing to undo: order_summaries, which comes before this change, created the same function,
-- and the reducer and read model still use it. (Reverting order_summaries drops it.)

BEGIN;
SELECT 1;
COMMIT;
