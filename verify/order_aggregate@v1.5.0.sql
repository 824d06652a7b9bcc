-- Verify eventstore:order_aggregate on pg

BEGIN;

DO $$
BEGIN
    ASSERT (SELECT r.reducer FROM data.reducers AS r WHERE r.stream_type = 'Order')
           = 'private.order_reducer(jsonb, data.events)'::pg_catalog.regprocedure, 'the Order reducer is registered';
    ASSERT private.order_reducer('{"status": "created"}', ROW(NULL, 'Order', NULL, 2, 'OrderSubmitted', '{}', '{}',
               NULL, NULL, NULL, NULL, 1)::data.events) ->> 'status' = 'submitted', 'it folds OrderSubmitted';
END
$$;

ROLLBACK;
