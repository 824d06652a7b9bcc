-- Verify eventstore:log_order on pg

BEGIN;

SELECT 'private.log_horizon()'::pg_catalog.regprocedure,
       'private.uuidv7_time(uuid)'::pg_catalog.regprocedure,
       'private.log_position(uuid)'::pg_catalog.regprocedure,
       'private.log_events(integer, xid8, bigint, integer, text[], text[], integer, xid8)'::pg_catalog.regprocedure,
       'private.check_limit(integer)'::pg_catalog.regprocedure,
       'private.read_horizon()'::pg_catalog.regprocedure,
       'private.publish_read_horizon(bigint)'::pg_catalog.regprocedure,
       'private.refuse_passed_appender(xid8)'::pg_catalog.regprocedure,
       'private.xid_near(xid, bigint)'::pg_catalog.regprocedure;
SELECT last_value FROM data.read_horizon WHERE false;

DO $$
BEGIN
    -- Since v1.5.0: log_events is planned once.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                   WHERE p.oid = 'private.log_events(integer, xid8, bigint, integer, text[], text[], integer, xid8)'::pg_catalog.regprocedure
                     AND 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig)) THEN
        RAISE EXCEPTION 'private.log_events must be planned once (plan_cache_mode = force_generic_plan)';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.read_horizon()', 'EXECUTE') THEN
        RAISE EXCEPTION 'private.read_horizon must not be executable by PUBLIC';
    END IF;
END
$$;

ROLLBACK;
