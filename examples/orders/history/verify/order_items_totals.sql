-- Verify orders:order_items_totals on pg

BEGIN;

SELECT 'private.order_items_totals(jsonb)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.order_items_totals(jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.order_items_totals';
    END IF;
END
$$;

ROLLBACK;
