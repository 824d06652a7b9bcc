-- Verify orders:order_summaries on pg

BEGIN;

SELECT order_id, customer_id, status, total_items, total_amount, created_at, updated_at
FROM data.order_summaries WHERE false;
SELECT 'private.order_summaries_handler(data.events[])'::pg_catalog.regprocedure,
       'private.reset_order_summaries()'::pg_catalog.regprocedure,
       'private.project_order_events(integer)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF (SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'order_summaries')
       IS DISTINCT FROM 'private.order_summaries_handler(data.events[])'::pg_catalog.regprocedure THEN
        RAISE EXCEPTION 'projection order_summaries must be registered with private.order_summaries_handler';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.order_summaries_handler(data.events[])', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not run the handler';
    END IF;
END
$$;

ROLLBACK;
