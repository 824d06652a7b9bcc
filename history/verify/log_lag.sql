-- Verify eventstore:log_lag on pg

BEGIN;

SELECT 'private.count_events_after(integer, xid8, bigint, text[], text[], integer, xid8)'::pg_catalog.regprocedure,
       'private.horizon_holder(integer, text)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.horizon_holder(integer, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'private.horizon_holder must not be executable by PUBLIC';
    END IF;
END
$$;

ROLLBACK;
