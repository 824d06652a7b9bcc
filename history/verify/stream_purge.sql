-- Verify eventstore:stream_purge on pg

BEGIN;

SELECT 'api.purge_stream(text, uuid)'::pg_catalog.regprocedure,
       'private.forget_removed_deliveries(uuid[])'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.purge_stream(text, uuid)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'api.purge_stream(text, uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'admins, not writers, must purge streams';
    END IF;
END
$$;

ROLLBACK;
