-- Verify eventstore:check_interval on pg

BEGIN;

SELECT 'private.check_interval(interval, text, interval, interval)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.check_interval(interval, text, interval, interval)', 'EXECUTE') THEN
        RAISE EXCEPTION 'private.check_interval must not be executable by PUBLIC';
    END IF;
END
$$;

ROLLBACK;
