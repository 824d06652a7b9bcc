-- Revert orders:order_summaries from pg

BEGIN;

DELETE FROM data.projections WHERE projection_name = 'order_summaries';  -- checkpoint and skips cascade
SELECT private.drop_unused_invokers();
DROP PROCEDURE private.project_order_events(integer);
DROP FUNCTION private.reset_order_summaries();
DROP FUNCTION private.order_summaries_handler(data.events[]);
DROP TABLE data.order_summaries;

COMMIT;
