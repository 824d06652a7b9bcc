-- Revert eventstore:order_aggregate from pg

BEGIN;

DELETE FROM data.reducers WHERE stream_type = 'Order';
DROP FUNCTION private.order_reducer(jsonb, data.events);

COMMIT;
