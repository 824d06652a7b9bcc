-- Verify eventstore:retention on pg

BEGIN;

SELECT stream_type, keep, set_by, set_at FROM data.retention_policies WHERE false;
SELECT 'api.set_retention(text, interval)'::pg_catalog.regprocedure,
       'api.apply_retention_step(integer)'::pg_catalog.regprocedure,
       'api.apply_retention(integer)'::pg_catalog.regprocedure,
       'private.expired_event_partition()'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.set_retention(text, interval)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.apply_retention(integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'api.apply_retention_step(integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'api.set_retention(text, interval)', 'EXECUTE') THEN
        RAISE EXCEPTION 'admins, not writers, must set and apply retention';
    END IF;
END
$$;

ROLLBACK;
