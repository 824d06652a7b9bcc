-- Verify eventstore:order_summaries on pg

BEGIN;

SELECT order_id, customer_id, status, total_items, total_amount, created_at, updated_at
FROM data.order_summaries WHERE false;

DO $$
BEGIN
    ASSERT (SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'order_summaries')
           = 'private.order_summaries_handler(data.events[])'::pg_catalog.regprocedure,
        'order_summaries is registered';
    ASSERT EXISTS (SELECT FROM data.projection_checkpoints AS c WHERE c.projection_name = 'order_summaries'),
        'with a checkpoint';
    ASSERT (SELECT t.quantity FROM private.order_items_totals('[{"quantity": 2, "price": 3}, {"quantity": 1}]') AS t) = 3,
        'items are counted';
END
$$;

ROLLBACK;
