-- Verify eventstore:order_items_totals on pg

BEGIN;

SELECT 'private.order_items_totals(jsonb)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.order_items_totals(jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'private.order_items_totals must not be executable by PUBLIC';
    END IF;
END
$$;

ROLLBACK;
