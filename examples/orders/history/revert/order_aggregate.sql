-- Revert orders:order_aggregate from pg

BEGIN;

DELETE FROM data.reducers WHERE stream_type = 'Order';
DELETE FROM data.snapshots WHERE stream_type = 'Order';
SELECT private.drop_unused_invokers();
DROP FUNCTION private.order_reducer(jsonb, data.events);

COMMIT;
