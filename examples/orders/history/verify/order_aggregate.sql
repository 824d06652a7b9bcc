-- Verify orders:order_aggregate on pg

BEGIN;

SELECT 'private.order_reducer(jsonb, data.events)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM data.reducers AS r WHERE r.stream_type = 'Order') THEN
        RAISE EXCEPTION 'a reducer must be registered for stream type Order';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.order_reducer(jsonb, data.events)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not run the reducer';
    END IF;
END
$$;

ROLLBACK;
